import { Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import * as l1 from '../../imports/source.toolkit.fluxcd.io';
import { durationProblems, goDuration } from '../duration';
import { defaultName } from '../names';
import { claimName } from '../registry';
import { FluxKind, FluxObjectProps, FluxObjectRefOptions, FluxSource, IFluxSource, RefKind, fluxNamespace } from './event-source';

/** The OCI reference an OCIRepository follows (set one). */
export interface OciRef {
  /**
   * A tag.
   * @default 'latest' when nothing is set (Flux's default)
   */
  readonly tag?: string;
  /**
   * A semver range over tags.
   * @default - none
   */
  readonly semver?: string;
  /**
   * A digest (`sha256:…`).
   * @default - none
   */
  readonly digest?: string;
}

/** Props for `OCIRepository`. */
export interface OCIRepositoryProps extends FluxObjectProps {
  /** The artifact URL, `oci://registry/repository`. */
  readonly url: string;
  /**
   * The reference to follow.
   * @default - Flux's default (tag `latest`)
   */
  readonly ref?: OciRef;
  /**
   * How often Flux checks.
   * @default Duration.minutes(5)
   */
  readonly interval?: Duration;
  /**
   * Cloud provider for registry auth: `generic`, `aws`, `azure` or `gcp`.
   * @default 'generic'
   */
  readonly provider?: 'generic' | 'aws' | 'azure' | 'gcp';
  /**
   * An existing Secret of type `kubernetes.io/dockerconfigjson` (by name).
   * @default - anonymous pulls
   */
  readonly secretName?: string;
}

/** A Flux `OCIRepository` (`source.toolkit.fluxcd.io/v1`). */
export class OCIRepository extends Construct implements IFluxSource {
  /** An OCIRepository that exists already. */
  public static fromOCIRepositoryName(name: string, options: FluxObjectRefOptions = {}): IFluxSource {
    return FluxSource.fromName(FluxKind.OCI_REPOSITORY, name, options);
  }

  public readonly kind = FluxKind.OCI_REPOSITORY;
  public readonly name: string;
  public readonly namespace: string;
  public readonly refKind = RefKind.TAG;
  /** The artifact URL. */
  public readonly url: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.OciRepository;

  constructor(scope: Construct, id: string, props: OCIRepositoryProps) {
    super(scope, id);
    this.name = props.name ?? defaultName(this);
    this.namespace = fluxNamespace(this, props.namespace);
    this.url = props.url;
    claimName(this, 'OCIRepository', this.namespace, this.name);
    this.resource = new l1.OciRepository(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace },
      spec: Lazy.any({
        produce: (): l1.OciRepositorySpec => ({
          url: props.url,
          interval: goDuration(props.interval ?? Duration.minutes(5)),
          ref: props.ref,
          provider: props.provider as l1.OciRepositorySpecProvider | undefined,
          secretRef: props.secretName ? { name: props.secretName } : undefined,
        }),
      }) as any,
    });
    this.node.addValidation({
      validate: () => [
        ...durationProblems('interval', props.interval),
        ...(/^oci:\/\//.test(props.url) ? [] : [`url '${props.url}' must start with oci://`]),
      ],
    });
  }
}

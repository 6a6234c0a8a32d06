import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FluxKind, FluxObjectProps, FluxObjectRefOptions, FluxSource, IFluxSource, RefKind } from './event-source';
import * as l1 from '../../imports/source.toolkit.fluxcd.io';
import { durationProblems, goDuration } from '../internal/duration';
import { lazy } from '../internal/lazy';
import { reference } from '../internal/validation';
import { problem } from '../problems';
import { Resource, fasterL1 } from '../resource';

/** The L1, rendering through renderApiObject: the same object as the generated toJson, faster (see resource.ts). */
const OciRepositoryResource = fasterL1(l1.OciRepository, l1.toJson_OciRepositoryProps);

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
  /**
   * The same Secret as a cdk8s-plus object (`kplus.Secret.fromSecretName(…)`). One of this and `secretName`.
   * @default - `secretName`
   */
  readonly secret?: kplus.ISecret;
}

/** A Flux `OCIRepository` (`source.toolkit.fluxcd.io/v1`).
 *
 * @see https://fluxcd.io/flux/components/source/ocirepositories/
 */
export class OCIRepository extends Resource implements IFluxSource {
  /** An OCIRepository that exists already. */
  public static fromOCIRepositoryName(scope: Construct, id: string, name: string, options: FluxObjectRefOptions = {}): IFluxSource {
    return FluxSource.fromName(scope, id, FluxKind.OCI_REPOSITORY, name, options);
  }

  public readonly kind = FluxKind.OCI_REPOSITORY;
  declare public readonly namespace: string;
  public readonly refKind = RefKind.TAG;
  /** The artifact URL. */
  public readonly url: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.OciRepository;

  constructor(scope: Construct, id: string, props: OCIRepositoryProps) {
    super(scope, id, { kind: 'OCIRepository', flux: true }, props);
    this.url = props.url;
    const secret = reference({ kind: 'Secret', objectProp: 'secret', nameProp: 'secretName' }, props.secret, props.secretName);
    this.resource = new OciRepositoryResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: lazy((): l1.OciRepositorySpec => ({
        url: props.url,
        interval: goDuration(props.interval ?? Duration.minutes(5)),
        ref: props.ref,
        provider: props.provider as l1.OciRepositorySpecProvider | undefined,
        secretRef: secret.name ? { name: secret.name } : undefined,
      })),
    });
    this.addValidation(() => [
      ...durationProblems('interval', props.interval),
      ...(/^oci:\/\//.test(props.url) ? [] : [problem('invalid-url', `url '${props.url}' must start with oci://`)]),
      ...secret.problems,
    ]);
  }
}

import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FluxKind, FluxObjectProps, FluxObjectRefOptions, FluxSource, IFluxEventSource, IFluxSource, RefKind, eventSourceProblems } from './event-source';
import * as l1 from '../../imports/kustomize.toolkit.fluxcd.io';
import { durationProblems, goDuration } from '../internal/duration';
import { lazy } from '../internal/lazy';
import { reference } from '../internal/validation';
import { problem } from '../problems';
import { Resource, fasterL1 } from '../resource';

/** The L1, rendering through renderApiObject: the same object as the generated toJson, faster (see resource.ts). */
const KustomizationResource = fasterL1(l1.Kustomization, l1.toJson_KustomizationProps);

/** A Kustomization another one waits for. */
export interface IKustomization extends IFluxEventSource {}

/** Props for `Kustomization`. */
export interface KustomizationProps extends FluxObjectProps {
  /** The source that holds the manifests. */
  readonly source: IFluxSource;
  /**
   * The folder in the source, e.g. `./dist`.
   * @default './' (the source root)
   */
  readonly path?: string;
  /**
   * How often Flux reconciles.
   * @default Duration.minutes(10)
   */
  readonly interval?: Duration;
  /**
   * Delete objects that were removed from the source.
   * @default true
   */
  readonly prune?: boolean;
  /**
   * Wait for every applied object to be ready.
   * @default false
   */
  readonly wait?: boolean;
  /**
   * Timeout of apply and health checks.
   * @default - the interval
   */
  readonly timeout?: Duration;
  /**
   * Kustomizations to apply first.
   * @default - none
   */
  readonly dependsOn?: IKustomization[];
  /**
   * Namespace to put namespaced objects without a namespace in.
   * @default - as written
   */
  readonly targetNamespace?: string;
  /**
   * ServiceAccount to apply as (multi-tenancy), by name, in the Kustomization's namespace.
   * @default - the kustomize-controller's own
   */
  readonly serviceAccountName?: string;
  /**
   * The ServiceAccount to apply as, as a cdk8s-plus object (`kplus.ServiceAccount.fromServiceAccountName(…)` or one of
   * the app's). One of this and `serviceAccountName`.
   * @default - `serviceAccountName`
   */
  readonly serviceAccount?: kplus.IServiceAccount;
  /**
   * `${var}` substitutions applied after the build.
   * @default - none
   */
  readonly substitute?: { [name: string]: string };
  /**
   * Existing ConfigMaps and Secrets that hold substitutions.
   * @default - none
   */
  readonly substituteFrom?: Array<{ kind: 'ConfigMap' | 'Secret'; name: string; optional?: boolean }>;
}

/** A Flux `Kustomization` (`kustomize.toolkit.fluxcd.io/v1`).
 *
 * @see https://fluxcd.io/flux/components/kustomize/kustomizations/
 */
export class Kustomization extends Resource implements IKustomization {
  /** A Kustomization that exists already (made by `flux bootstrap` or another repo). */
  public static fromKustomizationName(scope: Construct, id: string, name: string, options: FluxObjectRefOptions = {}): IKustomization {
    return FluxSource.fromName(scope, id, FluxKind.KUSTOMIZATION, name, options);
  }

  public readonly kind = FluxKind.KUSTOMIZATION;
  declare public readonly namespace: string;
  public readonly refKind: RefKind;
  /** The kind of the source it applies, whose revisions its events carry. */
  public readonly artifactKind: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.Kustomization;

  constructor(scope: Construct, id: string, props: KustomizationProps) {
    super(scope, id, { kind: 'Kustomization', flux: true }, props);
    this.refKind = props.source.refKind;
    this.artifactKind = props.source.artifactKind ?? props.source.kind;
    const source = props.source;
    const account = reference({ kind: 'ServiceAccount', objectProp: 'serviceAccount', nameProp: 'serviceAccountName' },
      props.serviceAccount, props.serviceAccountName);
    const postBuild = props.substitute || props.substituteFrom
      ? { substitute: props.substitute, substituteFrom: props.substituteFrom as l1.KustomizationSpecPostBuildSubstituteFrom[] | undefined }
      : undefined;
    this.resource = new KustomizationResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: lazy((): l1.KustomizationSpec => ({
        interval: goDuration(props.interval ?? Duration.minutes(10)),
        path: props.path ?? './',
        prune: props.prune ?? true,
        wait: props.wait,
        timeout: props.timeout && goDuration(props.timeout),
        sourceRef: {
          kind: source.kind as l1.KustomizationSpecSourceRefKind,
          name: source.name,
          namespace: source.namespace !== this.namespace ? source.namespace : undefined,
        },
        dependsOn: props.dependsOn?.map((d) => ({ name: d.name, namespace: d.namespace !== this.namespace ? d.namespace : undefined })),
        targetNamespace: props.targetNamespace,
        serviceAccountName: account.name,
        postBuild,
      })),
    });
    this.addValidation(() => {
      const errors = [...durationProblems('interval', props.interval), ...durationProblems('timeout', props.timeout), ...eventSourceProblems(source)];
      const sourceErrors = errors.length;
      errors.push(...account.problems);
      const kinds: string[] = ['GitRepository', 'OCIRepository', 'Bucket', 'ExternalArtifact'];
      if (!sourceErrors && !kinds.includes(source.kind)) {
        errors.push(problem('wrong-kind', `sourceRef '${source.name}' is a ${source.kind}: a Kustomization applies a ${kinds.join(', ')}`));
      }
      for (const d of props.dependsOn ?? []) {
        if (d.kind !== FluxKind.KUSTOMIZATION) errors.push(problem('wrong-kind', `dependsOn '${d.name}' is a ${d.kind}: a Kustomization can only depend on Kustomizations`));
      }
      return errors;
    });
  }
}

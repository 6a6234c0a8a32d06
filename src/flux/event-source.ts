import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { problem } from '../problems';
import { ResourceProps, IResource } from '../resource';

/** Kinds of Flux objects whose events can trigger a pipeline. */
export enum FluxKind {
  GIT_REPOSITORY = 'GitRepository',
  OCI_REPOSITORY = 'OCIRepository',
  BUCKET = 'Bucket',
  HELM_REPOSITORY = 'HelmRepository',
  HELM_CHART = 'HelmChart',
  EXTERNAL_ARTIFACT = 'ExternalArtifact',
  KUSTOMIZATION = 'Kustomization',
  HELM_RELEASE = 'HelmRelease',
}

/** What the library knows of each kind: its API group and the event reasons that mean "a new revision". */
export const FLUX_KINDS: { [kind: string]: { group: string; version: string; reasons: string[] } } = {
  GitRepository: { group: 'source.toolkit.fluxcd.io', version: 'v1', reasons: ['NewArtifact'] },
  OCIRepository: { group: 'source.toolkit.fluxcd.io', version: 'v1', reasons: ['NewArtifact'] },
  Bucket: { group: 'source.toolkit.fluxcd.io', version: 'v1', reasons: ['NewArtifact'] },
  HelmRepository: { group: 'source.toolkit.fluxcd.io', version: 'v1', reasons: ['NewArtifact'] },
  HelmChart: { group: 'source.toolkit.fluxcd.io', version: 'v1', reasons: ['NewArtifact'] },
  ExternalArtifact: { group: 'source.toolkit.fluxcd.io', version: 'v1', reasons: ['NewArtifact'] },
  Kustomization: { group: 'kustomize.toolkit.fluxcd.io', version: 'v1', reasons: ['ReconciliationSucceeded'] },
  HelmRelease: { group: 'helm.toolkit.fluxcd.io', version: 'v2', reasons: ['InstallSucceeded', 'UpgradeSucceeded'] },
};

/** How the revision of a source's events names what it points at. */
export enum RefKind {
  /** `<branch>@sha1:<commit>` */
  BRANCH = 'branch',
  /** `<tag>@sha1:<commit>` or, for OCI, `<tag>@sha256:<digest>` */
  TAG = 'tag',
  /** Not known (an imported source): `refs/tags/…` revisions are tags, others branches. */
  UNKNOWN = 'unknown',
}

/** A Flux object whose events can trigger a pipeline: a source, a Kustomization or a HelmRelease. */
export interface IFluxEventSource extends IResource {
  /** Its kind, e.g. `GitRepository`. */
  readonly kind: string;
  /** Its namespace (where Flux runs it). */
  readonly namespace: string;
  /** What its revisions point at (drives `FluxEvent.branch()` / `tag()`). */
  readonly refKind: RefKind;
  /**
   * The kind of the source whose revisions its events carry: a Kustomization reports its source's
   * revision (a Git commit, an OCI digest).
   * @default - its own kind
   */
  readonly artifactKind?: string;
}

/** A Flux source a Kustomization can apply (`sourceRef`). */
export interface IFluxSource extends IFluxEventSource {}

/** Name, namespace and metadata of a Flux object defined here (the namespace defaults to the chart's, else `flux-system`). */
export interface FluxObjectProps extends ResourceProps {}

/** Options of `FluxSource.fromName`. */
export interface FluxObjectRefOptions {
  /**
   * The namespace.
   * @default 'flux-system'
   */
  readonly namespace?: string;
  /**
   * What its revisions point at.
   * @default - GitRepository: branch unless the revision says refs/tags/; OCIRepository: tag
   */
  readonly refKind?: RefKind;
}

/** References to Flux objects that exist already (made by `flux bootstrap`, another repo, …). */
export class FluxSource {
  /** Any Flux source or Kustomization/HelmRelease, by kind, name and namespace. */
  public static fromName(scope: Construct, id: string, kind: FluxKind | string, name: string, options: FluxObjectRefOptions = {}): IFluxSource {
    return new ImportedFluxObject(scope, id, kind, name, options);
  }
}

/** A Flux object defined outside this app. @internal */
export class ImportedFluxObject extends Construct implements IFluxSource {
  public readonly namespace: string;
  public readonly refKind: RefKind;

  constructor(scope: Construct, id: string, public readonly kind: string, public readonly name: string, options: FluxObjectRefOptions = {}) {
    super(scope, id);
    this.namespace = options.namespace ?? 'flux-system';
    this.refKind = options.refKind ?? (kind === FluxKind.OCI_REPOSITORY ? RefKind.TAG : RefKind.UNKNOWN);
  }
}

/** Problems of an event source reference (unknown kind, bad name). */
export function eventSourceProblems(source: IFluxEventSource): string[] {
  if (!Object.prototype.hasOwnProperty.call(FLUX_KINDS, source.kind)) {
    return [problem('unknown-kind', `unknown Flux kind '${source.kind}' for source '${source.name}': use one of ${Object.keys(FLUX_KINDS).join(', ')}`)];
  }
  return [];
}

/** The namespace of a Flux object: its own, else its chart's, else flux-system. */
export function fluxNamespace(construct: IConstruct, explicit?: string): string {
  return explicit ?? Chart.of(construct).namespace ?? 'flux-system';
}

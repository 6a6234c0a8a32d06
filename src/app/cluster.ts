import { Construct, IConstruct } from 'constructs';
import { DNS_LABEL } from '../internal/names';
import { problem } from '../problems';

/** Props for `Cluster`. */
export interface ClusterProps {
  /**
   * The folder of the app's output that this cluster's Flux reconciles (`flux bootstrap --path`), relative to
   * `GitOpsApp`'s `outdir`: one or more segments of lower case letters, digits, '-', '_' and '.'.
   * @default - the cluster's name
   */
  readonly path?: string;
}

/** A folder path below outdir: segments that are file names on every system, never '.' or '..'. */
const PATH_SEGMENT = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

/**
 * One Kubernetes cluster with its own Flux: the charts created under it are written into its own folder of the
 * app's output (`dist/<name>/` by default), which that cluster's Flux reconciles. Errors name the cluster first
 * (`[production/ci/on-push] …`). An app without clusters writes its charts into `outdir` itself, as before.
 *
 * Objects of one cluster refer to objects of another only where the library carries the event across (a
 * `FluxTriggeredPipeline` or `Promotion` whose source is in another cluster than its listener: see
 * `FluxListener`'s `externalUrl`).
 */
export class Cluster extends Construct {
  /** The cluster that `construct` is in, or undefined when its app has no clusters (or it is outside them). */
  public static of(construct: IConstruct): Cluster | undefined {
    return construct.node.scopes.slice().reverse().find((c): c is Cluster => c instanceof Cluster);
  }

  /** The cluster's name (its construct id). */
  public readonly name: string;
  /** Its folder below outdir, with '/' between segments. */
  public readonly path: string;

  constructor(scope: Construct, id: string, props: ClusterProps = {}) {
    super(scope, id);
    this.name = id;
    this.path = props.path ?? id;
    if (Cluster.of(scope)) {
      throw new Error(`[${this.node.path}] a Cluster cannot be inside another Cluster (${Cluster.of(scope)!.node.path}): create it in the app`);
    }
    const problems: string[] = [];
    if (!DNS_LABEL.test(id)) {
      problems.push(problem('invalid-name', `cluster name '${id}' is not a DNS label: it names the cluster's folder and its events ` +
        "(Alert eventMetadata); use lower case letters, digits and '-' (e.g. 'production')"));
    }
    const segments = this.path.split('/');
    // a segment ending like a file the app writes would be taken for one (and one over 100 characters for no folder)
    if (!segments.every((s) => PATH_SEGMENT.test(s) && s !== '..' && !/\.ya?ml$/.test(s) && s.length <= 100) || this.path.length > 200) {
      problems.push(problem('invalid-path', `path '${this.path}' is not a folder below outdir: use segments of lower case letters, digits, ` +
        "'-', '_' and '.' separated by '/' (at most 100 each, 200 in all, none ending in .yaml), e.g. 'clusters/production'"));
    }
    this.node.addValidation({ validate: () => problems });
  }
}

/**
 * Where the names of `construct`'s objects must be unique: its cluster, or the whole app when it has none (two
 * clusters each have a `flux-system/apps`).
 */
export function nameSpaceOf(construct: IConstruct): IConstruct {
  return Cluster.of(construct) ?? construct.node.root;
}

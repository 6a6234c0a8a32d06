import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Cluster } from '../app/cluster';
import { IFluxSource } from '../flux/event-source';
import { IKustomization, Kustomization } from '../flux/kustomization';
import { defaultName } from '../internal/names';
import { problem } from '../problems';

/** Props for `GitOpsSync`. */
export interface GitOpsSyncProps {
  /** The repository that holds the synthesized `dist/` (this repo). */
  readonly source: IFluxSource;
  /**
   * The folder Flux applies.
   * @default './dist', or './dist/<cluster path>' in a `Cluster` (that cluster's folder only)
   */
  readonly path?: string;
  /**
   * How often Flux reconciles.
   * @default Duration.minutes(10)
   */
  readonly interval?: Duration;
  /**
   * Wait for every object to be ready.
   * @default false
   */
  readonly wait?: boolean;
  /**
   * Kustomizations to apply first (e.g. the one that installs Tekton and its CRDs).
   * @default - none
   */
  readonly dependsOn?: IKustomization[];
  /**
   * ServiceAccount to apply as.
   * @default - the kustomize-controller's own
   */
  readonly serviceAccountName?: string;
  /**
   * The object name.
   * @default - the construct ids below the chart, joined by '-'
   */
  readonly name?: string;
  /**
   * The namespace.
   * @default - the chart's namespace, else 'flux-system'
   */
  readonly namespace?: string;
}

/**
 * The Flux `Kustomization` that applies this repo's `dist/`, with pruning on: an object removed from
 * the app is removed from the cluster.
 */
export class GitOpsSync extends Construct {
  /** The Kustomization. */
  public readonly kustomization: Kustomization;

  constructor(scope: Construct, id: string, props: GitOpsSyncProps) {
    super(scope, id);
    const cluster = Cluster.of(this);
    const path = props.path ?? (cluster ? `./dist/${cluster.path}` : './dist');
    if (cluster && props.path !== undefined) {
      // with pruning on, a folder above this cluster's would apply (and prune by) the other clusters' objects
      const clean = props.path.replace(/^\.\//, '').replace(/\/+$/, '');
      this.node.addValidation({
        validate: () => (clean === cluster.path || clean.endsWith(`/${cluster.path}`) ? [] : [problem('invalid-path', `path '${props.path}' is not cluster '${cluster.name}''s folder (it ends in ` +
          `'${cluster.path}'): this cluster's Flux would apply another cluster's objects too, with pruning; leave path out for ` +
          `'./dist/${cluster.path}', or give the folder that holds exactly this cluster's files`)]),
      });
    }
    this.kustomization = new Kustomization(this, 'Kustomization', {
      name: props.name ?? defaultName(this),
      namespace: props.namespace,
      source: props.source,
      path,
      interval: props.interval ?? Duration.minutes(10),
      prune: true,
      wait: props.wait,
      dependsOn: props.dependsOn,
      serviceAccountName: props.serviceAccountName,
    });
  }
}

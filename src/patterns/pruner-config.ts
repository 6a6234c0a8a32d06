import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { stringify } from 'yaml';
import { compareCodePoints } from '../sort';

/**
 * Keep-N history through Tekton Pruner (tektoncd/pruner): one namespace-level ConfigMap per namespace,
 * `tekton-pruner-namespace-spec`, whose `ns-config` lists a history limit per pipeline (by its name). The
 * pruner deletes finished runs beyond the limit, never a running one. Needs Tekton Pruner installed with its
 * global config's `enforcedConfigLevel: namespace` (see the README).
 * @internal
 */
export class PrunerConfig extends Construct {
  /** The ConfigMap of `namespace` in this app, created in `scope`'s chart on first use. */
  public static of(scope: IConstruct, namespace: string): PrunerConfig {
    const root = scope.node.root;
    let perNamespace = PrunerConfig.configs.get(root);
    if (!perNamespace) {
      perNamespace = new Map();
      PrunerConfig.configs.set(root, perNamespace);
    }
    let config = perNamespace.get(namespace);
    if (!config) {
      config = new PrunerConfig(Chart.of(scope), `TektonPrunerConfig-${namespace}`, namespace);
      perNamespace.set(namespace, config);
    }
    return config;
  }

  private static readonly configs = new WeakMap<IConstruct, Map<string, PrunerConfig>>();
  private readonly limits = new Map<string, number>();
  private readonly taskRunLimits = new Map<string, number>();

  private constructor(scope: Construct, id: string, namespace: string) {
    super(scope, id);
    new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'tekton-pruner-namespace-spec',
        namespace,
        labels: { 'app.kubernetes.io/part-of': 'tekton-pruner', 'pruner.tekton.dev/config-type': 'namespace' },
      },
      data: Lazy.any({
        produce: () => ({
          'ns-config': stringify({
            // Both limits, not `historyLimit`: Tekton Pruner (v0.3.3) ignores `historyLimit` in an entry matched by
            // name, and reads it only in one matched by selector (found by e2e/harness/history_test.go).
            pipelineRuns: byName(this.limits),
            ...(this.taskRunLimits.size ? { taskRuns: byName(this.taskRunLimits) } : {}),
          }),
        }),
      }),
    } as any);
  }

  /** Keeps the last `limit` finished runs of `pipeline` (successful and failed ones counted apart). */
  public keep(pipeline: string, limit: number): void {
    this.limits.set(pipeline, Math.min(limit, this.limits.get(pipeline) ?? limit));
  }

  /**
   * Keeps the last `limit` finished TaskRuns of `task` that no PipelineRun owns. (By Task name: a selector entry
   * never matches a TaskRun that Triggers created, whose labels include its unique event id; the pruner lists
   * a selector match's history by all of its labels.)
   */
  public keepTaskRuns(task: string, limit: number): void {
    this.taskRunLimits.set(task, Math.min(limit, this.taskRunLimits.get(task) ?? limit));
  }
}

/** One entry per name, sorted, with both limits. */
function byName(limits: Map<string, number>) {
  return [...limits].sort(([a], [b]) => compareCodePoints(a, b))
    .map(([name, limit]) => ({ name, successfulHistoryLimit: limit, failedHistoryLimit: limit }));
}

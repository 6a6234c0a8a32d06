import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { stringify } from 'yaml';
import { nameSpaceOf } from '../app/cluster';
import { addCachedValidation } from '../internal/generation';
import { compareCodePoints } from '../internal/sort';
import { problem } from '../problems';

/** The name of Tekton Pruner's namespace ConfigMap (one per namespace). */
export const PRUNER_CONFIGMAP = 'tekton-pruner-namespace-spec';

/** The largest `keepRuns`: Tekton Pruner reads the limits as int32, and a config with a larger one fails to load. */
export const MAX_KEEP_RUNS = 2147483647;

/** A `keepRuns` that is not a whole number from 1 to `MAX_KEEP_RUNS`. */
export function keepRunsProblem(keepRuns: number): string | undefined {
  if (!Number.isInteger(keepRuns) || keepRuns < 1) {
    return problem('invalid-keep-runs', `keepRuns must be a whole number of at least 1 (got ${keepRuns}): leave it out to keep every run`);
  }
  return keepRuns <= MAX_KEEP_RUNS ? undefined
    : problem('invalid-keep-runs', `keepRuns must be at most ${MAX_KEEP_RUNS}, the largest number Tekton Pruner reads (got ${keepRuns}): keep fewer runs, ` +
      'or leave it out to keep every run');
}

/**
 * Keep-N history through Tekton Pruner (tektoncd/pruner): one namespace-level ConfigMap per namespace,
 * `tekton-pruner-namespace-spec`, whose `ns-config` lists a history limit per pipeline (by its name). The
 * pruner deletes finished runs beyond the limit, never a running one. Needs Tekton Pruner installed with its
 * global config's `enforcedConfigLevel: namespace` (see the README).
 * @internal
 */
export class PrunerConfig extends Construct {
  /** The ConfigMap of `namespace` in this app (or cluster), created in `scope`'s chart on first use. */
  public static of(scope: IConstruct, namespace: string): PrunerConfig {
    const root = nameSpaceOf(scope);
    let perNamespace = PrunerConfig.configs.get(root);
    if (!perNamespace) {
      perNamespace = new Map();
      PrunerConfig.configs.set(root, perNamespace);
    }
    let config = perNamespace.get(namespace);
    if (!config) {
      const chart = Chart.of(scope);
      // A construct of the user's may have the id (a crash otherwise); if it is this ConfigMap, `scope` reports it.
      let id = `TektonPrunerConfig-${namespace}`;
      for (let i = 2; chart.node.tryFindChild(id); i++) id = `TektonPrunerConfig-${namespace}-${i}`;
      const created = new PrunerConfig(chart, id, namespace);
      addCachedValidation(scope, () => created.otherConfigMaps());
      perNamespace.set(namespace, created);
      config = created;
    }
    return config;
  }

  private static readonly configs = new WeakMap<IConstruct, Map<string, PrunerConfig>>();
  private readonly limits = new Map<string, number>();
  private readonly taskRunLimits = new Map<string, number>();
  /** The first valid limit of each pipeline, and the construct that set it. */
  private readonly owners = new Map<string, { limit: number; path: string }>();
  private readonly resource: ApiObject;

  private constructor(scope: Construct, id: string, private readonly namespace: string) {
    super(scope, id);
    this.resource = new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: PRUNER_CONFIGMAP,
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
    });
  }

  /**
   * Keeps the last `limit` finished runs of `pipeline` (successful and failed ones counted apart), as `owner`
   * asks. The pruner keeps one number per pipeline: an owner asking another number than the first one's gets
   * a validation error (an invalid `limit` is its owner's error, not compared).
   */
  public keep(pipeline: string, limit: number, owner: IConstruct): void {
    const first = this.owners.get(pipeline);
    if (!keepRunsProblem(limit)) {
      if (!first) {
        this.owners.set(pipeline, { limit, path: owner.node.path });
      } else if (first.limit !== limit) {
        owner.node.addValidation({
          validate: () => [problem('conflicting-keep-runs', `keepRuns is ${limit} for pipeline '${pipeline}', but ${first.path} keeps ${first.limit} of its runs ` +
            `in namespace '${this.namespace}' (Tekton Pruner keeps one number per pipeline and namespace, for all of its runs): ` +
            'give both the same keepRuns, or set it on one of them only')],
        });
      }
    }
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

  /** Other ConfigMaps of this name and namespace in the app: the cluster would keep one of them. */
  private otherConfigMaps(): string[] {
    return nameSpaceOf(this).node.findAll()
      .filter((c): c is ApiObject => ApiObject.isApiObject(c) && c !== this.resource && c.kind === 'ConfigMap' &&
        c.apiVersion === 'v1' && c.metadata.name === PRUNER_CONFIGMAP && c.metadata.namespace === this.namespace)
      .map((c) => problem('name-clash', `keepRuns writes Tekton Pruner's ConfigMap '${PRUNER_CONFIGMAP}' in namespace '${this.namespace}', and ` +
        `${c.node.path} defines one too (the cluster would keep only one of them): remove ${c.node.path} and set keepRuns ` +
        'on each pipeline instead, or leave keepRuns out and keep your own ConfigMap'));
  }
}

/** One entry per name, sorted, with both limits. */
function byName(limits: Map<string, number>) {
  return [...limits].sort(([a], [b]) => compareCodePoints(a, b))
    .map(([name, limit]) => ({ name, successfulHistoryLimit: limit, failedHistoryLimit: limit }));
}

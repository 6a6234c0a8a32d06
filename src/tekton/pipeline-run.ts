import { ApiObjectMetadata, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ParamValue, renderParamValue, valueTypeProblem } from './params';
import { IPipeline, PipelineTimeouts } from './pipeline';
import { WorkspaceBinding } from './workspace-binding';
import * as l1 from '../../imports/tekton.dev';
import { goDuration } from '../internal/duration';
import { crossNamespaceProblems, shortHash, toDnsLabel } from '../internal/names';
import { compareCodePoints } from '../internal/sort';
import { quantityProblem, reference } from '../internal/validation';
import { closest, problem } from '../problems';
import { Resource, fasterL1 } from '../resource';

/** The L1, rendering through renderApiObject: the same object as the generated toJson, faster (see resource.ts). */
const PipelineRunResource = fasterL1(l1.PipelineRun, l1.toJson_PipelineRunProps);

/** What a run of a Pipeline is given: shared by `PipelineRun` and the trigger layer. */
export interface PipelineRunOptions {
  /**
   * The ServiceAccount the TaskRuns run as (`taskRunTemplate.serviceAccountName`), by name (or give `serviceAccount`).
   * @default 'default' (Tekton's default, written out)
   */
  readonly serviceAccountName?: string;
  /**
   * The ServiceAccount the TaskRuns run as: a cdk8s-plus ServiceAccount of the app, or
   * `kplus.ServiceAccount.fromServiceAccountName(…)`. One of this and `serviceAccountName`.
   * @default - as `serviceAccountName`
   */
  readonly serviceAccount?: kplus.IServiceAccount;
  /**
   * What backs each Pipeline workspace.
   * @default - none; a required workspace left unbound is a synth error
   */
  readonly workspaces?: { [name: string]: WorkspaceBinding };
  /**
   * Timeouts of the run. A one-off `PipelineRun` writes Tekton's default `pipeline: 1h0m0s` out when none
   * is set (Flux applies it, and the cluster would add it).
   * @default - the Pipeline's `timeouts`, else Tekton's default (pipeline: 1h)
   */
  readonly timeouts?: PipelineTimeouts;
}

/** Props for `PipelineRun`. */
export interface PipelineRunProps extends PipelineRunOptions {
  /** The Pipeline to run. */
  readonly pipeline: IPipeline;
  /**
   * Values of the Pipeline's params; every param without a default must be given.
   * @default - none
   */
  readonly params?: { [name: string]: ParamValue };
  /**
   * The namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Extra labels and annotations.
   * @default - none
   */
  readonly metadata?: Omit<ApiObjectMetadata, 'name' | 'namespace' | 'generateName'>;
}

/**
 * A one-off run kept in git. Flux applies it with server-side apply, which cannot create an object that
 * has only `generateName`, so its name is derived from its content: `<pipeline>-<hash>`. The same run
 * gets the same name on every synth (its `name`); change a param and it becomes a new run.
 *
 * @see https://tekton.dev/docs/pipelines/pipelineruns/
 */
export class PipelineRun extends Resource {
  /** The L1 object (escape hatch). */
  public readonly resource: l1.PipelineRun;

  constructor(scope: Construct, id: string, props: PipelineRunProps) {
    // Flux applies this run: write the pipeline timeout Tekton would default, so git and cluster agree.
    const options: PipelineRunOptions = { ...props, timeouts: withDefaultTimeout(props.timeouts ?? props.pipeline.timeouts) };
    const spec = renderRunSpec(props.pipeline, options, props.params ?? {});
    // the name is the content's: a Resource is given it, as a `name` prop
    const name = `${toDnsLabel(props.pipeline.name, 63 - 9)}-${shortHash(JSON.stringify(spec))}`;
    super(scope, id, { kind: 'PipelineRun' }, { name, namespace: props.namespace, metadata: props.metadata });
    this.resource = new PipelineRunResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: spec as l1.PipelineRunSpec,
    });
    const account = reference({ kind: 'ServiceAccount', objectProp: 'serviceAccount', nameProp: 'serviceAccountName' },
      props.serviceAccount, props.serviceAccountName);
    this.addValidation(() => [
      ...account.problems,
      ...runProblems(props.pipeline, options, Object.keys(props.params ?? {})),
      ...runParamTypeProblems(props.pipeline, props.params ?? {}),
      ...crossNamespaceProblems('the run', 'Pipeline', props.pipeline.name, props.pipeline.namespace, this.namespace,
        `put the run in '${props.pipeline.namespace}' (its \`namespace\` prop or chart)`),
    ]);
  }
}

/** Renders a PipelineRun spec (params rendered as given; the caller decides what they are). */
export function renderRunSpec(pipeline: IPipeline, options: PipelineRunOptions, params: { [name: string]: ParamValue }) {
  const timeouts = options.timeouts ?? pipeline.timeouts;
  // sorted by name: the output does not depend on the order the props were written in
  const wsEntries = Object.entries(options.workspaces ?? {}).sort(([a], [b]) => compareCodePoints(a, b));
  const paramEntries = Object.entries(params).sort(([a], [b]) => compareCodePoints(a, b));
  return {
    pipelineRef: { name: pipeline.name },
    params: paramEntries.length ? paramEntries.map(([name, value]) => ({ name, value: renderParamValue(value) })) : undefined,
    workspaces: wsEntries.length ? wsEntries.map(([name, binding]) => binding.render(name)) : undefined,
    taskRunTemplate: { serviceAccountName: options.serviceAccount?.name ?? options.serviceAccountName ?? 'default' },
    timeouts: timeouts && {
      pipeline: timeouts.pipeline && goDuration(timeouts.pipeline),
      tasks: timeouts.tasks && goDuration(timeouts.tasks),
      finally: timeouts.finally && goDuration(timeouts.finally),
    },
  };
}

/**
 * Values given to a run's params that do not fit the param's type (Tekton fails such a run at once).
 * @internal
 */
export function runParamTypeProblems(pipeline: IPipeline, params: { [name: string]: ParamValue }): string[] {
  const specs = new Map(pipeline.paramSpecs.map((p) => [p.name, p]));
  return Object.entries(params).flatMap(([name, value]) => {
    const spec = specs.get(name);
    const wrong = spec && valueTypeProblem(spec.type, renderParamValue(value));
    return wrong ? [problem('param-type-mismatch', `param '${name}' of Pipeline '${pipeline.name}' ${wrong}`)] : [];
  });
}

/** Which of a run's problems to report: a FluxTriggeredPipeline reports unbound params its own way and binds workspaces itself. */
export interface RunChecks {
  /** Report params that get no value. @default true */
  readonly unboundParams?: boolean;
  /** Report required workspaces left unbound. @default true */
  readonly unboundWorkspaces?: boolean;
  /** Report given params the Pipeline does not declare. @default true */
  readonly unknownParams?: boolean;
  /** Report bound workspaces the Pipeline does not declare. @default true */
  readonly unknownWorkspaces?: boolean;
}

/**
 * Problems of a run: params without a value, unknown params and workspaces, unbound workspaces, bad timeouts.
 * Shared with `simulate`, which checks the runs a trigger creates as Tekton's reconciler does.
 * @internal
 */
export function runProblems(pipeline: IPipeline, options: PipelineRunOptions, given: string[], how = 'params', checks: RunChecks = {}): string[] {
  const errors: string[] = [];
  const specs = pipeline.paramSpecs;
  const names = new Set(specs.map((p) => p.name));
  for (const p of specs) {
    if (checks.unboundParams !== false && p.default === undefined && !given.includes(p.name)) {
      errors.push(problem('missing-required-param', `Pipeline '${pipeline.name}' param '${p.name}' has no value: give it in ${how} (or a default where it is declared)`));
    }
  }
  for (const g of given) {
    if (checks.unknownParams !== false && !names.has(g)) {
      const close = closest(g, [...names]);
      errors.push(problem('unknown-param', `${how} gives '${g}', but Pipeline '${pipeline.name}' has no such param ` +
        (close ? `(did you mean '${close}'?)` : `(params: ${[...names].join(', ') || 'none'})`)));
    }
  }
  const ws = pipeline.workspaceSpecs;
  const bound = Object.keys(options.workspaces ?? {});
  for (const w of ws) {
    if (checks.unboundWorkspaces !== false && !w.options.optional && !bound.includes(w.name)) {
      errors.push(problem('missing-required-workspace',
        `Pipeline '${pipeline.name}' workspace '${w.name}' is not bound: give it in workspaces, e.g. { '${w.name}': WorkspaceBinding.volumeClaimTemplate() }`));
    }
  }
  for (const b of bound) {
    if (checks.unknownWorkspaces !== false && !ws.some((w) => w.name === b)) {
      errors.push(problem('unknown-workspace',
        `workspaces binds '${b}', but Pipeline '${pipeline.name}' has no such workspace (workspaces: ${ws.map((w) => w.name).join(', ') || 'none'})`));
    }
  }
  for (const [name, binding] of Object.entries(options.workspaces ?? {})) {
    const storage = binding.render(name).volumeClaimTemplate?.spec?.resources?.requests?.storage;
    const bad = storage !== undefined && quantityProblem(`workspace '${name}' storage`, String(storage));
    if (bad) errors.push(bad);
  }
  errors.push(...timeoutProblems(options.timeouts ?? pipeline.timeouts));
  return errors;
}

/**
 * Tekton's default `timeouts.pipeline` (its `default-timeout-minutes`), which it writes into runs that set none.
 * @internal
 */
export const DEFAULT_PIPELINE_TIMEOUT = Duration.hours(1);

/**
 * A run's timeouts with Tekton's default `pipeline` written out, as the admission webhook would store them.
 * @internal
 */
export function withDefaultTimeout(timeouts: PipelineTimeouts | undefined): PipelineTimeouts {
  return { ...timeouts, pipeline: timeouts?.pipeline ?? DEFAULT_PIPELINE_TIMEOUT };
}

/** Tekton rejects a run whose tasks or finally timeout (or both together) exceed its pipeline timeout. */
function timeoutProblems(t: PipelineTimeouts | undefined): string[] {
  if (!t || !(t.tasks || t.finally)) return [];
  const pipeline = t.pipeline ?? DEFAULT_PIPELINE_TIMEOUT;
  const ms = pipeline.toMilliseconds({ integral: false });
  if (ms === 0) return []; // 0: no timeout
  const limit = t.pipeline ? `timeouts.pipeline (${goDuration(pipeline)})` : `Tekton's default timeouts.pipeline (${goDuration(pipeline)})`;
  const tasks = t.tasks?.toMilliseconds({ integral: false }) ?? 0;
  const fin = t.finally?.toMilliseconds({ integral: false }) ?? 0;
  if (tasks + fin <= ms) return [];
  const what = t.tasks && t.finally ? 'timeouts.tasks + timeouts.finally' : t.tasks ? 'timeouts.tasks' : 'timeouts.finally';
  return [problem('invalid-timeouts', `${what} ${t.tasks && t.finally ? 'exceed' : 'exceeds'} ${limit}: Tekton rejects the run, raise timeouts.pipeline or lower the others`)];
}

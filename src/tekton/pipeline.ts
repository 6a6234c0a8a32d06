import { ApiObjectMetadata, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Param, ParamOptions, ParamSpec, ParamType, declareParam, ParamValue, RenderedParamValue, paramSpec, paramSpecProblems, renderParamValue,
  valueTypeProblem,
} from './params';
import { PipelineTask, PipelineTaskOptions } from './pipeline-task';
import { VariableReference, referencesInValue } from './references';
import { ResultType } from './results';
import { OnError } from './step';
import { TEKTON_NAME, contextHint, tektonNameProblem } from './task';
import { Workspace, WorkspaceOptions, declareWorkspace } from './workspaces';
import * as l1 from '../../imports/tekton.dev';
import { durationProblems, goDuration } from '../internal/duration';
import { cachedPerGeneration, touch } from '../internal/generation';
import { lazy } from '../internal/lazy';
import { DNS_LABEL, crossNamespaceProblems, namespaceOf } from '../internal/names';
import { compareCodePoints } from '../internal/sort';
import { CONTEXT_VARIABLES, hasOwn } from '../internal/validation';
import { closest, duplicates, problem, suggest } from '../problems';
import { Resource, ResourceProps, fasterL1, IResource } from '../resource';

/** The L1, rendering through renderApiObject: the same object as the generated toJson, faster (see resource.ts). */
const PipelineResource = fasterL1(l1.Pipeline, l1.toJson_PipelineProps);

/** Default timeouts for runs of a Pipeline (Tekton v1 `PipelineRun.spec.timeouts`). */
export interface PipelineTimeouts {
  /**
   * The whole run.
   * @default - Tekton's default (1h)
   */
  readonly pipeline?: Duration;
  /**
   * All regular tasks together.
   * @default - no separate limit
   */
  readonly tasks?: Duration;
  /**
   * All finally tasks together.
   * @default - no separate limit
   */
  readonly finally?: Duration;
}

/** A Pipeline that runs can refer to: one defined here or one that exists already. */
export interface IPipeline extends IResource {
  /**
   * Its namespace, when known.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /** All params, declared and derived (read at render time: the source of truth for the trigger layer). */
  readonly paramSpecs: ParamSpec[];
  /** All workspaces, declared and derived. */
  readonly workspaceSpecs: Workspace[];
  /**
   * Default timeouts for runs.
   * @default - Tekton's defaults
   */
  readonly timeouts?: PipelineTimeouts;
}

/** Props for `Pipeline`. */
export interface PipelineProps extends ResourceProps {
  /**
   * The Pipeline's `metadata.name`.
   * @default - the construct ids below the chart, joined by '-'
   */
  readonly name?: string;
  /**
   * The namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * A description for the dashboard.
   * @default - none
   */
  readonly description?: string;
  /**
   * A display name for the dashboard.
   * @default - none
   */
  readonly displayName?: string;
  /**
   * Default timeouts for runs (used by `PipelineRun` and `FluxTriggeredPipeline` unless they set their own).
   * @default - Tekton's defaults
   */
  readonly timeouts?: PipelineTimeouts;
  /**
   * Extra labels and annotations.
   * @default - none
   */
  readonly metadata?: Omit<ApiObjectMetadata, 'name' | 'namespace'>;
}

/** Options of a Pipeline result. */
export interface PipelineResultOptions {
  /**
   * What the result holds.
   * @default - none
   */
  readonly description?: string;
  /**
   * The result type.
   * @default ResultType.STRING
   */
  readonly type?: ResultType;
}

/** What the Pipeline derives from its tasks: the single source of truth for everything above it. */
interface Resolution {
  readonly params: ParamSpec[];
  readonly workspaces: Workspace[];
  readonly taskParams: Map<PipelineTask, Array<{ name: string; value: RenderedParamValue }>>;
  readonly taskWorkspaces: Map<PipelineTask, Array<{ name: string; workspace: string }>>;
  readonly runAfter: Map<PipelineTask, string[]>;
  readonly errors: string[];
}

/**
 * A Tekton `Pipeline` (`tekton.dev/v1`). Task params and workspaces that `addTask` does not bind become
 * Pipeline params and workspaces (type, default and description carried over); result references order
 * the tasks.
 *
 * @see https://tekton.dev/docs/pipelines/pipelines/
 */
export class Pipeline extends Resource implements IPipeline {
  /** A Pipeline that exists already; declare its params and workspaces so runs and triggers can be checked. */
  public static fromPipelineName(scope: Construct, id: string, name: string, options: ImportedPipelineOptions = {}): IPipeline {
    return new ImportedPipeline(scope, id, name, options);
  }

  public readonly timeouts?: PipelineTimeouts;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.Pipeline;

  private readonly explicitParams: ParamSpec[] = [];
  private readonly explicitWorkspaces: Workspace[] = [];
  private readonly tasks: PipelineTask[] = [];
  private readonly results: Array<{ name: string; value: string | string[] | { [k: string]: string }; options: PipelineResultOptions }> = [];
  private readonly props: PipelineProps;

  private readonly renderSpec = cachedPerGeneration(this, () => this.computeSpec());

  /** Derives params, workspaces, bindings and edges from the tasks (declare once), once per change. */
  private readonly resolve = cachedPerGeneration(this, () => this.computeResolution());

  constructor(scope: Construct, id: string, props: PipelineProps = {}) {
    super(scope, id, { kind: 'Pipeline' }, props);
    this.props = props;
    this.timeouts = props.timeouts;
    this.resource = new PipelineResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: lazy(() => this.renderSpec()),
    });
    this.addValidation(() => this.validatePipeline());
  }

  /** Declares a Pipeline param explicitly; the reference renders `$(params.<name>)`. */
  public addParam(name: string, options: ParamOptions = {}): Param {
    return declareParam(this, this.explicitParams, name, options);
  }

  /** Declares a Pipeline workspace explicitly (to bind it to Task workspaces of other names). */
  public addWorkspace(name: string, options: WorkspaceOptions = {}): Workspace {
    return declareWorkspace(this, this.explicitWorkspaces, name, options);
  }

  /** Adds a task to the DAG. */
  public addTask(name: string, options: PipelineTaskOptions): PipelineTask {
    touch(this);
    const task = new PipelineTask(name, options, false, this.node.path);
    this.tasks.push(task);
    return task;
  }

  /** Adds a task to `finally`: it runs after all others, whatever their outcome. */
  public addFinally(name: string, options: PipelineTaskOptions): PipelineTask {
    touch(this);
    const task = new PipelineTask(name, options, true, this.node.path);
    this.tasks.push(task);
    return task;
  }

  /** Declares a Pipeline result, e.g. `addResult('digest', build.result('digest'))`. */
  public addResult(name: string, value: ParamValue, options: PipelineResultOptions = {}): void {
    touch(this);
    this.results.push({ name, value: renderParamValue(value), options });
  }

  /** `$(tasks.status)`: the aggregate status of the regular tasks (only in finally tasks). */
  public get tasksStatus(): string {
    return '$(tasks.status)';
  }

  public get paramSpecs(): ParamSpec[] {
    return this.resolve().params;
  }

  public get workspaceSpecs(): Workspace[] {
    return this.resolve().workspaces;
  }

  /** The regular tasks, in the order they were added. */
  public get regularTasks(): PipelineTask[] {
    return this.tasks.filter((t) => !t.isFinally);
  }

  /** The finally tasks, in the order they were added. */
  public get finallyTasks(): PipelineTask[] {
    return this.tasks.filter((t) => t.isFinally);
  }

  private computeSpec(): l1.PipelineSpec {
    const r = this.resolve();
    const render = (t: PipelineTask): l1.PipelineSpecTasks => ({
      name: t.name,
      displayName: t.options.displayName,
      description: t.options.description,
      taskRef: t.options.task.taskRef,
      params: nonEmpty(r.taskParams.get(t)),
      workspaces: nonEmpty(r.taskWorkspaces.get(t)),
      runAfter: nonEmpty(r.runAfter.get(t)),
      retries: t.options.retries,
      timeout: t.options.timeout ? goDuration(t.options.timeout) : undefined,
      when: nonEmpty(t.options.when?.map((w) => w.render())),
      onError: t.options.onError,
    });
    return {
      description: this.props.description,
      displayName: this.props.displayName,
      params: nonEmpty(r.params.map((p) => ({ ...p }))),
      workspaces: nonEmpty(r.workspaces.map((w) => ({ name: w.name, description: w.options.description, optional: w.options.optional }))),
      tasks: this.regularTasks.map(render),
      finally: nonEmpty(this.finallyTasks.map(render)),
      results: nonEmpty(this.results.map((res) => ({
        name: res.name,
        type: res.options.type ?? (Array.isArray(res.value) ? ResultType.ARRAY : typeof res.value === 'object' ? ResultType.OBJECT : ResultType.STRING),
        description: res.options.description,
        value: res.value,
      }))),
    };
  }

  private computeResolution(): Resolution {
    const errors: string[] = [];
    const params = new Map<string, { spec: ParamSpec; owner: string }>();
    for (const p of this.explicitParams) params.set(p.name, { spec: p, owner: 'the Pipeline' });
    const workspaces = new Map<string, Workspace>();
    for (const w of this.explicitWorkspaces) workspaces.set(w.name, w);
    const taskParams = new Map<PipelineTask, Array<{ name: string; value: RenderedParamValue }>>();
    const taskWorkspaces = new Map<PipelineTask, Array<{ name: string; workspace: string }>>();

    for (const t of this.tasks) {
      const task = t.options.task;
      const bound = t.options.params ?? {};
      const rendered: Array<{ name: string; value: RenderedParamValue }> = [];
      for (const p of task.paramSpecs) {
        if (hasOwn(bound, p.name)) {
          const value = renderParamValue(bound[p.name]);
          const wrongType = valueTypeProblem(p.type, value);
          if (wrongType) errors.push(problem('param-type-mismatch', `task '${t.name}' binds param '${p.name}' of Task '${task.displayName}', which ${wrongType}`));
          rendered.push({ name: p.name, value });
          continue;
        }
        const existing = params.get(p.name);
        if (!existing) {
          params.set(p.name, { spec: p, owner: `task '${t.name}'` });
        } else if (existing.spec.type !== p.type) {
          errors.push(problem('param-conflict', `param '${p.name}' is ${existing.spec.type} in ${existing.owner} but ${p.type} in task '${t.name}': ` +
            `rename one of them, or bind it in addTask('${t.name}', { params: { '${p.name}': ... } })`));
        } else if (existing.spec.default !== undefined && p.default !== undefined &&
          JSON.stringify(existing.spec.default) !== JSON.stringify(p.default)) {
          errors.push(problem('param-conflict', `param '${p.name}' has default ${JSON.stringify(existing.spec.default)} in ${existing.owner} but ` +
            `${JSON.stringify(p.default)} in task '${t.name}': give both the same default, or bind it in addTask('${t.name}', { params: { '${p.name}': ... } })`));
        } else if (existing.spec.default === undefined && p.default !== undefined && existing.owner !== 'the Pipeline') {
          params.set(p.name, { spec: { ...existing.spec, default: p.default }, owner: existing.owner });
        }
        rendered.push({ name: p.name, value: p.type === ParamType.STRING ? `$(params.${p.name})` : `$(params.${p.name}[*])` });
      }
      const declared = new Set(task.paramSpecs.map((p) => p.name));
      for (const [name, value] of Object.entries(bound)) {
        if (declared.has(name)) continue;
        if (task.interfaceKnown) {
          errors.push(problem('unknown-param', `task '${t.name}' binds param '${name}', but Task '${task.displayName}' has no such param: ` +
            suggest(name, [...declared], `${task.displayName}.addParam`)));
        } else {
          rendered.push({ name, value: renderParamValue(value) });
        }
      }
      taskParams.set(t, rendered);

      const wsBound = t.options.workspaces ?? {};
      const wsRendered: Array<{ name: string; workspace: string }> = [];
      const taskWs = new Set(task.workspaceSpecs.map((w) => w.name));
      for (const w of task.workspaceSpecs) {
        const given = hasOwn(wsBound, w.name) ? wsBound[w.name] : undefined;
        const target = given === undefined ? w.name : typeof given === 'string' ? given : (given as Workspace).name;
        if (!workspaces.has(target)) {
          workspaces.set(target, new Workspace(target, { description: w.options.description, optional: w.options.optional }));
        } else if (workspaces.get(target)!.options.optional && !w.options.optional && !this.explicitWorkspaces.includes(workspaces.get(target)!)) {
          workspaces.set(target, new Workspace(target, { ...workspaces.get(target)!.options, optional: false }));
        }
        wsRendered.push({ name: w.name, workspace: target });
      }
      for (const [name, target] of Object.entries(wsBound)) {
        if (taskWs.has(name)) continue;
        const targetName = typeof target === 'string' ? target : target.name;
        if (task.interfaceKnown) {
          // A key that is not the Task's is most often a misspelt binding: name the Task's unbound workspaces first.
          const unbound = [...taskWs].filter((w) => !hasOwn(wsBound, w));
          const hint = closest(name, [...taskWs]) !== undefined || !unbound.length ? suggest(name, [...taskWs], `${task.displayName}.addWorkspace`)
            : `it declares ${unbound.map((w) => `'${w}'`).join(', ')}: bind ${unbound.length === 1 ? 'that' : 'one of those'} ` +
              `(workspaces: { '${unbound[0]}': … }), or declare '${name}' with ${task.displayName}.addWorkspace('${name}')`;
          errors.push(problem('unknown-workspace', `task '${t.name}' binds workspace '${name}', but Task '${task.displayName}' has no such workspace: ${hint}`));
        } else {
          if (!workspaces.has(targetName)) workspaces.set(targetName, new Workspace(targetName));
          wsRendered.push({ name, workspace: targetName });
        }
      }
      taskWorkspaces.set(t, wsRendered);
    }

    const runAfter = new Map<PipelineTask, string[]>();
    const byName = new Map(this.tasks.map((t) => [t.name, t]));
    for (const t of this.tasks) {
      if (t.isFinally) continue;
      const deps = new Set<string>((t.options.runAfter ?? []).map((d) => d.name));
      for (const ref of this.taskReferences(t, taskParams.get(t)!)) {
        if (ref.root === 'tasks' && ref.path[1] === 'results' && byName.has(ref.path[0]) && !byName.get(ref.path[0])!.isFinally) {
          deps.add(ref.path[0]);
        }
      }
      // list edges in task order, each once
      runAfter.set(t, this.tasks.filter((x) => deps.has(x.name)).map((x) => x.name)
        .concat([...deps].filter((d) => !byName.has(d))));
    }

    const sorted = [...params.values()].map((p) => p.spec).sort((a, b) => compareCodePoints(a.name, b.name));
    const sortedWs = [...workspaces.values()].sort((a, b) => compareCodePoints(a.name, b.name));
    return { params: sorted, workspaces: sortedWs, taskParams, taskWorkspaces, runAfter, errors };
  }

  private taskReferences(t: PipelineTask, params: Array<{ name: string; value: RenderedParamValue }>): VariableReference[] {
    return [
      ...referencesInValue(params, `tasks.${t.name}.params`),
      ...referencesInValue(t.options.when?.map((w) => w.render()) ?? [], `tasks.${t.name}.when`),
    ];
  }

  private validatePipeline(): string[] {
    const r = this.resolve();
    const errors = [...r.errors];
    for (const k of ['pipeline', 'tasks', 'finally'] as const) errors.push(...durationProblems(`timeouts.${k}`, this.timeouts?.[k]));
    if (this.regularTasks.length === 0) {
      errors.push(problem('no-tasks', `Pipeline '${this.name}' has no tasks: add one with addTask(name, { task })`));
    }
    errors.push(...duplicates('pipeline task', this.tasks.map((t) => t.name)));
    errors.push(...duplicates('pipeline param', this.explicitParams.map((p) => p.name)));
    errors.push(...duplicates('pipeline workspace', this.explicitWorkspaces.map((w) => w.name)));
    errors.push(...duplicates('pipeline result', this.results.map((x) => x.name)));
    for (const p of this.explicitParams) {
      if (!TEKTON_NAME.test(p.name)) errors.push(tektonNameProblem('param', p.name));
      errors.push(...paramSpecProblems(p));
    }
    const byName = new Map(this.tasks.map((t) => [t.name, t]));
    // A name declared twice is reported once, above: the graph checks below would only echo it (a task "not of
    // this Pipeline", a cycle `build → build`).
    const duplicated = new Set(this.tasks.filter((t) => byName.get(t.name) !== t).map((t) => t.name));
    const paramNames = new Set(r.params.map((p) => p.name));
    const wsNames = new Set(r.workspaces.map((w) => w.name));

    for (const t of this.tasks) {
      const where = `${t.isFinally ? 'finally task' : 'task'} '${t.name}'`;
      if (!DNS_LABEL.test(t.name) || t.name.length > 63) {
        errors.push(problem('invalid-name', `${where}: the name is not a DNS label: use lower case letters, digits and '-' (at most 63)`));
      }
      const task = t.options.task;
      errors.push(...crossNamespaceProblems(where, 'Task', task.displayName, task.namespace, this.namespace,
        `define the Task in '${this.namespace}', or refer to it with Task.fromResolver(scope, id, TaskResolver.cluster('${task.displayName}', '${task.namespace}'), …)`));
      if (t.options.onError === OnError.CONTINUE && (t.options.retries ?? 0) > 0) {
        errors.push(problem('conflicting-props', `${where} sets both onError: CONTINUE and retries: Tekton rejects the combination, keep one`));
      }
      if (t.options.retries !== undefined && (!Number.isInteger(t.options.retries) || t.options.retries < 0)) {
        errors.push(problem('invalid-retries', `${where}: retries must be a whole number ≥ 0 (got ${t.options.retries})`));
      }
      errors.push(...durationProblems(`${where} timeout`, t.options.timeout));
      if (t.isFinally && t.options.runAfter?.length) {
        errors.push(problem('invalid-run-after', `${where} sets runAfter, but finally tasks always run after all regular tasks: remove runAfter`));
      }
      for (const dep of t.options.runAfter ?? []) {
        if (duplicated.has(dep.name)) continue;
        if (byName.get(dep.name) !== dep) {
          errors.push(problem('invalid-run-after', `${where} runs after '${dep.name}', which is not a task of this Pipeline (it belongs to ${dep._pipelinePath}): ` +
            'add it here with addTask, or drop it from runAfter'));
        } else if (dep.isFinally) {
          errors.push(problem('invalid-run-after', `${where} runs after finally task '${dep.name}': regular tasks cannot wait for finally tasks`));
        }
      }
      for (const ref of this.taskReferences(t, r.taskParams.get(t)!)) {
        errors.push(...this.checkReference(ref, t, byName, paramNames, wsNames));
      }
    }
    for (const res of this.results) {
      for (const ref of referencesInValue(res.value, `results.${res.name}`)) {
        errors.push(...this.checkReference(ref, undefined, byName, paramNames, wsNames));
      }
    }
    const cycle = duplicated.size ? undefined : findCycle(this.regularTasks.map((t) => t.name), (n) => r.runAfter.get(byName.get(n)!) ?? []);
    if (cycle) {
      errors.push(problem('task-cycle', `tasks form a cycle (each runs after the next): ${cycle.join(' → ')}: remove one of these runAfter edges or result references`));
    }
    return errors;
  }

  private checkReference(ref: VariableReference, t: PipelineTask | undefined, byName: Map<string, PipelineTask>,
    paramNames: Set<string>, wsNames: Set<string>): string[] {
    const [first, second, third] = ref.path;
    const inFinally = t?.isFinally ?? true;
    const at = `${ref.location} references ${ref.text}`;
    const unknown = (text: string) => [problem('unknown-reference', text)];
    const misplaced = (text: string) => [problem('misplaced-reference', text)];
    switch (ref.root) {
      case 'params':
        return paramNames.has(first) ? [] : unknown(`${at}, but the Pipeline has no param '${first}': ${suggest(first, [...paramNames], 'addParam')}`);
      case 'workspaces':
        return wsNames.has(first) ? [] : unknown(`${at}, but the Pipeline has no workspace '${first}': ${suggest(first, [...wsNames], 'addWorkspace')}`);
      case 'context': {
        const name = ['context', ...ref.path].join('.');
        if (CONTEXT_VARIABLES.pipeline.includes(name) || CONTEXT_VARIABLES.task.includes(name)) return [];
        return unknown(`${at}, which Tekton does not substitute in a Pipeline: ${contextHint(name, CONTEXT_VARIABLES.pipeline)}`);
      }
      case 'tasks': {
        if (first === 'status' && second === undefined) {
          return inFinally ? [] : misplaced(`${at}: $(tasks.status) is only available in finally tasks`);
        }
        const target = byName.get(first);
        if (!target) {
          return unknown(`${at}, but the Pipeline has no task '${first}': ${suggest(first, [...byName.keys()], 'addTask')}`);
        }
        if (second === 'status' || second === 'reason') {
          return inFinally ? [] : misplaced(`${at}: a task's status is only available in finally tasks (use runAfter to order tasks)`);
        }
        if (second === 'results') {
          if (target.isFinally && t) {
            return misplaced(`${at}: results of finally task '${first}' cannot be used by other tasks (only by Pipeline results)`);
          }
          const task = target.options.task;
          const noResult = task.interfaceKnown ? unknownResultProblem(at, task.displayName, third, task.resultNames) : undefined;
          if (noResult) return [noResult];
          if (t === target) return misplaced(`${at}: a task cannot use its own result`);
          return [];
        }
        return unknown(`${at}: unknown task variable (use results.<name>, status or reason)`);
      }
      default:
        return misplaced(`${at}, which is not available in a Pipeline (use params, tasks.<name>.results, workspaces.<name>.bound or context)`);
    }
  }
}

/**
 * The problem of a reference (`at`: where, and what it references) to result `result` of Task `task`, which
 * declares `results`; undefined when it declares it. Shared with `simulate`, which checks a run's Pipeline as
 * Tekton's reconciler does.
 * @internal
 */
export function unknownResultProblem(at: string, task: string, result: string | undefined, results: string[]): string | undefined {
  if (result !== undefined && results.includes(result)) return undefined;
  return problem('unknown-reference', `${at}, but Task '${task}' has no result '${result}': ${suggest(result ?? '', results, `${task}.addResult`)}`);
}

/** Options of `Pipeline.fromPipelineName`. */
export interface ImportedPipelineOptions {
  /**
   * The Pipeline's params.
   * @default - none
   */
  readonly params?: { [name: string]: ParamOptions };
  /**
   * The Pipeline's workspaces.
   * @default - none
   */
  readonly workspaces?: { [name: string]: WorkspaceOptions };
  /**
   * Its namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Default timeouts for runs.
   * @default - Tekton's defaults
   */
  readonly timeouts?: PipelineTimeouts;
}

class ImportedPipeline extends Construct implements IPipeline {
  public readonly paramSpecs: ParamSpec[];
  public readonly workspaceSpecs: Workspace[];
  public readonly namespace?: string;
  public readonly timeouts?: PipelineTimeouts;
  constructor(scope: Construct, id: string, public readonly name: string, options: ImportedPipelineOptions) {
    super(scope, id);
    this.paramSpecs = Object.entries(options.params ?? {}).map(([n, o]) => paramSpec(n, o));
    this.workspaceSpecs = Object.entries(options.workspaces ?? {}).map(([n, o]) => new Workspace(n, o));
    this.namespace = namespaceOf(this, options.namespace);
    this.timeouts = options.timeouts;
  }
}

/** Returns a cycle as a list of names (first = last), or undefined. */
export function findCycle(nodes: string[], edges: (n: string) => string[]): string[] | undefined {
  const known = new Set(nodes);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'visiting') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'visiting');
    stack.push(n);
    for (const m of edges(n)) {
      if (!known.has(m)) continue;
      const found = visit(m);
      if (found) return found;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of nodes) {
    const found = visit(n);
    if (found) return found;
  }
  return undefined;
}

function nonEmpty<T>(list: T[] | undefined): T[] | undefined {
  return list && list.length ? list : undefined;
}

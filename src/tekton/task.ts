import { ApiObjectMetadata } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { cachedPerGeneration, touch } from '../internal/generation';
import { lazy } from '../internal/lazy';
import { CONTEXT_VARIABLES, envNameProblem, hasOwn, sizeProblem } from '../internal/validation';
import { closest, duplicates, problem, suggest } from '../problems';
import { Resource, ResourceProps, fasterL1 } from '../resource';
import { Param, ParamOptions, ParamSpec, declareParam, paramSpec, paramSpecProblems, wholeParamProblems } from './params';
import { referencesInValue } from './references';
import { ResultOptions, TaskResult, resultSpec } from './results';
import { MovedScript } from './script-env';
import {
  ContainerProps, SidecarProps, StepProps, StepTemplate, containerProblems, moveContainerReferences, renderSidecar, renderStep, renderStepTemplate,
  resourceProblems,
} from './step';
import { TaskRefSpec, TaskResolver } from './task-resolver';
import { WorkspaceOptions, Workspace, declareWorkspace } from './workspaces';
import * as l1 from '../../imports/tekton.dev';
import { durationProblems } from '../internal/duration';

/** The L1, rendering through renderApiObject: the same object as the generated toJson, faster (see resource.ts). */
const TaskResource = fasterL1(l1.Task, l1.toJson_TaskProps);

/** Tekton's rule for param, workspace and result names. */
export const TEKTON_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

/** The params, workspaces and results a Task declares: what a Pipeline needs to bind it. */
export interface TaskInterface {
  /**
   * The Task's params.
   * @default - none
   */
  readonly params?: { [name: string]: ParamOptions };
  /**
   * The Task's workspaces.
   * @default - none
   */
  readonly workspaces?: { [name: string]: WorkspaceOptions };
  /**
   * The Task's results.
   * @default - none
   */
  readonly results?: { [name: string]: ResultOptions };
}

/** A Task a Pipeline can run: one defined here, one that exists already, or one fetched by a resolver. */
export interface ITask extends IConstruct {
  /** The `taskRef` a Pipeline renders. */
  readonly taskRef: TaskRefSpec;
  /** A short name for messages and for default pipeline task names. */
  readonly displayName: string;
  /** The declared params (read when the Pipeline renders, so late additions count). */
  readonly paramSpecs: ParamSpec[];
  /** The declared workspaces. */
  readonly workspaceSpecs: Workspace[];
  /** The declared result names. */
  readonly resultNames: string[];
  /**
   * Whether the declared interface is complete. An imported Task given no interface is `false`:
   * its bindings are passed through unchecked.
   */
  readonly interfaceKnown: boolean;
  /**
   * The namespace the Task is in, when a Pipeline's `taskRef` must find it there (a Task defined here, or
   * imported by name with a namespace).
   * @default - not known, or not namespace-bound (a resolver reference)
   */
  readonly namespace?: string;
}

/**
 * Options of `Task.fromTaskName`. Give `params`, `workspaces` or `results` (an empty one, e.g. `params: {}`,
 * counts) to have Pipelines check their bindings; with none of the three, bindings are passed through unchecked.
 */
export interface ImportedTaskOptions extends TaskInterface {
  /**
   * The namespace the Task is in (a Pipeline finds Tasks by name only in its own namespace).
   * @default - not checked
   */
  readonly namespace?: string;
}

/** Props for `Task`. */
export interface TaskProps extends ResourceProps {
  /**
   * The Task's `metadata.name`.
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
   * Steps to start with (more with `addStep`).
   * @default - none
   */
  readonly steps?: StepProps[];
  /**
   * The template every step starts from.
   * @default - none
   */
  readonly stepTemplate?: StepTemplate;
  /**
   * Sidecars that run beside the steps.
   * @default - none
   */
  readonly sidecars?: SidecarProps[];
  /**
   * Pod volumes the steps and sidecars can mount with `volumeMounts` (by the volume's name): cdk8s-plus volumes,
   * e.g. `kplus.Volume.fromPersistentVolumeClaim(…)`, `kplus.Volume.fromSecret(scope, id, kplus.Secret.fromSecretName(…))`,
   * `kplus.Volume.fromEmptyDir(…)`.
   * @default - none
   */
  readonly volumes?: kplus.Volume[];
  /**
   * Extra labels and annotations.
   * @default - none
   */
  readonly metadata?: Omit<ApiObjectMetadata, 'name' | 'namespace'>;
}

/**
 * A Tekton `Task` (`tekton.dev/v1`). Declare params, workspaces and results on it once; a Pipeline that
 * runs it declares whatever it does not bind.
 *
 * ```ts
 * const test = new Task(chart, 'unit-test');
 * const revision = test.addParam('revision');
 * const source = test.addWorkspace('source');
 * test.addStep({ name: 'test', image: 'node:20', script: `cd ${source.path} && git checkout ${revision} && npm test` });
 * ```
 *
 * @see https://tekton.dev/docs/pipelines/tasks/
 */
export class Task extends Resource implements ITask {
  /**
   * A Task that exists in the cluster already, by name; declare its interface so Pipelines can bind it
   * (an imported Task given no params, workspaces or results has its bindings passed through unchecked).
   */
  public static fromTaskName(scope: Construct, id: string, taskName: string, options?: ImportedTaskOptions): ITask {
    const declared = options && ('params' in options || 'workspaces' in options || 'results' in options);
    return new ImportedTask(scope, id, { name: taskName, kind: 'Task' }, taskName, declared ? options : undefined, options?.namespace);
  }

  /**
   * A Task fetched by a Tekton resolver (git, hub, bundles, cluster), e.g. the catalog's git-clone.
   * Declare its interface so Pipelines can bind it and the declare-once rules apply.
   */
  public static fromResolver(scope: Construct, id: string, resolver: TaskResolver, taskInterface?: TaskInterface): ITask {
    return new ImportedTask(scope, id, resolver.taskRef, resolver.displayName, taskInterface);
  }

  /** The L1 object (escape hatch: `ApiObject.of(task.resource)`). */
  public readonly resource: l1.Task;

  private readonly _params: ParamSpec[] = [];
  private readonly _workspaces: Workspace[] = [];
  private readonly _results: Array<{ name: string; options: ResultOptions }> = [];
  private readonly _steps: StepProps[] = [];
  private readonly _sidecars: SidecarProps[];
  private readonly props: TaskProps;

  /** The spec, rendered once per change (validation and synthesis both read it). */
  private readonly renderSpec = cachedPerGeneration(this, () => this.computeSpec());

  /** Each step's and sidecar's script with its references moved to env, once per change (the spec and validation read it). */
  private readonly movedScripts = cachedPerGeneration(this, () => new Map<ContainerProps, MovedScript>());

  constructor(scope: Construct, id: string, props: TaskProps = {}) {
    super(scope, id, { kind: 'Task' }, props);
    this.props = props;
    this._sidecars = [...(props.sidecars ?? [])];
    for (const step of props.steps ?? []) this.addStep(step);

    this.resource = new TaskResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: lazy(() => this.renderSpec()),
    });
    this.addValidation(() => this.validateTask());
  }

  public get taskRef(): TaskRefSpec {
    return { name: this.name, kind: 'Task' };
  }

  public get displayName(): string {
    return this.name;
  }

  public get interfaceKnown(): boolean {
    return true;
  }

  public get paramSpecs(): ParamSpec[] {
    return [...this._params];
  }

  public get workspaceSpecs(): Workspace[] {
    return [...this._workspaces];
  }

  public get resultNames(): string[] {
    return this._results.map((r) => r.name);
  }

  /** Declares a param; the returned reference renders `$(params.<name>)`. */
  public addParam(name: string, options: ParamOptions = {}): Param {
    return declareParam(this, this._params, name, options);
  }

  /** Declares a workspace; the returned reference renders `$(workspaces.<name>.path)`. */
  public addWorkspace(name: string, options: WorkspaceOptions = {}): Workspace {
    return declareWorkspace(this, this._workspaces, name, options);
  }

  /** Declares a result; the returned reference renders `$(results.<name>.path)` (the file to write it to). */
  public addResult(name: string, options: ResultOptions = {}): TaskResult {
    touch(this);
    this._results.push({ name, options });
    return new TaskResult(name, options);
  }

  /** Appends a step. */
  public addStep(step: StepProps): void {
    touch(this);
    this._steps.push(step);
  }

  /** Appends a sidecar. */
  public addSidecar(sidecar: SidecarProps): void {
    touch(this);
    this._sidecars.push(sidecar);
  }

  private computeSpec(): l1.TaskSpec {
    return {
      description: this.props.description,
      displayName: this.props.displayName,
      params: this._params.length ? this._params.map((p) => ({ ...p })) : undefined,
      workspaces: this._workspaces.length ? this._workspaces.map((w) => ({
        name: w.name,
        description: w.options.description,
        optional: w.options.optional,
        readOnly: w.options.readOnly,
        mountPath: w.options.mountPath,
      })) : undefined,
      results: this._results.length ? this._results.map((r) => resultSpec(r.name, r.options)) : undefined,
      stepTemplate: renderStepTemplate(this.props.stepTemplate),
      steps: this._steps.map((s) => renderStep(s, false, this.movedOf(s))),
      sidecars: this._sidecars.length ? this._sidecars.map((s) => renderSidecar(s, false, this.movedOf(s))) : undefined,
      // the L1 leaves volumes untyped (Tekton's CRD keeps them open); cdk8s-plus's own rendering (the one its Pods
      // use), then Kubernetes' converter
      volumes: this.props.volumes?.map((v) => kplus.k8s.toJson_Volume(v._toKube())),
    };
  }

  private movedOf(c: ContainerProps): MovedScript {
    const moved = this.movedScripts();
    let m = moved.get(c);
    if (!m) {
      m = moveContainerReferences(c);
      moved.set(c, m);
    }
    return m;
  }

  private validateTask(): string[] {
    const errors: string[] = [];
    const size = sizeProblem(`Task '${this.name}'`, this.renderSpec());
    if (size) errors.push(size);
    if (this._steps.length === 0) {
      errors.push(problem('no-steps', `Task '${this.name}' has no steps: add one with addStep({ name, image, script })`));
    }
    errors.push(...duplicates('step', this._steps.map((s) => s.name)));
    errors.push(...duplicates('param', this._params.map((p) => p.name)));
    errors.push(...duplicates('workspace', this._workspaces.map((w) => w.name)));
    errors.push(...duplicates('result', this._results.map((r) => r.name)));
    errors.push(...duplicates('sidecar', this._sidecars.map((s) => s.name)));
    const volumes = (this.props.volumes ?? []).map((v) => v.name);
    errors.push(...resourceProblems('stepTemplate', this.props.stepTemplate?.computeResources));
    errors.push(...Object.keys(this.props.stepTemplate?.env ?? {}).map((n) => envNameProblem('stepTemplate', n)).filter((p): p is string => !!p));
    for (const step of this._steps) {
      errors.push(...containerProblems('step', step, volumes, this.movedOf(step)));
      errors.push(...resourceProblems(`step '${step.name}'`, step.computeResources));
      errors.push(...durationProblems(`step '${step.name}' timeout`, step.timeout));
      if (!step.script && !step.command && !step.args) {
        errors.push(problem('missing-prop', `step '${step.name}' does nothing: set 'script', or 'command'/'args'`));
      }
    }
    for (const sidecar of this._sidecars) errors.push(...containerProblems('sidecar', sidecar, volumes, this.movedOf(sidecar)));
    for (const p of this._params) {
      if (!TEKTON_NAME.test(p.name)) errors.push(tektonNameProblem('param', p.name));
      errors.push(...paramSpecProblems(p));
    }
    for (const w of this._workspaces) {
      if (!TEKTON_NAME.test(w.name)) errors.push(tektonNameProblem('workspace', w.name));
    }
    errors.push(...this.validateReferences());
    return errors;
  }

  private validateReferences(): string[] {
    const errors: string[] = [];
    const params = new Map(this._params.map((p) => [p.name, p]));
    const workspaces = new Set(this._workspaces.map((w) => w.name));
    const results = new Set(this._results.map((r) => r.name));
    const spec = this.renderSpec();
    // references are reported where the author wrote them (the rendered spec moved script params to env)
    const steps = this._steps.map((s) => renderStep(s, true));
    const sidecars = this._sidecars.length ? this._sidecars.map((s) => renderSidecar(s, true)) : undefined;
    errors.push(...wholeParamProblems(steps, this._params));
    for (const ref of referencesInValue({ steps, stepTemplate: spec.stepTemplate, sidecars, volumes: spec.volumes })) {
      const [first] = ref.path;
      if (ref.root === 'params' && !params.has(first)) {
        errors.push(problem('unknown-reference', `${ref.location} references ${ref.text}, but the Task has no param '${first}': ${suggest(first, [...params.keys()], 'addParam')}`));
      } else if (ref.root === 'params' && ref.path.length > 1) {
        const spec2 = params.get(first)!;
        if (spec2.type === 'object' && !hasOwn(spec2.properties, ref.path[1])) {
          errors.push(problem('unknown-reference',
            `${ref.location} references ${ref.text}, but object param '${first}' has no key '${ref.path[1]}' (keys: ${Object.keys(spec2.properties ?? {}).join(', ')})`));
        }
      } else if (ref.root === 'workspaces' && !workspaces.has(first)) {
        errors.push(problem('unknown-reference', `${ref.location} references ${ref.text}, but the Task has no workspace '${first}': ${suggest(first, [...workspaces], 'addWorkspace')}`));
      } else if (ref.root === 'results' && !results.has(first)) {
        errors.push(problem('unknown-reference', `${ref.location} references ${ref.text}, but the Task has no result '${first}': ${suggest(first, [...results], 'addResult')}`));
      } else if (ref.root === 'context' && !CONTEXT_VARIABLES.task.includes(['context', ...ref.path].join('.'))) {
        const name = ['context', ...ref.path].join('.');
        errors.push(problem('unknown-reference', `${ref.location} references ${ref.text}, which Tekton does not substitute in a Task: ` +
          contextHint(name, CONTEXT_VARIABLES.task)));
      } else if (ref.root === 'tasks' || ref.root === 'tt') {
        errors.push(problem('misplaced-reference', `${ref.location} references ${ref.text}, which is not available inside a Task: pass it in as a param`));
      }
    }
    return errors;
  }
}

/**
 * A param or workspace name Tekton refuses (`TEKTON_NAME`).
 * @internal
 */
export function tektonNameProblem(what: 'param' | 'workspace', name: string): string {
  return problem('invalid-name', `${what} name '${name}' is invalid: start with a letter or '_', then letters, digits, '_' or '-'`);
}

/**
 * What to write instead of an unknown `$(context.…)` variable: the nearest of `known`, else all of them.
 * @internal
 */
export function contextHint(name: string, known: string[]): string {
  const close = closest(name, known);
  return close ? `did you mean $(${close})?` : `use one of ${known.map((v) => `$(${v})`).join(', ')}`;
}

/** A Task defined outside this app. */
class ImportedTask extends Construct implements ITask {
  public readonly interfaceKnown: boolean;
  public readonly paramSpecs: ParamSpec[];
  public readonly workspaceSpecs: Workspace[];
  public readonly resultNames: string[];

  constructor(scope: Construct, id: string, public readonly taskRef: TaskRefSpec, public readonly displayName: string,
    iface?: TaskInterface, public readonly namespace?: string) {
    super(scope, id);
    this.interfaceKnown = iface !== undefined;
    this.paramSpecs = Object.entries(iface?.params ?? {}).map(([n, o]) => paramSpec(n, o));
    this.workspaceSpecs = Object.entries(iface?.workspaces ?? {}).map(([n, o]) => new Workspace(n, o));
    this.resultNames = Object.keys(iface?.results ?? {});
  }
}

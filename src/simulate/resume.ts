/**
 * Resume a failed (or cancelled) PipelineRun where it failed: a new run of the same resolved pipeline in
 * which only what did not succeed runs again, fed the results the earlier tasks produced, on the volumes the
 * failed run used. Tekton has no such feature (tektoncd/pipeline#50); this builds the run from what the
 * cluster returns: `kubectl get pipelinerun <run> -n <ns> -o yaml` (its `status.pipelineSpec` and
 * `status.childReferences`) and `kubectl get taskruns -n <ns> -l tekton.dev/pipelineRun=<run> -o yaml` (each
 * task's outcome, results and volumes).
 */
import { JsonMap, isMap, stringAt } from './json';
import { RERUN_OF_ANNOTATION, carriedMetadata, runCommand, what } from './rerun';
import { referencesIn, referencesInValue } from '../tekton/references';

/** The annotation that names the run a resumed run continues. */
export const RESUME_OF_ANNOTATION = 'cdk8s-tekton-flux/resume-of';

/** Options of `resumeOf`. */
export interface ResumeOptions {
  /**
   * Run this pipeline task and everything after it again (those that run after it, or use its results),
   * even if they succeeded.
   * @default - the tasks that did not succeed, and those after them
   */
  readonly from?: string;
}

/** A pipeline task of a run's `status.pipelineSpec`, as `checkRun` checked it. */
interface PipelineTaskShape extends JsonMap {
  readonly name: string;
  readonly runAfter?: string[];
  readonly params?: JsonMap[];
  readonly when?: JsonMap[];
  readonly workspaces?: JsonMap[];
}

/** A run's `status.pipelineSpec`, as `checkRun` checked it. */
interface PipelineSpecShape extends JsonMap {
  readonly tasks?: PipelineTaskShape[];
  readonly finally?: PipelineTaskShape[];
  readonly results?: JsonMap[];
}

/** One of a run's `status.childReferences`, as `checkRun` checked it. */
interface ChildReference extends JsonMap {
  readonly kind: string;
  readonly name: string;
  readonly pipelineTaskName: string;
}

/** A workspace binding of a run, as `checkRun` checked it. */
type BindingShape = JsonMap & { readonly name: string };

/** A PipelineRun as kubectl prints it, with the parts `resumeOf` reads checked by `checkRun`. */
interface RunShape extends JsonMap {
  readonly metadata: JsonMap & { readonly name: string };
  readonly spec?: JsonMap & { readonly workspaces?: BindingShape[] };
  readonly status?: JsonMap & {
    readonly conditions?: JsonMap[];
    readonly childReferences?: ChildReference[];
    readonly pipelineSpec?: PipelineSpecShape;
  };
}

/** A TaskRun as kubectl prints it, with the parts `resumeOf` reads checked by `taskRunsByTask`. */
interface TaskRunShape extends JsonMap {
  readonly metadata: JsonMap & { readonly name: string; readonly labels: { readonly [key: string]: string } };
  readonly spec?: JsonMap & { readonly workspaces?: JsonMap[] };
  readonly status?: JsonMap & { readonly conditions?: JsonMap[]; readonly results?: Array<JsonMap & { readonly name: string }> };
}

/** The Succeeded condition's status: `True`, `False`, `Unknown`, or undefined when there is none. */
const outcome = (o: RunShape | TaskRunShape): string | undefined => {
  const status = (o.status?.conditions ?? []).find((c) => c.type === 'Succeeded')?.status;
  return status === undefined ? undefined : String(status);
};

/** The command that prints the TaskRuns of `run` in `namespace`, as `resume` reads them. */
const taskRunsCommand = (run: string, namespace: string) => `kubectl get taskruns -n ${namespace} -l tekton.dev/pipelineRun=${run} -o yaml`;

/** Checks the shape of the values `resumeOf` reads, so that malformed input is named rather than a TypeError. */
class Shape {
  constructor(private readonly owner: string, private readonly fix: string) {}
  private fail(where: string, value: unknown, want: string): never {
    throw new Error(`${this.owner}: ${where} is ${value === undefined ? 'missing' : `${what(value)}, not ${want}`}: ${this.fix}`);
  }
  /** A list (missing: empty). */
  list(value: unknown, where: string): unknown[] {
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : this.fail(where, value, 'a list');
  }
  /** A list of maps (missing: empty). */
  maps(value: unknown, where: string): JsonMap[] {
    return this.list(value, where).map((item, i) => this.map(item, `${where}[${i}]`));
  }
  map(value: unknown, where: string, optional = true): JsonMap {
    if (optional && (value === undefined || value === null)) return {};
    return isMap(value) ? value : this.fail(where, value, 'a map');
  }
  string(value: unknown, where: string): string {
    return typeof value === 'string' && value !== '' ? value : this.fail(where, value, 'a non-empty string');
  }
  /** A list of strings (missing: empty). */
  strings(value: unknown, where: string): string[] {
    return this.list(value, where).map((item, i) => this.string(item, `${where}[${i}]`));
  }
}

/** Checks the parts of a run that `resumeOf` reads; returns it (as checked), its name and namespace. */
function checkRun(run: unknown): { run: RunShape; name: string; namespace: string } {
  if (!isMap(run) || run.kind !== 'PipelineRun' || !/^tekton\.dev\//.test(String(run.apiVersion))) {
    throw new Error(`${isMap(run) && run.kind ? run.kind : 'the input'} is not a Tekton PipelineRun: give the run as kubectl prints it (${runCommand(undefined)})`);
  }
  const metadata = isMap(run.metadata) ? run.metadata : {};
  const shape = new Shape(`PipelineRun ${typeof metadata.name === 'string' ? metadata.name : ''}`.trim(), `give the run as kubectl prints it (${runCommand(metadata)})`);
  shape.map(run.metadata, 'metadata', false);
  const name = shape.string(metadata.name, 'metadata.name');
  shape.maps(shape.map(run.spec, 'spec').workspaces, 'spec.workspaces').forEach((w, i) => shape.string(w.name, `spec.workspaces[${i}].name`));
  const status = shape.map(run.status, 'status');
  shape.maps(status.conditions, 'status.conditions');
  shape.maps(status.childReferences, 'status.childReferences').forEach((c, i) => {
    shape.string(c.kind, `status.childReferences[${i}].kind`);
    shape.string(c.name, `status.childReferences[${i}].name`);
    shape.string(c.pipelineTaskName, `status.childReferences[${i}].pipelineTaskName`);
  });
  if (status.pipelineSpec !== undefined) {
    const spec = shape.map(status.pipelineSpec, 'status.pipelineSpec');
    for (const part of ['tasks', 'finally']) {
      shape.maps(spec[part], `status.pipelineSpec.${part}`).forEach((t, i) => {
        const at = `status.pipelineSpec.${part}[${i}]`;
        shape.string(t.name, `${at}.name`);
        shape.strings(t.runAfter, `${at}.runAfter`);
        shape.maps(t.params, `${at}.params`);
        shape.maps(t.when, `${at}.when`);
        shape.maps(t.workspaces, `${at}.workspaces`);
      });
    }
    shape.maps(spec.results, 'status.pipelineSpec.results');
  }
  // every part resumeOf reads is checked above
  return { run: run as RunShape, name, namespace: typeof metadata.namespace === 'string' ? metadata.namespace : '<namespace>' };
}

/**
 * The TaskRuns of `run`, by pipeline task, checked against the run's `status.childReferences`: every TaskRun
 * it names is given, once, and nothing else is (not another run's, nor those of a run of the same name in
 * another namespace or one deleted and created again). A task it does not name never started: it runs again.
 */
function taskRunsByTask(run: RunShape, taskRuns: unknown[], name: string, namespace: string): Map<string, TaskRunShape[]> {
  const command = taskRunsCommand(name, namespace);
  const children = run.status?.childReferences ?? [];
  const others = children.filter((c) => c.kind !== 'TaskRun');
  if (others.length) {
    throw new Error(`PipelineRun ${name}: task '${others[0].pipelineTaskName}' ran as a ${others[0].kind} (${others[0].name}), whose outcome resume does not read: ` +
      'use rerun to run the pipeline again from the start');
  }
  const referenced = new Map(children.map((c) => [c.name, c]));
  const given = new Map<string, TaskRunShape>();
  taskRuns.forEach((input, i) => {
    const tr = isMap(input) ? input : undefined;
    const trName = isMap(tr?.metadata) && typeof tr.metadata.name === 'string' ? tr.metadata.name : `number ${i + 1}`;
    const shape = new Shape(`TaskRun ${trName}`, `give the run's TaskRuns as kubectl prints them (${command})`);
    const metadata = shape.map(tr?.metadata, 'metadata', false);
    shape.string(metadata.name, 'metadata.name');
    const labels = shape.map(metadata.labels, 'metadata.labels');
    shape.string(labels['tekton.dev/pipelineRun'], "the label 'tekton.dev/pipelineRun'");
    shape.string(labels['tekton.dev/pipelineTask'], "the label 'tekton.dev/pipelineTask'");
    shape.maps(shape.map(tr?.spec, 'spec').workspaces, 'spec.workspaces');
    const status = shape.map(tr?.status, 'status');
    shape.maps(status.conditions, 'status.conditions');
    shape.maps(status.results, 'status.results').forEach((r, j) => shape.string(r.name, `status.results[${j}].name`));

    const ofRun = String(labels['tekton.dev/pipelineRun']);
    if (ofRun !== name) {
      throw new Error(`TaskRun ${trName} is a TaskRun of PipelineRun ${ofRun}, not of ${name}: give only the TaskRuns of ${name} (${command})`);
    }
    if (typeof metadata.namespace === 'string' && typeof run.metadata.namespace === 'string' && metadata.namespace !== run.metadata.namespace) {
      throw new Error(`TaskRun ${trName} is in namespace ${metadata.namespace}, but PipelineRun ${name} is in ${run.metadata.namespace}: ` +
        `these are the TaskRuns of a run of the same name in another namespace. Give the ones in ${run.metadata.namespace} (${command})`);
    }
    const owner = shape.maps(metadata.ownerReferences, 'metadata.ownerReferences').find((o) => o.kind === 'PipelineRun');
    if (owner?.uid && run.metadata.uid && owner.uid !== run.metadata.uid) {
      throw new Error(`TaskRun ${trName} belongs to a PipelineRun ${owner.name ?? ''} of uid ${owner.uid}, but ${name} has uid ${run.metadata.uid}: ` +
        `it is a TaskRun of another run of the same name (in another namespace, or one deleted and created again). Give the TaskRuns of this run (${command})`);
    }
    if (given.has(trName)) throw new Error(`TaskRun ${trName} is given twice: give each TaskRun once (${command})`);
    given.set(trName, input as TaskRunShape); // every part resumeOf reads is checked above
  });

  for (const [trName, tr] of given) {
    const task = tr.metadata.labels['tekton.dev/pipelineTask'];
    const child = referenced.get(trName);
    if (child && child.pipelineTaskName === task) continue;
    if (child) {
      throw new Error(`TaskRun ${trName} is labelled for pipeline task '${task}', but PipelineRun ${name}'s status.childReferences has it for ` +
        `'${child.pipelineTaskName}': give the run and its TaskRuns as kubectl prints them (${command})`);
    }
    const other = children.find((c) => c.pipelineTaskName === task);
    if (other) {
      throw new Error(`two TaskRuns for pipeline task '${task}': ${other.name} and ${trName}, of which PipelineRun ${name}'s status.childReferences ` +
        `names only ${other.name}. Give the TaskRuns of this run only, each once (${command})`);
    }
    throw new Error(`TaskRun ${trName} is not one of PipelineRun ${name}'s (its status.childReferences does not name it): ` +
      `give the run as it is now and its TaskRuns (${runCommand(run.metadata)}; ${command})`);
  }
  const missing = children.filter((c) => !given.has(c.name));
  if (missing.length && given.size === 0) {
    throw new Error(`no TaskRuns of PipelineRun ${name} were given, but it ran ${children.length} (${children.map((c) => c.name).join(', ')}); ` +
      `without them resume cannot tell which tasks succeeded. Give them, from the run's namespace (kubectl get taskruns without -n reads the current one): ${command}`);
  }
  if (missing.length) {
    throw new Error(`the TaskRuns of ${missing.map((c) => `'${c.pipelineTaskName}' (${c.name})`).join(', ')} are missing: ` +
      `PipelineRun ${name} ran them (its status.childReferences names them). Give all its TaskRuns: ${command}`);
  }
  const byTask = new Map<string, TaskRunShape[]>();
  for (const c of children) byTask.set(c.pipelineTaskName, [...(byTask.get(c.pipelineTaskName) ?? []), given.get(c.name)!]);
  return byTask;
}

/**
 * A new PipelineRun that continues `run` (see the module doc). `taskRuns` are the run's TaskRuns, as
 * `kubectl get taskruns -n <ns> -l tekton.dev/pipelineRun=<run> -o yaml` prints them. Throws, saying why and
 * what to do instead, where resuming cannot be right: the run is still running, succeeded, or has no resolved
 * pipeline in its status; the TaskRuns are not exactly the ones its status names; a result a kept task needs
 * was not written, or holds a Tekton reference (`$(…)`) that Tekton would substitute again; a kept task needs
 * files an earlier task wrote to a workspace that did not outlive it (`emptyDir`); the input is not shaped as
 * kubectl prints it.
 */
export function resumeOf(input: unknown, taskRuns: unknown[], options: ResumeOptions = {}): JsonMap {
  const { run, name, namespace } = checkRun(input);
  if (run.status === undefined) {
    throw new Error(`PipelineRun ${name} has no status: give it as the cluster returns it, with its status (${runCommand(run.metadata)})`);
  }
  const state = outcome(run);
  if (state !== 'True' && state !== 'False') {
    const stopping = /^(Cancelled|CancelledRunFinally|StoppedRunFinally)$/.test(String(run.spec?.status ?? ''));
    throw new Error(`PipelineRun ${name} has not finished (its Succeeded condition is ${state ?? 'not set'}${run.status?.completionTime ? '' : ', no status.completionTime'}): ` +
      'resuming it now would start a second run on the same volume. ' +
      (stopping
        ? `It is being stopped (spec.status ${run.spec?.status}): wait until it has finished (kubectl get pipelinerun ${name} -n ${namespace} -w), then resume it`
        : `Wait until it has finished (kubectl get pipelinerun ${name} -n ${namespace} -w), or cancel it first: ` +
          `kubectl patch pipelinerun ${name} -n ${namespace} --type merge -p '{"spec":{"status":"Cancelled"}}'`));
  }
  const spec = run.status?.pipelineSpec;
  if (!spec?.tasks?.length) throw new Error(`PipelineRun ${name} has no status.pipelineSpec: it never started, so there is nothing to resume (use rerun)`);
  if (state === 'True' && !options.from) throw new Error(`PipelineRun ${name} succeeded: there is nothing to resume (resume from a task to run it and those after it again)`);

  const byTask = taskRunsByTask(run, taskRuns, name, namespace);
  const succeeded = (task: string) => (byTask.get(task) ?? []).length > 0 && byTask.get(task)!.every((tr) => outcome(tr) === 'True');
  const tasks = spec.tasks;
  const names = new Set(tasks.map((t) => t.name));
  if (options.from && !names.has(options.from)) {
    throw new Error(`task '${options.from}' to resume from: the pipeline has no task '${options.from}' (tasks: ${[...names].join(', ')})`);
  }

  // A task runs again when it did not succeed (or never started), when it is the --from task, or when a task it
  // needs runs again.
  const needs = (t: PipelineTaskShape): string[] => [...new Set([
    ...(t.runAfter ?? []),
    ...referencesIn(JSON.stringify([t.params ?? [], t.when ?? []])).filter((r) => r.root === 'tasks' && names.has(r.path[0])).map((r) => r.path[0]),
  ])];
  const again = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of tasks) {
      if (again.has(t.name)) continue;
      if (!succeeded(t.name) || t.name === options.from || needs(t).some((n) => again.has(n))) {
        again.add(t.name);
        grew = true;
      }
    }
  }
  if (again.size === 0) throw new Error(`PipelineRun ${name}: every task succeeded; only finally tasks failed. Use rerun, or resume from a task`);
  const done = new Set([...names].filter((n) => !again.has(n)));

  // The value a task that is not run again produced for `result`: refused where it cannot stand in the new spec.
  const resultOf = (task: string, result: string, ref: string, where: string): unknown => {
    const runs = byTask.get(task)!;
    if (runs.length > 1) {
      throw new Error(`${where} uses ${ref}, but '${task}' ran as ${runs.length} TaskRuns (a matrix), whose results are not one value: ` +
        `resume from '${task}' so that it runs again`);
    }
    const found = (runs[0].status?.results ?? []).find((r) => r.name === result);
    if (!found) {
      throw new Error(`${where} uses ${ref}, but the TaskRun of '${task}' has no result '${result}': ` +
        `resume from '${task}' so that it runs again`);
    }
    // Tekton has no escape for $(…) (docs/variables.md: "Tekton does not escape the contents of variables";
    // pkg/substitution replaces every `$(name)` it knows, and tektoncd/pipeline#4931 asking for one is open): a
    // value holding a reference, written into the new spec, would be substituted again (or fail validation).
    const live = referencesInValue(found.value);
    if (live.length) {
      throw new Error(`${where} uses ${ref}, and the value '${task}' produced holds ${live[0].text}: written into the new pipeline, ` +
        `Tekton would substitute it again (Tekton has no escape for $(…)). Resume from '${task}' so that it runs again ` +
        'and Tekton passes its result itself');
    }
    return found.value;
  };
  // References to the results (and status) of tasks that are not run again become the values they had.
  const substitute = (value: unknown, where: string): unknown => {
    if (typeof value === 'string') {
      // Each reference is replaced in the text as written (never in a value already put in), as Tekton does.
      const values = new Map<string, unknown>();
      for (const ref of referencesIn(value)) {
        const [task, kind, result] = ref.path;
        if (ref.root !== 'tasks' || !done.has(task) || values.has(ref.text)) continue;
        if (kind === 'status') values.set(ref.text, 'Succeeded');
        else if (kind === 'results') values.set(ref.text, resultOf(task, result, ref.text, where));
      }
      if (values.size === 0) return value;
      const [[text, produced]] = [...values];
      if (typeof produced !== 'string' && (value === text || value === text.replace(/\)$/, '[*])'))) return produced; // a whole array or object
      for (const [ref, v] of values) {
        if (typeof v !== 'string') throw new Error(`${where} uses ${ref} inside a string, but it is not a string result: resume from '${ref.split('.')[1]}'`);
      }
      return value.replace(/\$\([^()]*\)/g, (m) => (values.has(m) ? values.get(m) as string : m));
    }
    if (Array.isArray(value)) return value.map((v, i) => substitute(v, `${where}[${i}]`));
    if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, `${where}.${k}`)]));
    return value;
  };
  const kept = tasks.filter((t) => again.has(t.name)).map((t) => {
    const task = {
      ...(substitute(t, `task '${t.name}'`) as JsonMap), // a map in, a map out
      ...(t.runAfter ? { runAfter: t.runAfter.filter((n) => again.has(n)) } : {}),
    };
    if (task.runAfter?.length !== 0) return task;
    const { runAfter: _, ...rest } = task;
    return rest;
  });
  const pipelineSpec = {
    ...spec,
    tasks: kept,
    ...(spec.finally ? { finally: spec.finally.map((t) => substitute(t, `finally task '${t.name}'`)) } : {}),
    ...(spec.results ? { results: substitute(spec.results, 'pipeline results') } : {}),
  };

  const workspaces = (run.spec?.workspaces ?? []).map((w) => bindingToReuse(w, spec, byTask, again, done, name, namespace));
  const { labels, annotations } = carriedMetadata(run.metadata, [RERUN_OF_ANNOTATION, RESUME_OF_ANNOTATION]);
  // The resumed run embeds its pipeline (pipelineSpec, no pipelineRef), so Tekton would label it after itself;
  // it keeps `tekton.dev/pipeline: <the pipeline>` (Tekton Pruner's and kubectl's selector) because it has the
  // label when created and has a generateName. In Tekton Pipelines v1.15.0 (pkg/reconciler/pipelinerun/
  // pipelinerun.go), propagatePipelineNameLabelToPipelineRun returns early when the label is set, and
  // storePipelineSpecAndMergeMeta, whose metadata for an embedded spec is the run's own (pipelinespec.go,
  // GetPipelineData), overwrites it with the run's name only `if … (label == "" || meta.GenerateName == "")`.
  // e2e/harness/synthapp_test.go checks it under the real controller.
  const pipeline = labels?.['tekton.dev/pipeline'] ?? stringAt(run.spec, 'pipelineRef', 'name');
  const runLabels = { ...labels, ...(pipeline ? { 'tekton.dev/pipeline': pipeline } : {}) };
  const { status: _lifecycle, pipelineRef: _ref, pipelineSpec: _inline, workspaces: _ws, ...rest } = run.spec ?? {};
  return {
    apiVersion: run.apiVersion,
    kind: 'PipelineRun',
    metadata: {
      generateName: `${name.slice(0, 50)}-resume-`, // never a fixed name: see the labels above
      ...(typeof run.metadata.namespace === 'string' ? { namespace: run.metadata.namespace } : {}),
      ...(Object.keys(runLabels).length ? { labels: runLabels } : {}),
      annotations: { ...annotations, [RESUME_OF_ANNOTATION]: name },
    },
    spec: { ...rest, pipelineSpec, ...(workspaces.length ? { workspaces } : {}) },
  };
}

/**
 * The binding of a pipeline workspace in the resumed run: the volume the failed run used, so that files
 * written by the tasks that are not run again are there. A `volumeClaimTemplate` becomes the PVC Tekton
 * created from it (found in a TaskRun's workspaces); an `emptyDir` that a finished task wrote and a task run
 * again reads cannot be resumed.
 */
function bindingToReuse(w: BindingShape, spec: PipelineSpecShape, byTask: Map<string, TaskRunShape[]>, again: Set<string>, done: Set<string>,
  run: string, namespace: string): JsonMap {
  const users = (spec.tasks ?? []).filter((t) => (t.workspaces ?? []).some((tw) => tw.workspace === w.name));
  const wroteBefore = users.some((t) => done.has(t.name));
  const readsAgain = users.some((t) => again.has(t.name));
  if (w.emptyDir && wroteBefore && readsAgain) {
    throw new Error(`workspace '${w.name}' is an emptyDir: what '${users.find((t) => done.has(t.name))?.name}' wrote there is gone, ` +
      'so the tasks run again would not find it. Use rerun (all tasks), or bind the workspace to a volume (volumeClaimTemplate)');
  }
  if (!w.volumeClaimTemplate) return w;
  for (const t of users) {
    const taskWs = (t.workspaces ?? []).find((tw) => tw.workspace === w.name);
    for (const tr of byTask.get(t.name) ?? []) {
      const bound = (tr.spec?.workspaces ?? []).find((b) => b.name === taskWs?.name);
      const claim = stringAt(bound, 'persistentVolumeClaim', 'claimName');
      if (typeof claim === 'string') return { name: w.name, persistentVolumeClaim: { claimName: claim }, ...(w.subPath ? { subPath: w.subPath } : {}) };
    }
  }
  if (wroteBefore && readsAgain) {
    throw new Error(`workspace '${w.name}': the PVC run ${run} used is not in its TaskRuns; give them as kubectl prints them (${taskRunsCommand(run, namespace)})`);
  }
  return w; // no finished task wrote to it: a fresh volume is right
}

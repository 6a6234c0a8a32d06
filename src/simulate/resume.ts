/**
 * Resume a failed (or cancelled) PipelineRun where it failed: a new run of the same resolved pipeline in
 * which only what did not succeed runs again, fed the results the earlier tasks produced, on the volumes the
 * failed run used. Tekton has no such feature (tektoncd/pipeline#50); this builds the run from what the
 * cluster returns: `kubectl get pipelinerun <run> -o yaml` (its `status.pipelineSpec`) and
 * `kubectl get taskruns -l tekton.dev/pipelineRun=<run> -o yaml` (each task's outcome, results and volumes).
 */
import { RERUN_OF_ANNOTATION } from './rerun';
import { referencesIn } from '../tekton/references';

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

/** Label and annotation prefixes the controllers (Tekton, Triggers, Chains, Results) own. */
const OWNED_PREFIXES = ['tekton.dev/', 'triggers.tekton.dev/', 'kubectl.kubernetes.io/', 'chains.tekton.dev/', 'results.tekton.dev/'];

const succeeded = (o: any) => (o?.status?.conditions ?? []).some((c: any) => c.type === 'Succeeded' && c.status === 'True');

/** The results a TaskRun wrote, by name (string, array or object values). */
function resultsOf(taskRun: any): Map<string, unknown> {
  return new Map((taskRun?.status?.results ?? []).map((r: any) => [r.name, r.value]));
}

/**
 * A new PipelineRun that continues `run` (see the module doc). `taskRuns` are the run's TaskRuns (others are
 * ignored). Throws, saying why, where resuming cannot be right: the run succeeded, its resolved pipeline is
 * not in its status, a result a kept task needs was not written, or a kept task needs files an earlier task
 * wrote to a workspace that did not outlive it (`emptyDir`).
 */
export function resumeOf(run: any, taskRuns: any[], options: ResumeOptions = {}): any {
  if (run?.kind !== 'PipelineRun') throw new Error(`${run?.kind ?? 'the input'} is not a PipelineRun`);
  const name: string = run.metadata?.name ?? 'run';
  const spec = run.status?.pipelineSpec;
  if (!spec?.tasks) throw new Error(`PipelineRun ${name} has no status.pipelineSpec: it never started, so there is nothing to resume (use rerun)`);
  if (succeeded(run) && !options.from) throw new Error(`PipelineRun ${name} succeeded: there is nothing to resume (use --from <task> to run a task again)`);

  const byTask = new Map<string, any>();
  for (const tr of taskRuns) {
    if (tr?.kind !== 'TaskRun' || tr.metadata?.labels?.['tekton.dev/pipelineRun'] !== name) continue;
    const task = tr.metadata.labels['tekton.dev/pipelineTask'];
    if (task) byTask.set(task, tr);
  }
  const tasks: any[] = spec.tasks;
  const names = new Set(tasks.map((t) => t.name));
  if (options.from && !names.has(options.from)) {
    throw new Error(`--from ${options.from}: the pipeline has no task '${options.from}' (tasks: ${[...names].join(', ')})`);
  }

  // A task runs again when it did not succeed, when it is the --from task, or when a task it needs runs again.
  const needs = (t: any): string[] => [...new Set([
    ...(t.runAfter ?? []),
    ...referencesIn(JSON.stringify([t.params ?? [], t.when ?? []])).filter((r) => r.root === 'tasks' && names.has(r.path[0])).map((r) => r.path[0]),
  ])];
  const again = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const t of tasks) {
      if (again.has(t.name)) continue;
      if (!succeeded(byTask.get(t.name)) || t.name === options.from || needs(t).some((n) => again.has(n))) {
        again.add(t.name);
        grew = true;
      }
    }
  }
  if (again.size === 0) throw new Error(`PipelineRun ${name}: every task succeeded; only finally tasks failed. Use rerun, or --from <task>`);
  const done = new Set([...names].filter((n) => !again.has(n)));

  // References to the results (and status) of tasks that are not run again become the values they had.
  const substitute = (value: unknown, where: string): unknown => {
    if (typeof value === 'string') {
      let out = value;
      for (const ref of referencesIn(value)) {
        const [task, kind, result] = ref.path;
        if (ref.root !== 'tasks' || !done.has(task)) continue;
        if (kind === 'status') {
          out = out.split(ref.text).join('Succeeded');
          continue;
        }
        if (kind !== 'results') continue;
        const results = resultsOf(byTask.get(task));
        if (!results.has(result)) {
          throw new Error(`${where} uses ${ref.text}, but the TaskRun of '${task}' has no result '${result}': ` +
            `resume from '${task}' (--from ${task}) so that it runs again`);
        }
        const produced = results.get(result);
        if (typeof produced !== 'string') {
          if (out === ref.text || out === ref.text.replace(')', '[*])')) return produced; // a whole array or object
          throw new Error(`${where} uses ${ref.text} inside a string, but it is not a string result: resume from '${task}'`);
        }
        out = out.split(ref.text).join(produced);
      }
      return out;
    }
    if (Array.isArray(value)) return value.map((v, i) => substitute(v, `${where}[${i}]`));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, `${where}.${k}`)]));
    }
    return value;
  };
  const kept = tasks.filter((t) => again.has(t.name)).map((t) => ({
    ...(substitute(t, `task '${t.name}'`) as any),
    ...(t.runAfter ? { runAfter: t.runAfter.filter((n: string) => again.has(n)) } : {}),
  })).map((t) => (t.runAfter?.length === 0 ? (({ runAfter: _, ...rest }) => rest)(t) : t));
  const pipelineSpec = {
    ...spec,
    tasks: kept,
    ...(spec.finally ? { finally: spec.finally.map((t: any) => substitute(t, `finally task '${t.name}'`)) } : {}),
    ...(spec.results ? { results: substitute(spec.results, 'pipeline results') } : {}),
  };

  const workspaces = (run.spec?.workspaces ?? []).map((w: any) => bindingToReuse(w, spec, byTask, again, done, name));
  const metadata = run.metadata ?? {};
  const keep = (entries: { [key: string]: string } | undefined) => {
    const kept2 = Object.entries(entries ?? {}).filter(([k]) => !OWNED_PREFIXES.some((p) => k.startsWith(p)) && k !== RERUN_OF_ANNOTATION);
    return kept2.length ? Object.fromEntries(kept2) : undefined;
  };
  const labels = keep(metadata.labels);
  const { status: _lifecycle, pipelineRef: _ref, pipelineSpec: _inline, workspaces: _ws, ...rest } = run.spec ?? {};
  return {
    apiVersion: run.apiVersion ?? 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      generateName: `${name.slice(0, 50)}-resume-`,
      ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
      ...(labels ? { labels } : {}),
      annotations: { ...keep(metadata.annotations), [RESUME_OF_ANNOTATION]: name },
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
function bindingToReuse(w: any, spec: any, byTask: Map<string, any>, again: Set<string>, done: Set<string>, run: string): any {
  const users = (spec.tasks ?? []).filter((t: any) => (t.workspaces ?? []).some((tw: any) => tw.workspace === w.name));
  const wroteBefore = users.some((t: any) => done.has(t.name));
  const readsAgain = users.some((t: any) => again.has(t.name));
  if (w.emptyDir && wroteBefore && readsAgain) {
    throw new Error(`workspace '${w.name}' is an emptyDir: what '${users.find((t: any) => done.has(t.name)).name}' wrote there is gone, ` +
      'so the tasks run again would not find it. Use rerun (all tasks), or bind the workspace to a volume (volumeClaimTemplate)');
  }
  if (!w.volumeClaimTemplate) return w;
  for (const t of users) {
    const taskWs = (t.workspaces ?? []).find((tw: any) => tw.workspace === w.name);
    const bound = (byTask.get(t.name)?.spec?.workspaces ?? []).find((b: any) => b.name === taskWs?.name);
    const claim = bound?.persistentVolumeClaim?.claimName;
    if (claim) return { name: w.name, persistentVolumeClaim: { claimName: claim }, ...(w.subPath ? { subPath: w.subPath } : {}) };
  }
  if (wroteBefore && readsAgain) {
    throw new Error(`workspace '${w.name}': the PVC run ${run} used is not in its TaskRuns; give them all (kubectl get taskruns -l tekton.dev/pipelineRun=${run} -o yaml)`);
  }
  return w; // no finished task wrote to it: a fresh volume is right
}

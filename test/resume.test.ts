import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { stringify } from 'yaml';
import * as simulate from '../src/simulate';
import { checkConformance } from './support/conformance';
import { CrdSchemas } from './support/crd-schemas';
import { crdsDir, tempDir } from './util';
import { buildApp } from '../app/main';
import { readBounded } from '../src/cli/load';

const { RESUME_OF_ANNOTATION } = simulate;
// the tests read the new runs field by field (JSON of a known shape)
const resumeOf = (...args: Parameters<typeof simulate.resumeOf>): any => simulate.resumeOf(...args);
const rerunOf = (...args: Parameters<typeof simulate.rerunOf>): any => simulate.rerunOf(...args);
import { runCli } from '../src/cli/main';
import { SELECTOR_LABELS } from '../src/simulate/rerun';

/**
 * Realistic Tekton v1 status, written from Tekton's types: a PipelineRun of the synth app's node-service-ci
 * pipeline as `kubectl get pipelinerun -o yaml` returns it (status.pipelineSpec, childReferences, conditions),
 * and its TaskRuns (labels, status.results, the PVC Tekton made of the volumeClaimTemplate).
 */
const RUN = 'node-service-ci-4b825dc642cb';
const PVC = 'pvc-5d3f1a9c2e';
const pipelineSpec = buildApp(new App()).charts.flatMap((c) => c.toJson()).find((o: any) => o.kind === 'Pipeline' && o.metadata.name === 'node-service-ci').spec;
const RESULTS: { [task: string]: Array<{ name: string; type: string; value: string }> } = {
  clone: [{ name: 'commit', type: 'string', value: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' }],
  build: [{ name: 'digest', type: 'string', value: 'sha256:9c1185a5c5e9fc54612808977ee8f548b2258d31a4b5e0ad0e1bf7d4d1d3f4a2' }],
};
type Outcome = 'Succeeded' | 'Failed' | 'Cancelled';

function condition(outcome: Outcome | 'Running') {
  return outcome === 'Succeeded' ? { type: 'Succeeded', status: 'True', reason: 'Succeeded' }
    : outcome === 'Running' ? { type: 'Succeeded', status: 'Unknown', reason: 'Running' }
      : { type: 'Succeeded', status: 'False', reason: outcome === 'Cancelled' ? 'TaskRunCancelled' : 'Failed' };
}

function taskRun(task: string, outcome: Outcome, retries = 0) {
  const taskWs = [...pipelineSpec.tasks, ...pipelineSpec.finally].find((t: any) => t.name === task).workspaces ?? [];
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'TaskRun',
    metadata: {
      name: `${RUN}-${task}`,
      namespace: 'ci',
      uid: `uid-${task}`,
      labels: { 'tekton.dev/pipelineRun': RUN, 'tekton.dev/pipelineTask': task, 'tekton.dev/pipeline': 'node-service-ci', 'app.kubernetes.io/managed-by': 'tekton-pipelines' },
      ownerReferences: [{ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', name: RUN, uid: 'uid-run', controller: true }],
    },
    spec: {
      serviceAccountName: 'on-push-run',
      taskRef: { kind: 'Task', name: task },
      workspaces: taskWs.map((w: any) => ({ name: w.name, persistentVolumeClaim: { claimName: PVC } })),
    },
    status: {
      conditions: [condition(outcome)],
      podName: `${RUN}-${task}-pod`,
      ...(outcome === 'Succeeded' && RESULTS[task] ? { results: RESULTS[task] } : {}),
      ...(retries ? { retriesStatus: Array.from({ length: retries }, () => ({ conditions: [condition('Failed')], podName: `${RUN}-${task}-pod-retry` })) } : {}),
    },
  };
}

function pipelineRun(outcome: Outcome | 'Running', tasks: { [task: string]: Outcome }) {
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      name: RUN,
      namespace: 'ci',
      uid: 'uid-run',
      resourceVersion: '48213',
      generateName: 'node-service-ci-',
      labels: {
        'team': 'web',
        'tekton.dev/pipeline': 'node-service-ci',
        'triggers.tekton.dev/eventlistener': 'on-push',
        'triggers.tekton.dev/trigger': 'node-service-ci',
        'triggers.tekton.dev/triggers-eventid': '6a0c3f9e-1b2d-4e5f-8a9b-0c1d2e3f4a5b',
      },
      annotations: { 'chains.tekton.dev/signed': 'true', 'results.tekton.dev/record': 'ci/results/x' },
    },
    spec: {
      pipelineRef: { name: 'node-service-ci' },
      params: [{ name: 'commit', value: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' }, { name: 'image', value: 'ghcr.io/acme/app' }, { name: 'url', value: 'https://github.com/acme/app.git' }],
      taskRunTemplate: { serviceAccountName: 'on-push-run' },
      timeouts: { pipeline: '1h0m0s', tasks: '45m0s', finally: '10m0s' },
      workspaces: [{ name: 'source', volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } } }],
      ...(outcome === 'Cancelled' ? { status: 'CancelledRunFinally' } : {}),
    },
    status: {
      conditions: [outcome === 'Cancelled' ? { type: 'Succeeded', status: 'False', reason: 'Cancelled' } : condition(outcome)],
      startTime: '2026-11-20T10:00:00Z',
      ...(outcome === 'Running' ? {} : { completionTime: '2026-11-20T10:04:00Z' }),
      pipelineSpec,
      childReferences: Object.keys(tasks).map((t) => ({ apiVersion: 'tekton.dev/v1', kind: 'TaskRun', name: `${RUN}-${t}`, pipelineTaskName: t })),
    },
  };
}

const taskRunsOf = (tasks: { [task: string]: Outcome }, retried: { [task: string]: number } = {}) =>
  Object.entries(tasks).map(([t, o]) => taskRun(t, o, retried[t]));
const tasksOf = (run: any) => run.spec.pipelineSpec.tasks.map((t: any) => t.name);
const task = (run: any, name: string) => [...run.spec.pipelineSpec.tasks, ...run.spec.pipelineSpec.finally].find((t: any) => t.name === name);
const schemas = CrdSchemas.load(crdsDir());

function conforms(run: any) {
  const report = checkConformance([{ ...run, metadata: { ...run.metadata, name: `${run.metadata.generateName}x1y2z` } }], schemas);
  expect({ schema: report.schema, unknownKinds: report.unknownKinds }).toEqual({ schema: [], unknownKinds: [] });
}

describe('resume: a failed run again, from where it failed', () => {
  test('a middle task failed: it and what follows run again, fed the earlier results, on the same PVC', () => {
    const tasks: { [t: string]: Outcome } = { 'clone': 'Succeeded', 'install': 'Succeeded', 'lint': 'Succeeded', 'unit-test': 'Failed', 'notify': 'Succeeded' };
    const resumed = resumeOf(pipelineRun('Failed', tasks), taskRunsOf(tasks));
    expect(tasksOf(resumed)).toEqual(['unit-test', 'build', 'deploy']);
    expect(task(resumed, 'unit-test').runAfter).toBeUndefined(); // install is done
    expect(task(resumed, 'build').runAfter).toEqual(['unit-test']);
    expect(task(resumed, 'build').params).toContainEqual({ name: 'commit', value: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' });
    expect(resumed.spec.workspaces).toEqual([{ name: 'source', persistentVolumeClaim: { claimName: PVC } }]);
    expect(resumed.spec.params).toEqual(pipelineRun('Failed', tasks).spec.params);
    expect(resumed.spec.taskRunTemplate).toEqual({ serviceAccountName: 'on-push-run' });
    expect(resumed.spec.timeouts).toEqual({ pipeline: '1h0m0s', tasks: '45m0s', finally: '10m0s' });
    expect(resumed.spec.pipelineRef).toBeUndefined();
    expect(resumed.metadata).toEqual({
      generateName: `${RUN}-resume-`,
      namespace: 'ci',
      labels: { 'team': 'web', 'tekton.dev/pipeline': 'node-service-ci', 'triggers.tekton.dev/eventlistener': 'on-push', 'triggers.tekton.dev/trigger': 'node-service-ci' },
      annotations: { [RESUME_OF_ANNOTATION]: RUN },
    });
    conforms(resumed);
  });

  test('a retried task that failed on its last attempt runs again with everything after it', () => {
    const tasks: { [t: string]: Outcome } = { clone: 'Failed', notify: 'Succeeded' };
    const resumed = resumeOf(pipelineRun('Failed', tasks), taskRunsOf(tasks, { clone: 2 }));
    expect(tasksOf(resumed)).toEqual(['clone', 'install', 'lint', 'unit-test', 'build', 'deploy']);
    expect(task(resumed, 'build').params).toContainEqual({ name: 'commit', value: '$(tasks.clone.results.commit)' });
    conforms(resumed);
  });

  test('a cancelled run: the cancelled task and those that never started run', () => {
    const tasks: { [t: string]: Outcome } = { 'clone': 'Succeeded', 'install': 'Succeeded', 'lint': 'Succeeded', 'unit-test': 'Cancelled' };
    const resumed = resumeOf(pipelineRun('Cancelled', tasks), taskRunsOf(tasks));
    expect(tasksOf(resumed)).toEqual(['unit-test', 'build', 'deploy']);
    expect(resumed.spec.status).toBeUndefined(); // the new run is not cancelled
    conforms(resumed);
  });

  test('--from <task>: that task and everything after it run again, even after a success', () => {
    const tasks: { [t: string]: Outcome } = { 'clone': 'Succeeded', 'install': 'Succeeded', 'lint': 'Succeeded', 'unit-test': 'Succeeded', 'build': 'Succeeded', 'deploy': 'Succeeded', 'notify': 'Succeeded' };
    const resumed = resumeOf(pipelineRun('Succeeded', tasks), taskRunsOf(tasks), { from: 'build' });
    expect(tasksOf(resumed)).toEqual(['build', 'deploy']);
    expect(task(resumed, 'build').runAfter).toBeUndefined();
    expect(task(resumed, 'deploy').params).toContainEqual({ name: 'digest', value: '$(tasks.build.results.digest)' });
    conforms(resumed);
  });

  test('where resuming cannot be right, it says why', () => {
    const all: { [t: string]: Outcome } = { 'clone': 'Succeeded', 'install': 'Succeeded', 'lint': 'Succeeded', 'unit-test': 'Succeeded', 'build': 'Succeeded', 'deploy': 'Succeeded', 'notify': 'Failed' };
    expect(() => resumeOf(pipelineRun('Failed', all), taskRunsOf(all)))
      .toThrow(`PipelineRun ${RUN}: every task succeeded; only finally tasks failed. Use rerun, or resume from a task`);
    expect(() => resumeOf(pipelineRun('Succeeded', all), taskRunsOf(all))).toThrow('succeeded: there is nothing to resume');
    expect(() => resumeOf(pipelineRun('Failed', all), taskRunsOf(all), { from: 'biuld' })).toThrow("task 'biuld' to resume from: the pipeline has no task 'biuld'");
    // an emptyDir written by a finished task and read by one that runs again
    const tasks: { [t: string]: Outcome } = { clone: 'Succeeded', install: 'Failed' };
    const run = pipelineRun('Failed', tasks);
    run.spec.workspaces = [{ name: 'source', emptyDir: {} } as any];
    expect(() => resumeOf(run, taskRunsOf(tasks))).toThrow("workspace 'source' is an emptyDir: what 'clone' wrote there is gone");
    // a result the kept tasks need, which the TaskRun does not have
    const ran: { [t: string]: Outcome } = { 'clone': 'Succeeded', 'install': 'Succeeded', 'lint': 'Succeeded', 'unit-test': 'Failed' };
    const noResult = taskRunsOf(ran);
    delete (noResult[0].status as any).results;
    expect(() => resumeOf(pipelineRun('Failed', ran), noResult))
      .toThrow("uses $(tasks.clone.results.commit), but the TaskRun of 'clone' has no result 'commit': resume from 'clone' so that it runs again");
  });

  test('the CLI reads the run and its TaskRuns as kubectl prints them (a List), and drops Chains and Results annotations', () => {
    const tasks: { [t: string]: Outcome } = { 'clone': 'Succeeded', 'install': 'Succeeded', 'lint': 'Succeeded', 'unit-test': 'Failed' };
    const input = `${stringify(pipelineRun('Failed', tasks))}---\n${stringify({ apiVersion: 'v1', kind: 'List', items: taskRunsOf(tasks) })}`;
    let out = '';
    let err = '';
    const code = runCli(['resume'], { out: (t) => { out += t; }, err: (t) => { err += t; }, stdin: () => input });
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toContain(`${RESUME_OF_ANNOTATION}: ${RUN}`);
    expect(out).not.toMatch(/chains\.tekton\.dev|results\.tekton\.dev/);
  });
});

/** What a user reads: the message of the error `f` throws (TypeErrors would show up here as such). */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e: any) {
    expect(e).not.toBeInstanceOf(TypeError);
    return e.message;
  }
  throw new Error('did not refuse');
}
const TASKRUNS = `kubectl get taskruns -n ci -l tekton.dev/pipelineRun=${RUN} -o yaml`;
const FAILED: { [t: string]: Outcome } = { 'clone': 'Succeeded', 'install': 'Succeeded', 'lint': 'Succeeded', 'unit-test': 'Failed', 'notify': 'Succeeded' };

describe('resume refuses a run that has not finished', () => {
  const cancel = `kubectl patch pipelinerun ${RUN} -n ci --type merge -p '{"spec":{"status":"Cancelled"}}'`;

  test('a running run: resuming it would start a second run on its volume; wait, or cancel it first', () => {
    const running = { clone: 'Succeeded', install: 'Succeeded' } as const;
    const message = refusal(() => resumeOf(pipelineRun('Running', running), taskRunsOf(running)));
    expect(message).toContain(`PipelineRun ${RUN} has not finished (its Succeeded condition is Unknown, no status.completionTime)`);
    expect(message).toContain('a second run on the same volume');
    expect(message).toContain(`Wait until it has finished (kubectl get pipelinerun ${RUN} -n ci -w), or cancel it first: ${cancel}`);
  });

  test('a run Tekton has not reconciled yet (no conditions) is refused the same way', () => {
    const run: any = pipelineRun('Running', {});
    run.status = {};
    expect(refusal(() => resumeOf(run, []))).toContain('has not finished (its Succeeded condition is not set, no status.completionTime)');
    expect(refusal(() => resumeOf(run, []))).toContain(cancel);
  });

  test('a run being cancelled (its finally tasks still running): wait for it', () => {
    const run: any = pipelineRun('Running', { clone: 'Succeeded' });
    run.spec.status = 'CancelledRunFinally';
    const message = refusal(() => resumeOf(run, taskRunsOf({ clone: 'Succeeded' })));
    expect(message).toContain('It is being stopped (spec.status CancelledRunFinally): wait until it has finished');
    expect(message).not.toContain('kubectl patch');
  });

  test('a run without a status (not as the cluster returns it) says to give it with its status', () => {
    const run: any = pipelineRun('Failed', FAILED);
    delete run.status;
    expect(refusal(() => resumeOf(run, []))).toContain(`has no status: give it as the cluster returns it, with its status (kubectl get pipelinerun ${RUN} -n ci -o yaml)`);
  });
});

describe("resume reads exactly the run's TaskRuns, as its status.childReferences names them", () => {
  test('a missing TaskRun is named, with the command that lists them all', () => {
    const taskRuns = taskRunsOf(FAILED).filter((tr) => tr.metadata.labels['tekton.dev/pipelineTask'] !== 'lint');
    const message = refusal(() => resumeOf(pipelineRun('Failed', FAILED), taskRuns));
    expect(message).toContain(`the TaskRuns of 'lint' (${RUN}-lint) are missing`);
    expect(message).toContain(`Give all its TaskRuns: ${TASKRUNS}`);
  });

  test('no TaskRuns at all (kubectl get taskruns without -n reads another namespace) is refused, not a full rerun', () => {
    const message = refusal(() => resumeOf(pipelineRun('Failed', FAILED), []));
    expect(message).toContain(`no TaskRuns of PipelineRun ${RUN} were given, but it ran 5`);
    expect(message).toContain(`kubectl get taskruns without -n reads the current one): ${TASKRUNS}`);
  });

  test("another run's TaskRuns are refused", () => {
    const other = taskRunsOf(FAILED).map((tr) => ({ ...tr, metadata: { ...tr.metadata, labels: { ...tr.metadata.labels, 'tekton.dev/pipelineRun': 'node-service-ci-666666666666' } } }));
    const message = refusal(() => resumeOf(pipelineRun('Failed', FAILED), other));
    expect(message).toContain(`is a TaskRun of PipelineRun node-service-ci-666666666666, not of ${RUN}: give only the TaskRuns of ${RUN} (${TASKRUNS})`);
  });

  test('the TaskRuns of a run of the same name in another namespace are refused, by namespace or by owner uid', () => {
    const elsewhere = taskRunsOf(FAILED).map((tr) => ({ ...tr, metadata: { ...tr.metadata, namespace: 'default' } }));
    expect(refusal(() => resumeOf(pipelineRun('Failed', FAILED), elsewhere)))
      .toContain(`is in namespace default, but PipelineRun ${RUN} is in ci: these are the TaskRuns of a run of the same name in another namespace. Give the ones in ci (${TASKRUNS})`);
    // without a namespace (e.g. saved with it stripped), the owner's uid still tells
    const otherOwner = taskRunsOf(FAILED).map(({ metadata: { namespace: _, ...metadata }, ...tr }) => ({
      ...tr, metadata: { ...metadata, ownerReferences: [{ ...metadata.ownerReferences[0], uid: 'uid-of-another-run' }] },
    }));
    const message = refusal(() => resumeOf(pipelineRun('Failed', FAILED), otherOwner));
    expect(message).toContain('of uid uid-of-another-run, but node-service-ci-4b825dc642cb has uid uid-run');
    expect(message).toContain(TASKRUNS);
  });

  test('duplicates are refused: one TaskRun given twice, or two TaskRuns for one pipeline task', () => {
    const taskRuns = taskRunsOf(FAILED);
    expect(refusal(() => resumeOf(pipelineRun('Failed', FAILED), [...taskRuns, taskRuns[3]])))
      .toContain(`TaskRun ${RUN}-unit-test is given twice: give each TaskRun once (${TASKRUNS})`);
    const second = { ...taskRuns[3], metadata: { ...taskRuns[3].metadata, name: `${RUN}-unit-test-2`, uid: 'uid-2' }, status: { ...taskRuns[3].status, conditions: [condition('Succeeded')] } };
    expect(refusal(() => resumeOf(pipelineRun('Failed', FAILED), [...taskRuns, second])))
      .toContain(`two TaskRuns for pipeline task 'unit-test': ${RUN}-unit-test and ${RUN}-unit-test-2, of which PipelineRun ${RUN}'s status.childReferences names only ${RUN}-unit-test`);
  });

  test('a TaskRun without labels is named, not a TypeError', () => {
    const taskRuns = taskRunsOf(FAILED);
    delete (taskRuns[1].metadata as any).labels;
    expect(refusal(() => resumeOf(pipelineRun('Failed', FAILED), taskRuns)))
      .toBe(`TaskRun ${RUN}-install: the label 'tekton.dev/pipelineRun' is missing: give the run's TaskRuns as kubectl prints them (${TASKRUNS})`);
  });

  test('a task with no childReference never started (skipped, or not reached): it runs again', () => {
    const cancelled: { [t: string]: Outcome } = { clone: 'Succeeded', install: 'Succeeded' };
    const resumed = resumeOf(pipelineRun('Cancelled', cancelled), taskRunsOf(cancelled));
    expect(tasksOf(resumed)).toEqual(['lint', 'unit-test', 'build', 'deploy']);
  });
});

describe('a result holding a Tekton reference is not written into the new pipeline', () => {
  test.each([
    ['$(params.url)'],
    ['git@$(tasks.other.results.host):repo'],
    ['$(context.pipelineRun.name)'],
  ])('a result %s would be substituted again: refused, saying to run its task again (--from)', (value) => {
    const taskRuns = taskRunsOf(FAILED);
    taskRuns[0].status.results = [{ name: 'commit', type: 'string', value }];
    const message = refusal(() => resumeOf(pipelineRun('Failed', FAILED), taskRuns));
    expect(message).toContain("task 'build'.params[1].value uses $(tasks.clone.results.commit), and the value 'clone' produced holds $(");
    expect(message).toContain("Tekton would substitute it again (Tekton has no escape for $(…)). Resume from 'clone' so that it runs again");
    // --from clone runs it again: Tekton passes the result itself, substituting once
    expect(task(resumeOf(pipelineRun('Failed', FAILED), taskRuns, { from: 'clone' }), 'build').params)
      .toContainEqual({ name: 'commit', value: '$(tasks.clone.results.commit)' });
  });

  test('a shell command substitution is not a Tekton reference: it is written as it was', () => {
    const taskRuns = taskRunsOf(FAILED);
    taskRuns[0].status.results = [{ name: 'commit', type: 'string', value: 'v-$(date +%s)' }];
    expect(task(resumeOf(pipelineRun('Failed', FAILED), taskRuns), 'build').params).toContainEqual({ name: 'commit', value: 'v-$(date +%s)' });
  });

  test('every reference in a string is replaced by its value', () => {
    const run: any = pipelineRun('Failed', FAILED);
    run.status.pipelineSpec = JSON.parse(JSON.stringify(pipelineSpec));
    run.status.pipelineSpec.tasks.find((t: any) => t.name === 'build').params[1].value = '$(tasks.clone.results.commit)/$(tasks.install.status)';
    expect(task(resumeOf(run, taskRunsOf(FAILED)), 'build').params[1]).toEqual({ name: 'commit', value: '4b825dc642cb6eb9a060e54bf8d69288fbee4904/Succeeded' });
  });
});

describe('malformed input is named, with what to give instead', () => {
  const RUN_CMD = `kubectl get pipelinerun ${RUN} -n ci -o yaml`;
  test.each<[string, (run: any, taskRuns: any[]) => void, string]>([
    ['spec.tasks a map', (run) => { run.status.pipelineSpec.tasks = { clone: {} }; }, 'status.pipelineSpec.tasks is a map, not a list'],
    ['a task without a name', (run) => { run.status.pipelineSpec.tasks = [{ taskRef: { name: 'x' } }]; }, 'status.pipelineSpec.tasks[0].name is missing'],
    ['runAfter a string', (run) => { run.status.pipelineSpec.tasks[1].runAfter = 'clone'; }, 'status.pipelineSpec.tasks[1].runAfter is the string "clone", not a list'],
    ['childReferences a string', (run) => { run.status.childReferences = 'clone'; }, 'status.childReferences is the string "clone", not a list'],
    ['a childReference without pipelineTaskName', (run) => { delete run.status.childReferences[0].pipelineTaskName; }, 'status.childReferences[0].pipelineTaskName is missing'],
    ['conditions a map', (run) => { run.status.conditions = { type: 'Succeeded' }; }, 'status.conditions is a map, not a list'],
    ['spec.workspaces a map', (run) => { run.spec.workspaces = { source: {} }; }, 'spec.workspaces is a map, not a list'],
    ['labels a list', (run) => { run.metadata.labels = ['team=web']; }, 'metadata.labels is a list, not a map'],
    ['a label value a number', (run) => { run.metadata.labels.team = 7; }, 'metadata.labels.team is the number 7, not a string'],
  ])('the run: %s', (_, mutate, cause) => {
    const run: any = JSON.parse(JSON.stringify(pipelineRun('Failed', FAILED)));
    mutate(run, []);
    const message = refusal(() => resumeOf(run, taskRunsOf(FAILED)));
    expect(message).toContain(cause);
    expect(message).toContain(RUN_CMD);
  });

  test.each<[string, (tr: any) => void, string]>([
    ['results a map', (tr) => { tr.status.results = { commit: 'x' }; }, 'status.results is a map, not a list'],
    ['a TaskRun that is a string', (tr) => { tr.metadata = 'x'; }, 'metadata is the string "x", not a map'],
    ['workspaces a string', (tr) => { tr.spec.workspaces = 'source'; }, 'spec.workspaces is the string "source", not a list'],
  ])('a TaskRun: %s', (_, mutate, cause) => {
    const taskRuns = JSON.parse(JSON.stringify(taskRunsOf(FAILED)));
    mutate(taskRuns[0]);
    const message = refusal(() => resumeOf(pipelineRun('Failed', FAILED), taskRuns));
    expect(message).toContain(cause);
    expect(message).toContain(TASKRUNS);
  });

  test('rerun names a malformed run too', () => {
    const run: any = pipelineRun('Failed', FAILED);
    run.metadata.annotations = 'x';
    expect(refusal(() => rerunOf(run))).toBe(`metadata.annotations is the string "x", not a map: give the run as kubectl prints it (kubectl get pipelinerun ${RUN} -n ci -o yaml)`);
    expect(refusal(() => rerunOf({ ...pipelineRun('Failed', FAILED), spec: [] }))).toContain('spec is a list, not a map');
  });
});

describe('the resumed run is found by the selectors that find the run it resumes', () => {
  /** Whether a Kubernetes equality selector (`a=b,c=d`) selects `labels`. */
  const selects = (selector: string, labels: { [k: string]: string } = {}) =>
    selector.split(',').every((term) => { const [k, v] = term.split('='); return labels[k] === v; });
  const SELECTORS = [
    'tekton.dev/pipeline=node-service-ci', // Tekton Pruner (keepRuns) and kubectl get pipelineruns -l …
    'triggers.tekton.dev/eventlistener=on-push,triggers.tekton.dev/trigger=node-service-ci', // cancelInProgress
  ];

  test('it keeps the selector labels, drops the per-run ones, and keeps the user\'s', () => {
    const original = pipelineRun('Failed', FAILED);
    const resumed = resumeOf(original, taskRunsOf(FAILED));
    for (const selector of SELECTORS) {
      expect([selector, selects(selector, original.metadata.labels), selects(selector, resumed.metadata.labels)]).toEqual([selector, true, true]);
    }
    expect(Object.keys(resumed.metadata.labels).sort()).toEqual([...SELECTOR_LABELS, 'team'].sort());
    expect(resumed.metadata.labels).not.toHaveProperty(['triggers.tekton.dev/triggers-eventid']);
    // rerun keeps the same ones
    expect(rerunOf(original).metadata.labels).toEqual(resumed.metadata.labels);
  });

  test('the check fails where a label is dropped (planted fault)', () => {
    const resumed = resumeOf(pipelineRun('Failed', FAILED), taskRunsOf(FAILED));
    for (const key of SELECTOR_LABELS) {
      const { [key]: _, ...without } = resumed.metadata.labels;
      expect(SELECTORS.some((selector) => !selects(selector, without))).toBe(true);
    }
  });

  test('a run whose tekton.dev/pipeline label is gone gets it from its pipelineRef, as Tekton set it', () => {
    const original: any = pipelineRun('Failed', FAILED);
    delete original.metadata.labels['tekton.dev/pipeline'];
    expect(resumeOf(original, taskRunsOf(FAILED)).metadata.labels['tekton.dev/pipeline']).toBe('node-service-ci');
  });

  test('a resumed run resumed again keeps them (its label, not its pipelineSpec, names the pipeline)', () => {
    const first = resumeOf(pipelineRun('Failed', FAILED), taskRunsOf(FAILED));
    const reconciled = {
      ...first,
      metadata: { ...first.metadata, name: `${RUN}-resume-x1y2z`, uid: 'uid-resumed' },
      status: { conditions: [condition('Failed')], completionTime: '2026-11-20T11:00:00Z', pipelineSpec: first.spec.pipelineSpec, childReferences: [] },
    };
    expect(resumeOf(reconciled, []).metadata.labels).toEqual(first.metadata.labels);
  });
});

describe('the CLI refuses what resume cannot read, exit 2', () => {
  const run = (argv: string[], stdin = '') => {
    let out = '';
    let err = '';
    const code = runCli(argv, { out: (t) => { out += t; }, err: (t) => { err += t; }, stdin: () => stdin });
    return { code, out, err };
  };

  test('a running run: exit 2, the reason and the command', () => {
    const running = { clone: 'Succeeded' } as const;
    const r = run(['resume'], `${stringify(pipelineRun('Running', running))}---\n${stringify({ apiVersion: 'v1', kind: 'List', items: taskRunsOf(running) })}`);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toContain('has not finished');
    expect(r.err).toContain(`kubectl patch pipelinerun ${RUN} -n ci --type merge -p '{"spec":{"status":"Cancelled"}}'`);
  });

  test('two runs: says which, and what to give', () => {
    const r = run(['resume'], `${stringify(pipelineRun('Failed', FAILED))}---\n${stringify({ ...pipelineRun('Failed', FAILED), metadata: { name: 'other', namespace: 'ci' } })}`);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`the input holds 2 (${RUN}, other): give one run and its TaskRuns: (kubectl get pipelinerun <run> -n <namespace> -o yaml; echo ---;`);
  });

  test('input that is not UTF-8 is refused, naming the byte and its line, not read with U+FFFD in its place', () => {
    const dir = tempDir('latin1-');
    const file = path.join(dir, 'run.yaml');
    const text = stringify(pipelineRun('Failed', FAILED)).replace('team: web', 'team: caf\u00e9');
    fs.writeFileSync(file, Buffer.from(text, 'latin1'));
    const line = text.split('\n').findIndex((l) => l.includes('caf')) + 1;
    const r = run(['resume', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${file}: not UTF-8 (byte 0xe9 on line ${line}): give the text as UTF-8`);
    // standard input, through the bounded reader
    const fd = fs.openSync(file, 'r');
    try {
      expect(() => readBounded(fd, 'standard input')).toThrow(`standard input: not UTF-8 (byte 0xe9 on line ${line})`);
    } finally {
      fs.closeSync(fd);
    }
    // the same text in UTF-8 is read
    fs.writeFileSync(file, text);
    expect(run(['rerun', file]).out).toContain('team: café');
  });
});

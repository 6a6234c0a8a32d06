import { App } from 'cdk8s';
import { stringify } from 'yaml';
import { RESUME_OF_ANNOTATION, resumeOf } from '../src';
import { runCli } from '../src/cli/main';
import { buildApp } from '../src/main';
import { checkConformance } from './support/conformance';
import { CrdSchemas } from './support/crd-schemas';
import { crdsDir } from './util';

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

function pipelineRun(outcome: Outcome, tasks: { [task: string]: Outcome }) {
  return {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      name: RUN,
      namespace: 'ci',
      uid: 'uid-run',
      resourceVersion: '48213',
      labels: { 'tekton.dev/pipeline': 'node-service-ci', 'triggers.tekton.dev/eventlistener': 'on-push', 'team': 'web' },
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
    expect(resumed.metadata).toEqual({ generateName: `${RUN}-resume-`, namespace: 'ci', labels: { team: 'web' }, annotations: { [RESUME_OF_ANNOTATION]: RUN } });
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
      .toThrow(`PipelineRun ${RUN}: every task succeeded; only finally tasks failed. Use rerun, or --from <task>`);
    expect(() => resumeOf(pipelineRun('Succeeded', all), taskRunsOf(all))).toThrow('succeeded: there is nothing to resume');
    expect(() => resumeOf(pipelineRun('Failed', all), taskRunsOf(all), { from: 'biuld' })).toThrow("--from biuld: the pipeline has no task 'biuld'");
    // an emptyDir written by a finished task and read by one that runs again
    const tasks: { [t: string]: Outcome } = { clone: 'Succeeded', install: 'Failed' };
    const run = pipelineRun('Failed', tasks);
    run.spec.workspaces = [{ name: 'source', emptyDir: {} } as any];
    expect(() => resumeOf(run, taskRunsOf(tasks))).toThrow("workspace 'source' is an emptyDir: what 'clone' wrote there is gone");
    // a result the kept tasks need, which the TaskRun does not have
    const noResult = taskRunsOf({ 'clone': 'Succeeded', 'install': 'Succeeded', 'lint': 'Succeeded', 'unit-test': 'Failed' });
    delete (noResult[0].status as any).results;
    expect(() => resumeOf(pipelineRun('Failed', tasks), noResult))
      .toThrow("uses $(tasks.clone.results.commit), but the TaskRun of 'clone' has no result 'commit': resume from 'clone' (--from clone)");
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

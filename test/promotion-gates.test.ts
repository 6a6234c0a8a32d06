import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  CommitStatus, Kustomization, Pipeline, Promotion, PromotionEnvironment, PromotionFailure, PromotionMode, PromotionProps, PullRequestProvider,
  RunConcurrency, Task,
} from '../src';
import { codesOf, find, synth } from './util';

/** A verify Task that declares what a promotion gives it. */
function smoke(s: Construct): Task {
  const t = (s.node.tryFindChild('smoke') as Task | undefined) ?? new Task(s, 'smoke');
  if (!t.paramSpecs.length) {
    t.addParam('version');
    t.addParam('environment');
    t.addStep({ name: 'probe', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' });
  }
  return t;
}
let ids = 0;
const env = (s: Construct, name: string, extra: Partial<PromotionEnvironment> = {}): PromotionEnvironment => ({
  name, kustomization: Kustomization.fromKustomizationName(s, `k${ids++}`, `web-${name}`, { namespace: 'flux-system' }), path: `envs/${name}`, ...extra,
});
const props = (s: Construct, extra: Partial<PromotionProps> = {}): PromotionProps => ({
  app: 'web',
  repositoryUrl: 'https://github.com/acme/fleet.git',
  gitTokenSecretName: 'fleet-git',
  environments: [
    env(s, 'dev'),
    env(s, 'staging', { verify: smoke(s), soak: Duration.hours(1), onVerifyFailure: PromotionFailure.rollback() }),
    env(s, 'production', { verify: smoke(s), onVerifyFailure: PromotionFailure.rollback(), mode: PromotionMode.PULL_REQUEST }),
  ],
  pullRequests: { provider: PullRequestProvider.GITHUB, project: 'acme/fleet', tokenSecretName: 'fleet-github' },
  status: CommitStatus.github({ repository: 'acme/fleet', tokenSecretName: 'fleet-status' }),
  ...extra,
});
const paramsOf = (t: any) => Object.fromEntries((t.params ?? []).map((p: any) => [p.name, p.value]));
const env0 = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));

describe('soak: a version moves on only after the environment ran it that long, and no Pod waits', () => {
  const objects = synth((s) => new Promotion(s, 'web', props(s, { soakCheckInterval: Duration.minutes(10) })));

  test('the soaking step\'s runs are created PipelineRunPending, labelled with the soak; the others start at once', () => {
    const [run, canceller] = find(objects, 'TriggerTemplate', 'web-on-staging').spec.resourcetemplates;
    expect(run.spec.status).toBe('PipelineRunPending');
    expect(run.metadata.labels).toEqual({
      'cdk8s-tekton-flux/app': 'web', 'cdk8s-tekton-flux/from': 'staging', 'cdk8s-tekton-flux/to': 'production', 'cdk8s-tekton-flux/soak-seconds': '3600',
    });
    // a newer revision's run supersedes (stops) the one that waits: the clock restarts; a running verify finishes
    // with its own result (a cancelled one would read as Failed and roll back a healthy version)
    expect(canceller.kind).toBe('TaskRun');
    const stop = find(objects, 'Task', canceller.spec.taskRef.name).spec.steps[0].env.find((e: any) => e.name === 'STOP');
    expect(stop.value).toBe('StoppedRunFinally');
    expect(find(objects, 'Task', 'web-on-dev-supersede').spec.steps[0].env.find((e: any) => e.name === 'STOP').value).toBe('CancelledRunFinally');
    expect(find(objects, 'TriggerTemplate', 'web-on-dev').spec.resourcetemplates[0].spec.status).toBeUndefined();
  });

  test('one clock per soaking step: a CronJob that reads and patches runs, nothing else', () => {
    const clocks = objects.filter((o) => o.kind === 'CronJob');
    expect(clocks.map((c) => c.metadata.name)).toEqual(['web-on-staging-soak']);
    const clock = clocks[0];
    expect(clock.spec.schedule).toBe('*/10 * * * *');
    expect(clock.spec.concurrencyPolicy).toBe('Forbid');
    const pod = clock.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe('web-on-staging-soak');
    const container = pod.containers[0];
    expect(container.command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(env0(container)).toEqual({
      SELECTOR: 'cdk8s-tekton-flux/app=web,cdk8s-tekton-flux/from=staging,cdk8s-tekton-flux/to=production',
      SOAK: '3600',
      FROM: 'staging',
      STEP: 'staging to production',
    });
    expect(find(objects, 'Role', 'web-on-staging-soak').rules).toEqual([{ apiGroups: ['tekton.dev'], resources: ['pipelineruns'], verbs: ['get', 'list', 'patch'] }]);
  });

  test('without soak: no clock, no pending run', () => {
    const plain = synth((s) => new Promotion(s, 'web', props(s, { environments: [env(s, 'staging'), env(s, 'production')], status: undefined })));
    expect(plain.filter((o) => o.kind === 'CronJob')).toEqual([]);
    expect(find(plain, 'TriggerTemplate', 'web-on-staging').spec.resourcetemplates[0].spec.status).toBeUndefined();
  });
});

describe('rollback: a failed verification sets the environment back', () => {
  const objects = synth((s) => new Promotion(s, 'web', props(s)));

  test('a finally task runs the rollback when, and only when, the verify task failed', () => {
    const pipeline = find(objects, 'Pipeline', 'web-to-production').spec;
    const rollback = pipeline.finally.find((t: any) => t.name === 'rollback-staging');
    expect(rollback.when).toEqual([{ input: '$(tasks.verify-staging.status)', operator: 'in', values: ['Failed'] }]);
    expect(rollback.taskRef.name).toBe('web-rollback');
    expect(paramsOf(rollback)).toMatchObject({
      version: '$(tasks.read-version.results.version)', environment: 'staging', path: 'envs/staging', mode: 'push', revision: '$(params.revision)',
    });
    const task = find(objects, 'Task', 'web-rollback').spec;
    expect(task.steps.map((st: any) => st.name)).toEqual(['commit', 'open-pull-request']);
    expect(task.results).toEqual([expect.objectContaining({ name: 'restored' })]);
  });

  test('the last environment gets a step of its own: read, verify, roll back (by pull request, as it is promoted)', () => {
    const pipeline = find(objects, 'Pipeline', 'web-at-production').spec;
    expect(pipeline.tasks.map((t: any) => t.name).filter((n: string) => n !== 'commit-status')).toEqual(['read-version', 'verify-production']);
    expect(paramsOf(pipeline.finally.find((t: any) => t.name === 'rollback-production'))).toMatchObject({ mode: 'pull-request' });
    const trigger = find(objects, 'Trigger', 'web-on-production');
    expect(trigger.spec.interceptors[0].params[0].value).toContain("body.involvedObject.name == 'web-production'");
  });

  test('without verify, failure or status, the last environment has no step (nothing would run on its events)', () => {
    const plain = synth((s) => new Promotion(s, 'web', props(s, { environments: [env(s, 'staging'), env(s, 'production')], status: undefined })));
    expect(plain.filter((o) => o.kind === 'Pipeline').map((o) => o.metadata.name)).toEqual(['web-to-production']);
  });
});

describe('status: each environment reports on the config commit it applied, under <app>/<environment>', () => {
  const objects = synth((s) => new Promotion(s, 'web', props(s)));
  test.each([['web-to-staging', 'web/dev'], ['web-to-production', 'web/staging'], ['web-at-production', 'web/production']])('%s reports as %s', (name, context) => {
    const task = find(objects, 'Task', `${name}-commit-status`).spec;
    expect(env0(task.steps[0])).toMatchObject({ CONTEXT: context, PROJECT: 'acme/fleet', PROVIDER: 'github' });
  });
});

describe('entry: a build promotes its own result into the first environment, through the promote step', () => {
  test('a task promote-<first> on the build pipeline, with the build\'s result and no source environment', () => {
    const objects = synth((s) => {
      const promotion = new Promotion(s, 'web', props(s));
      const build = new Task(s, 'build');
      const tag = build.addResult('tag');
      build.addStep({ name: 'build', image: 'busybox:1.36', script: `#!/bin/sh\nprintf 1.4.2 > ${tag.path}` });
      const pipeline = new Pipeline(s, 'ci');
      const b = pipeline.addTask('build', { task: build });
      const added = promotion.entry(pipeline, { version: b.result('tag') });
      expect(added.name).toBe('promote-dev');
    });
    const task = find(objects, 'Pipeline', 'ci').spec.tasks.find((t: any) => t.name === 'promote-dev');
    expect(task.taskRef.name).toBe('web-promote');
    expect(paramsOf(task)).toEqual({
      'repository': 'https://github.com/acme/fleet.git',
      'branch': 'main',
      'app': 'web',
      'revision': '$(context.pipelineRun.name)',
      'version': '$(tasks.build.results.tag)',
      'from': 'ci',
      'from-path': '',
      'to': 'dev',
      'to-path': 'envs/dev',
      'mode': 'push',
    });
    // nothing else is asked of the build's runs: no pipeline param was added
    expect(find(objects, 'Pipeline', 'ci').spec.params).toBeUndefined();
  });
});

describe('gates: each mistake is one problem, with its code, at the promotion', () => {
  test.each<[string, (s: Construct) => void, string]>([
    ['a rollback without verify', (s) => new Promotion(s, 'web', props(s, {
      environments: [env(s, 'dev'), env(s, 'staging', { onVerifyFailure: PromotionFailure.rollback() })],
    })), 'missing-prop'],
    ['a soak on the last environment', (s) => new Promotion(s, 'web', props(s, {
      environments: [env(s, 'dev'), env(s, 'staging', { soak: Duration.minutes(30) })],
    })), 'no-effect'],
    ['a soak of a fraction of a second', (s) => new Promotion(s, 'web', props(s, {
      environments: [env(s, 'dev', { soak: Duration.millis(1500) }), env(s, 'staging')],
    })), 'invalid-duration'],
    ['a soak of zero', (s) => new Promotion(s, 'web', props(s, { environments: [env(s, 'dev', { soak: Duration.seconds(0) }), env(s, 'staging')] })),
      'invalid-duration'],
    ['a soak check every 90 minutes', (s) => new Promotion(s, 'web', props(s, { soakCheckInterval: Duration.minutes(90) })), 'invalid-duration'],
    ['a status with its own context (environments would overwrite each other)', (s) => new Promotion(s, 'web', props(s, {
      status: CommitStatus.github({ repository: 'acme/fleet', tokenSecretName: 'fleet-status', context: 'deploy' }),
    })), 'conflicting-props'],
    ['a rollback with a concurrency that cancels verify (Tekton reports a cancelled task as Failed)', (s) => new Promotion(s, 'web', props(s, {
      concurrency: RunConcurrency.cancelInProgress(),
    })), 'conflicting-props'],
    ['a plain-http repository that is not loopback', (s) => new Promotion(s, 'web', props(s, { repositoryUrl: 'http://git.example/fleet.git' })), 'not-https'],
  ])('%s', (_what, make, code) => {
    expect(codesOf(make)).toEqual([['test/web', code]]);
  });

  test('an entry from a pipeline of another namespace (the promote Task is referenced in its own)', () => {
    expect(codesOf((s) => {
      const promotion = new Promotion(s, 'web', props(s));
      promotion.entry(new Pipeline(s, 'ci', { namespace: 'builds' }), { version: '1.4.2' });
    })).toEqual([['test/ci', 'cross-namespace-reference']]);
  });

  test('plain http to a loopback address is taken (a proxy beside the step)', () => {
    expect(codesOf((s) => new Promotion(s, 'web', props(s, { repositoryUrl: 'http://127.0.0.1:18090/fleet.git' })))).toEqual([]);
  });
});

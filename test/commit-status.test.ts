import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { CommitStatus, FluxTriggeredPipeline, GitRepository, Kustomization, OCIRepository, Pipeline, Task } from '../src';
import { codesOf, find, synth } from './util';

function ciPipeline(s: Construct, id = 'ci') {
  const build = new Task(s, `${id}-build`);
  build.addStep({ name: 'build', image: 'busybox:1.36', script: '#!/bin/sh\necho build' });
  const test = new Task(s, `${id}-test`);
  test.addStep({ name: 'test', image: 'busybox:1.36', script: '#!/bin/sh\necho test' });
  const p = new Pipeline(s, id);
  const b = p.addTask('build', { task: build });
  p.addTask('test', { task: test, runAfter: [b] });
  return p;
}

const repo = (s: Construct) => (s.node.tryFindChild('app') as GitRepository | undefined) ??
  new GitRepository(s, 'app', { url: 'https://github.com/acme/app.git', branch: 'main', namespace: 'flux-system' });
const github = (extra: Partial<Parameters<typeof CommitStatus.github>[0]> = {}) =>
  CommitStatus.github({ repository: 'acme/app', tokenSecretName: 'github-status', ...extra });

describe('status: every triggered run reports on its commit', () => {
  const objects = synth((s) => {
    new FluxTriggeredPipeline(s, 'on-push', {
      source: repo(s),
      pipeline: ciPipeline(s),
      status: github({ runUrl: 'https://tekton.example.com/#/namespaces/{namespace}/pipelineruns/{name}' }),
    });
  });
  const pipeline = find(objects, 'Pipeline', 'ci').spec;

  test('the pipeline posts pending beside its first tasks and the end in finally, guarded by the commit', () => {
    const start = pipeline.tasks.find((t: any) => t.name === 'commit-status');
    expect(start.runAfter).toBeUndefined();
    expect(start.taskRef).toEqual({ name: 'ci-commit-status', kind: 'Task' });
    expect(start.when).toEqual([{ input: '$(params.status-commit)', operator: 'notin', values: [''] }]);
    expect(start.onError).toBe('continue');
    const params = (t: any) => Object.fromEntries(t.params.map((p: any) => [p.name, p.value]));
    expect(params(start)).toMatchObject({
      'phase': 'start',
      'commit': '$(params.status-commit)',
      'target-url': 'https://tekton.example.com/#/namespaces/$(context.pipelineRun.namespace)/pipelineruns/$(context.pipelineRun.name)',
    });
    const end = pipeline.finally.find((t: any) => t.name === 'commit-status-end');
    expect(params(end)).toMatchObject({
      phase: 'end',
      aggregate: '$(tasks.status)',
      tasks: 'build=$(tasks.build.status)/$(tasks.build.reason) test=$(tasks.test.status)/$(tasks.test.reason)',
    });
    expect(pipeline.params).toContainEqual(expect.objectContaining({ name: 'status-commit', default: '' }));
  });

  test('the run gets the event\'s commit; the token comes from the Secret, never as text', () => {
    const template = find(objects, 'TriggerTemplate').spec;
    const run = template.resourcetemplates[0];
    expect(run.spec.params).toContainEqual({ name: 'status-commit', value: '$(tt.params.status-commit)' });
    expect(find(objects, 'TriggerBinding').spec.params).toContainEqual({ name: 'status-commit', value: '$(extensions.commit)' });
    const task = find(objects, 'Task', 'ci-commit-status');
    expect(task.metadata.labels).toEqual({ 'cdk8s-tekton-flux/commit-status': 'true' });
    const step = task.spec.steps[0];
    expect(step.image).toBe('curlimages/curl:8.10.1');
    expect(step.env).toContainEqual({ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'github-status', key: 'token' } } });
    expect(step.env).toContainEqual({ name: 'CONTEXT', value: 'ci/ci' });
    expect(step.env).toContainEqual({ name: 'API', value: 'https://api.github.com' });
    // every param reaches the script through the environment
    expect(step.script).not.toMatch(/\$\(params\./);
  });

  test('required: a status that cannot be posted fails the run (no onError: continue)', () => {
    const required = synth((s) => {
      new FluxTriggeredPipeline(s, 'on-push', { source: repo(s), pipeline: ciPipeline(s), status: github({ required: true }) });
    });
    const spec = find(required, 'Pipeline', 'ci').spec;
    expect(spec.tasks.find((t: any) => t.name === 'commit-status').onError).toBeUndefined();
    expect(find(required, 'Task', 'ci-commit-status').spec.steps[0].env).toContainEqual({ name: 'REQUIRED', value: 'true' });
  });

  test('GitLab and Gitea: their API, the token as a cdk8s-plus Secret, a context of one\'s own', () => {
    const out = synth((s) => {
      const secret = kplus.Secret.fromSecretName(s, 'token', 'gitlab-status');
      new FluxTriggeredPipeline(s, 'on-push', { source: repo(s), pipeline: ciPipeline(s), status: CommitStatus.gitlab({ project: 'acme/group/app', tokenSecret: secret, context: 'tekton/build' }) });
      new FluxTriggeredPipeline(s, 'on-push-2', { source: repo(s), pipeline: ciPipeline(s, 'other'), status: CommitStatus.gitea({ repository: 'acme/app', tokenSecretName: 'gitea', apiUrl: 'https://git.example.com/api/v1/' }) });
    });
    const env = (name: string) => find(out, 'Task', name).spec.steps[0].env;
    expect(env('ci-commit-status')).toEqual(expect.arrayContaining([{ name: 'PROVIDER', value: 'gitlab' }, { name: 'API', value: 'https://gitlab.com/api/v4' },
      { name: 'CONTEXT', value: 'tekton/build' }, { name: 'PROJECT', value: 'acme/group/app' },
      { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'gitlab-status', key: 'token' } } }]));
    expect(env('other-commit-status')).toEqual(expect.arrayContaining([{ name: 'PROVIDER', value: 'gitea' }, { name: 'API', value: 'https://git.example.com/api/v1' }]));
  });

  test('two triggers of one pipeline with the same status share its tasks; addPipeline reports too', () => {
    const out = synth((s) => {
      const p = ciPipeline(s);
      const status = github();
      const t = new FluxTriggeredPipeline(s, 'on-push', { source: repo(s), pipeline: p, status });
      new FluxTriggeredPipeline(s, 'on-push-2', { source: repo(s), pipeline: p, status: github() });
      t.addPipeline('lint', { pipeline: ciPipeline(s, 'lint'), status: github({ context: 'ci/lint' }) });
    });
    expect(find(out, 'Pipeline', 'ci').spec.tasks.filter((t: any) => t.name === 'commit-status')).toHaveLength(1);
    expect(find(out, 'Task', 'lint-commit-status').spec.steps[0].env).toContainEqual({ name: 'CONTEXT', value: 'ci/lint' });
  });
});

describe('status: refused with a code and the path', () => {
  test.each([
    ['a repository that is no path', () => github({ repository: 'acme' }), 'invalid-repository'],
    ['no token Secret', () => CommitStatus.github({ repository: 'acme/app' }), 'missing-prop'],
    ['a Secret name the API server refuses', () => github({ tokenSecretName: 'Bad_Name' }), 'invalid-secret-name'],
    ['an http API (the token would cross the network)', () => github({ apiUrl: 'http://github.example.com/api/v3' }), 'not-https'],
    ['a context with a quote', () => github({ context: 'ci/"x"' }), 'invalid-status-context'],
    ['a run URL with an unknown placeholder', () => github({ runUrl: 'https://tekton.example.com/{pipeline}' }), 'invalid-url'],
    ['a run URL with a space', () => github({ runUrl: 'https://tekton.example.com/a b' }), 'invalid-url'],
    ['Gitea without an API URL', () => CommitStatus.gitea({ repository: 'acme/app', tokenSecretName: 't', apiUrl: '' }), 'missing-prop'],
  ])('%s', (_, status, code) => {
    expect(codesOf((s) => {
      new FluxTriggeredPipeline(s, 'on-push', { source: repo(s), pipeline: ciPipeline(s), status: status() });
    })).toContainEqual(['test/on-push', code]);
  });

  test('http to a loopback address is allowed (a proxy beside the step)', () => {
    expect(codesOf((s) => {
      new FluxTriggeredPipeline(s, 'on-push', { source: repo(s), pipeline: ciPipeline(s), status: github({ apiUrl: 'http://127.0.0.1:8089' }) });
    })).toEqual([]);
  });

  test('an OCI source has no commit to report on', () => {
    expect(codesOf((s) => {
      const oci = new OCIRepository(s, 'oci', { url: 'oci://ghcr.io/acme/app', namespace: 'flux-system' });
      new FluxTriggeredPipeline(s, 'on-push', { source: oci, pipeline: ciPipeline(s), status: github() });
    })).toContainEqual(['test/on-push', 'status-needs-commit']);
  });

  test('an imported pipeline cannot be given tasks', () => {
    expect(codesOf((s) => {
      new FluxTriggeredPipeline(s, 'on-push', { source: repo(s), pipeline: Pipeline.fromPipelineName(s, 'p', 'theirs'), status: github() });
    })).toContainEqual(['test/on-push', 'status-needs-pipeline']);
  });

  test('one pipeline reports one way', () => {
    expect(codesOf((s) => {
      const p = ciPipeline(s);
      new FluxTriggeredPipeline(s, 'a', { source: repo(s), pipeline: p, status: github() });
      new FluxTriggeredPipeline(s, 'b', { source: repo(s), pipeline: p, status: github({ context: 'other' }) });
    })).toContainEqual(['test/b', 'conflicting-status']);
  });

  test('a Kustomization of a GitRepository reports on the config repo\'s commit', () => {
    expect(codesOf((s) => {
      const k = new Kustomization(s, 'k', { source: repo(s), path: './envs/dev' });
      new FluxTriggeredPipeline(s, 'on-deploy', { source: k, pipeline: ciPipeline(s), status: github() });
    })).toEqual([]);
  });
});

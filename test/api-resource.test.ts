import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  Alert, EventListener, FluxTriggeredPipeline, GitRepository, Interceptor, Kustomization, OCIRepository, Pipeline, PipelineRun, Provider, Receiver,
  ReceiverType, Task, TriggerTemplate, WorkspaceBinding,
} from '../src';
import { errorsOf, find, problemsOf, synth } from './util';

describe('the L2s are cdk8s-plus API resources', () => {
  test('kplus.Role.allowRead(pipeline) renders a rule for tekton.dev pipelines, by name; metadata takes labels after construction', () => {
    const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
    const task = new Task(chart, 'build');
    task.addStep({ name: 's', image: 'alpine:3.20', script: '#!/bin/sh\ntrue' });
    const pipeline = new Pipeline(chart, 'ci');
    pipeline.addTask('build', { task });
    const repo = new GitRepository(chart, 'app', { url: 'https://github.com/acme/app.git', branch: 'main' });
    const role = new kplus.Role(chart, 'reader');
    role.allowRead(pipeline, repo);
    pipeline.metadata.addLabel('team', 'web');
    const objects = Testing.synth(chart);
    expect(find(objects, 'Role').rules).toEqual(expect.arrayContaining([
      { apiGroups: ['tekton.dev'], resourceNames: ['ci'], resources: ['pipelines'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['source.toolkit.fluxcd.io'], resourceNames: ['app'], resources: ['gitrepositories'], verbs: ['get', 'list', 'watch'] },
    ]));
    expect(find(objects, 'Pipeline').metadata.labels).toEqual({ team: 'web' });
    expect([pipeline.kind, pipeline.apiVersion, task.apiGroup, task.resourceType]).toEqual(['Pipeline', 'tekton.dev/v1', 'tekton.dev', 'tasks']);
  });

  test('a PipelineRun is a Resource too: allowRead(run) names it; metadata after construction; its name is claimed', () => {
    const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
    const pipeline = Pipeline.fromPipelineName(chart, 'p', 'deploy');
    const run = new PipelineRun(chart, 'run', { pipeline, metadata: { annotations: { why: 'first' } } });
    run.metadata.addLabel('team', 'web');
    new kplus.Role(chart, 'reader').allowRead(run);
    const objects = Testing.synth(chart);
    expect(find(objects, 'Role').rules).toEqual([
      { apiGroups: ['tekton.dev'], resourceNames: [run.name], resources: ['pipelineruns'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(find(objects, 'PipelineRun').metadata).toEqual({ name: run.name, namespace: 'ci', labels: { team: 'web' }, annotations: { why: 'first' } });
    expect([run.kind, run.apiVersion, run.namespace]).toEqual(['PipelineRun', 'tekton.dev/v1', 'ci']);
    // the same run twice: one name, claimed once
    const errors = errorsOf((s) => {
      const p = Pipeline.fromPipelineName(s, 'p', 'deploy');
      new PipelineRun(s, 'a', { pipeline: p });
      new PipelineRun(s, 'b', { pipeline: p });
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\[test\/b\] PipelineRun 'deploy-[0-9a-f]{8}' in namespace 'ci' is also defined by test\/a/);
  });
});

describe('references to core objects are cdk8s-plus objects', () => {
  test('serviceAccount: a kplus.ServiceAccount runs the TaskRuns; no ServiceAccount of the runs\' own; both forms at once are an error', () => {
    const chart = new Chart(Testing.app(), 'ci', { namespace: 'ci' });
    const task = new Task(chart, 'build');
    task.addParam('commit');
    task.addStep({ name: 's', image: 'alpine:3.20', script: '#!/bin/sh\ntrue' });
    const pipeline = new Pipeline(chart, 'ci');
    pipeline.addTask('build', { task });
    const repo = new GitRepository(chart, 'app', { url: 'https://github.com/acme/app.git', branch: 'main', namespace: 'flux-system' });
    const builder = new kplus.ServiceAccount(chart, 'builder', { metadata: { name: 'builder' } });
    new FluxTriggeredPipeline(chart, 'on-push', { source: repo, pipeline, serviceAccount: builder });
    const objects = Testing.synth(chart);
    const template = find(objects, 'TriggerTemplate');
    expect(template.spec.resourcetemplates[0].spec.taskRunTemplate).toEqual({ serviceAccountName: 'builder' });
    expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name)).not.toContain('on-push-run');
    expect(errorsOf((s) => {
      const t = new Task(s, 't');
      t.addStep({ name: 's', image: 'alpine:3.20', script: '#!/bin/sh\ntrue' });
      const p = new Pipeline(s, 'p');
      p.addTask('t', { task: t });
      new FluxTriggeredPipeline(s, 'fp', {
        source: new GitRepository(s, 'r', { url: 'https://github.com/acme/app.git', branch: 'main' }),
        pipeline: p,
        serviceAccount: kplus.ServiceAccount.fromServiceAccountName(s, 'sa', 'a'),
        serviceAccountName: 'b',
      });
    })).toEqual(["[test/fp] serviceAccount 'a' and serviceAccountName 'b' name the runs' ServiceAccount twice: give one of them"]);
  });

  test('every Secret and ServiceAccount a Tekton, Triggers or Flux prop names can be a cdk8s-plus object; it renders by its name', () => {
    const objects = synth((s) => {
      const secret = (name: string) => kplus.Secret.fromSecretName(s, `secret-${name}`, name);
      const account = (name: string) => kplus.ServiceAccount.fromServiceAccountName(s, `account-${name}`, name);
      const repo = new GitRepository(s, 'repo', { url: 'https://github.com/acme/app.git', branch: 'main', secret: secret('git-creds') });
      new OCIRepository(s, 'oci', { url: 'oci://ghcr.io/acme/manifests', secret: secret('registry') });
      new Kustomization(s, 'apps', { source: repo, serviceAccount: account('flux-apply') });
      const provider = new Provider(s, 'hook', { address: 'https://el.example.com', secret: secret('headers'), certSecret: secret('ca') });
      new Alert(s, 'alert', { provider, eventSources: [repo] });
      new Receiver(s, 'receiver', { type: ReceiverType.GITHUB, resources: [repo], secret: secret('webhook') });
      const template = new TriggerTemplate(s, 'tt');
      template.addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { generateName: 'run-' }, spec: {} });
      new EventListener(s, 'el', {
        serviceAccount: account('listener'),
        tls: { secret: secret('el-tls') },
        triggers: [{ name: 'push', template, interceptors: [Interceptor.github({ secretRef: { secret: secret('gh-hook'), secretKey: 'token' } })] }],
      });
      const pipeline = Pipeline.fromPipelineName(s, 'deploy', 'deploy', { workspaces: { creds: {}, cache: {}, settings: {} } });
      new PipelineRun(s, 'run', {
        pipeline,
        serviceAccount: account('deployer'),
        workspaces: {
          creds: WorkspaceBinding.secret(secret('run-registry')),
          cache: WorkspaceBinding.persistentVolumeClaim(kplus.PersistentVolumeClaim.fromClaimName(s, 'claim', 'cache')),
          settings: WorkspaceBinding.configMap(kplus.ConfigMap.fromConfigMapName(s, 'cfg', 'settings')),
        },
      });
    }, 'flux-system');
    expect(find(objects, 'GitRepository').spec.secretRef).toEqual({ name: 'git-creds' });
    expect(find(objects, 'OCIRepository').spec.secretRef).toEqual({ name: 'registry' });
    expect(find(objects, 'Kustomization').spec.serviceAccountName).toBe('flux-apply');
    expect(find(objects, 'Provider').spec).toMatchObject({ secretRef: { name: 'headers' }, certSecretRef: { name: 'ca' } });
    expect(find(objects, 'Receiver').spec.secretRef).toEqual({ name: 'webhook' });
    const listener = find(objects, 'EventListener').spec;
    expect(listener.serviceAccountName).toBe('listener');
    expect(objects.filter((o) => o.kind === 'ServiceAccount')).toEqual([]);
    expect(listener.resources.kubernetesResource.spec.template.spec.containers[0].env.map((e: any) => e.valueFrom.secretKeyRef.name)).toEqual(['el-tls', 'el-tls']);
    expect(listener.triggers[0].interceptors[0].params).toEqual([{ name: 'secretRef', value: { secretName: 'gh-hook', secretKey: 'token' } }]);
    const run = find(objects, 'PipelineRun').spec;
    expect(run.taskRunTemplate).toEqual({ serviceAccountName: 'deployer' });
    expect(run.workspaces).toEqual([
      { name: 'cache', persistentVolumeClaim: { claimName: 'cache' } },
      { name: 'creds', secret: { secretName: 'run-registry' } },
      { name: 'settings', configMap: { name: 'settings' } },
    ]);
  });

  test('an object and a name for one reference are conflicting-props; a reference that must be given and is not, missing-prop', () => {
    const problems = problemsOf((s) => {
      const secret = kplus.Secret.fromSecretName(s, 'a', 'a');
      const account = kplus.ServiceAccount.fromServiceAccountName(s, 'sa', 'sa');
      const repo = new GitRepository(s, 'repo', { url: 'https://github.com/acme/app.git', branch: 'main', secret, secretName: 'b' });
      new OCIRepository(s, 'oci', { url: 'oci://ghcr.io/acme/manifests', secret, secretName: 'b' });
      new Kustomization(s, 'apps', { source: repo, serviceAccount: account, serviceAccountName: 'b' });
      new Provider(s, 'hook', { address: 'https://el.example.com', certSecret: secret, certSecretName: 'b' });
      new Receiver(s, 'receiver', { type: ReceiverType.GITHUB, resources: [repo] });
      const template = new TriggerTemplate(s, 'tt');
      template.addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { generateName: 'run-' }, spec: {} });
      new EventListener(s, 'el', {
        serviceAccount: account,
        serviceAccountName: 'b',
        tls: {},
        triggers: [{ name: 'push', template, interceptors: [Interceptor.gitlab({ secretRef: { secretKey: 'token' } })] }],
      });
      new PipelineRun(s, 'run', { pipeline: Pipeline.fromPipelineName(s, 'p', 'p'), serviceAccount: account, serviceAccountName: 'b' });
    }, 'flux-system');
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['test/repo', 'conflicting-props'],
      ['test/oci', 'conflicting-props'],
      ['test/apps', 'conflicting-props'],
      ['test/hook', 'conflicting-props'],
      ['test/receiver', 'missing-prop'],
      ['test/el', 'conflicting-props'],
      ['test/el', 'missing-prop'],
      ['test/el', 'missing-prop'],
      ['test/run', 'conflicting-props'],
    ]);
    // the wording: both names, and what to do
    expect(problems[0].message).toBe("secret 'a' and secretName 'b' name the Secret twice");
    expect(problems[0].fix).toBe('give one of them');
  });
});


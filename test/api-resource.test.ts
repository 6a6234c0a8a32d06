import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { FluxTriggeredPipeline, GitRepository, Pipeline, PipelineRun, Task } from '../src';
import { errorsOf, find } from './util';

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
});

import { Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { GitRepository, Pipeline, Task } from '../src';
import { find } from './util';

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
});

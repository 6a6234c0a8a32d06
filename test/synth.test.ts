import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Lazy, Yaml, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { buildApp } from '../app/main';
import { synthCharts } from '../src/app/synth';

/**
 * `synthCharts` must do exactly what cdk8s's `App.synth()` does for one file per chart: the same files, in the
 * same order, with the same documents, and the same validation errors.
 */
function saves(build: (app: App) => void, synth: (app: App) => void): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-test-'));
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  build(app);
  const out: string[] = [];
  const save = Yaml.save;
  Yaml.save = (file: string, docs: any[]) => {
    out.push(`${path.basename(file)} ${JSON.stringify(docs)}`);
  };
  try {
    synth(app);
  } catch (e: any) {
    out.push(`error: ${e.message}`);
  } finally {
    Yaml.save = save;
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  return out;
}

function same(build: (app: App) => void): string[] {
  const cdk8s = saves(build, (app) => app.synth());
  let fellBack = false;
  const ours = saves(build, (app) => synthCharts(app, () => {
    fellBack = true;
    app.synth();
  }));
  expect(ours).toEqual(cdk8s);
  return fellBack ? ['fell back', ...ours] : ours;
}

const object = (scope: Construct, id: string) => new ApiObject(scope, id, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: id } });

describe('synthCharts', () => {
  test('the synth app: every chart and object as cdk8s writes them, without falling back', () => {
    const out = same((app) => buildApp(app));
    expect(out[0]).not.toBe('fell back');
    expect(out.length).toBeGreaterThan(1);
  });

  test('charts and objects in tree order, also under plain constructs', () => {
    same((app) => {
      const a = new Chart(app, 'b-chart');
      object(a, 'z');
      object(new Construct(a, 'group'), 'y');
      object(a, 'x');
      const holder = new Construct(app, 'holder');
      object(new Chart(holder, 'a-chart'), 'w');
    });
  });

  test('dependencies between objects and charts fall back to cdk8s (index-prefixed file names, their order)', () => {
    const out = same((app) => {
      const a = new Chart(app, 'a');
      const b = new Chart(app, 'b');
      const x = object(a, 'x');
      const y = object(b, 'y');
      const z = object(b, 'z');
      x.addDependency(z);
      z.addDependency(y);
    });
    expect(out[0]).toBe('fell back');
    expect(out[1]).toMatch(/^0000-b\.k8s\.yaml/);
  });

  test('a dependency inside one chart orders its objects as cdk8s does', () => {
    same((app) => {
      const a = new Chart(app, 'a');
      const x = object(a, 'x');
      object(a, 'y');
      const z = object(a, 'z');
      x.addDependency(z);
    });
  });

  test('a chart inside a chart, integer-like ids, a chart with its own toJson', () => {
    same((app) => {
      const outer = new Chart(app, 'outer');
      object(new Chart(outer, 'inner'), 'x');
      object(outer, 'y');
    });
    same((app) => {
      for (const id of ['b', '10', '2', 'a']) object(new Chart(app, id), `o${id}`);
    });
    same((app) => {
      class Custom extends Chart {
        public toJson(): any[] {
          return [...super.toJson(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra' } }];
        }
      }
      object(new Custom(app, 'custom'), 'x');
      object(new Chart(app, 'plain'), 'y');
    });
  });

  test('a dependency that appears in the validation before a chart orders its objects as cdk8s does', () => {
    const out = same((app) => {
      let passes = 0;
      const a = new Chart(app, 'a');
      const x = object(a, 'x');
      object(a, 'y');
      const z = object(a, 'z');
      a.node.addValidation({ validate: () => { if (++passes === 2) x.addDependency(z); return []; } });
    });
    expect(out[0]).not.toBe('fell back');
    expect(out[0]).toMatch(/"name":"z".*"name":"x"/);
  });

  test('a dependency that appears while charts render is resolved by cdk8s from then on', () => {
    same((app) => {
      const a = new Chart(app, 'a');
      const b = new Chart(app, 'b');
      const late = object(b, 'late');
      const first = object(b, 'first');
      new ApiObject(a, 'adds', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'adds' },
        data: Lazy.any({ produce: () => { late.addDependency(first); return { k: 'v' }; } }),
      });
    });
  });

  test('validation errors: the same message, from the first pass and from a pass before a chart', () => {
    same((app) => {
      const a = new Chart(app, 'a');
      object(a, 'x').node.addValidation({ validate: () => ['x is wrong'] });
      new Construct(a, 'y').node.addValidation({ validate: () => ['y is wrong', 'and this'] });
    });
    same((app) => {
      let rendered = false;
      const a = new Chart(app, 'a');
      new ApiObject(a, 'x', { apiVersion: 'v1', kind: 'ConfigMap', data: Lazy.any({ produce: () => { rendered = true; return {}; } }) });
      object(new Chart(app, 'b'), 'y').node.addValidation({ validate: () => (rendered ? ['fails once a chart rendered'] : []) });
    }).forEach((line) => expect(line).not.toBe('fell back'));
  });
});

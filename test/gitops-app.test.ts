import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, Chart, Lazy } from 'cdk8s';
import { GitOpsApp, Task } from '../src';
import { snapshotDir, tempDir } from './util';
import { buildApp } from '../app/main';

function appWithCharts(outdir: string, charts: string[], broken = false) {
  const app = new GitOpsApp({ outdir });
  for (const id of charts) {
    const chart = new Chart(app, id, { namespace: id });
    const task = new Task(chart, 'hello');
    task.addStep({ name: 'hello', image: 'busybox:1.36', script: broken ? 'echo $(params.missing)' : 'echo hello' });
  }
  return app;
}

describe('GitOpsApp: synth into dist/', () => {
  test('the synth app writes one file per chart, and nothing else', () => {
    const out = tempDir();
    buildApp(new GitOpsApp({ outdir: out })).synth();
    expect(fs.readdirSync(out).sort()).toEqual(['_namespaces.k8s.yaml', 'ci.k8s.yaml', 'flux-system.k8s.yaml']);
    expect(fs.readFileSync(path.join(out, 'ci.k8s.yaml'), 'utf8')).toContain('kind: Pipeline');
  });

  test('a second synth changes nothing', () => {
    const out = tempDir();
    buildApp(new GitOpsApp({ outdir: out })).synth();
    const first = snapshotDir(out);
    buildApp(new GitOpsApp({ outdir: out })).synth();
    expect(snapshotDir(out)).toEqual(first);
  });

  test('a chart removed from the app removes its file', () => {
    const out = tempDir();
    appWithCharts(out, ['alpha', 'beta']).synth();
    expect(fs.readdirSync(out).sort()).toEqual(['_namespaces.k8s.yaml', 'alpha.k8s.yaml', 'beta.k8s.yaml']);
    appWithCharts(out, ['alpha']).synth();
    expect(fs.readdirSync(out).sort()).toEqual(['_namespaces.k8s.yaml', 'alpha.k8s.yaml']);
  });

  test('an app that fails validation leaves dist/ untouched (same bytes, same files)', () => {
    const out = tempDir();
    appWithCharts(out, ['alpha', 'beta']).synth();
    const before = snapshotDir(out);
    expect(() => appWithCharts(out, ['alpha', 'gamma'], true).synth())
      .toThrow(/\[gamma\/hello\] steps\[0\]\.script references \$\(params\.missing\), but the Task has no param 'missing'/);
    expect(snapshotDir(out)).toEqual(before);
    expect(fs.readdirSync(path.dirname(out)).filter((f) => f.startsWith(`${path.basename(out)}.`))).toEqual([]);
  });

  test('an app that throws while rendering leaves dist/ untouched', () => {
    const out = tempDir();
    appWithCharts(out, ['alpha']).synth();
    const before = snapshotDir(out);
    const app = appWithCharts(out, ['alpha', 'beta']);
    new ApiObject(Chart.of(app.node.findChild('beta') as Chart), 'broken', {
      apiVersion: 'v1', kind: 'ConfigMap', data: Lazy.any({ produce: () => { throw new Error('boom while rendering'); } }),
    } as any);
    expect(() => app.synth()).toThrow('boom while rendering');
    expect(snapshotDir(out)).toEqual(before);
  });

  test('a synth into a missing folder creates it', () => {
    const out = path.join(tempDir(), 'nested', 'dist');
    appWithCharts(out, ['alpha']).synth();
    expect(fs.readdirSync(out).sort()).toEqual(['_namespaces.k8s.yaml', 'alpha.k8s.yaml']);
  });

  test('under `cdk8s synth`, the staged manifests are also left in $CDK8S_OUTDIR for the CLI', () => {
    const out = tempDir();
    const cli = path.join(tempDir(), 'cli');
    process.env.CDK8S_OUTDIR = cli;
    try {
      appWithCharts(out, ['alpha']).synth();
    } finally {
      delete process.env.CDK8S_OUTDIR;
    }
    expect(fs.readdirSync(cli).sort()).toEqual(['_namespaces.k8s.yaml', 'alpha.k8s.yaml']);
    expect(snapshotDir(cli)).toEqual(snapshotDir(out));
  });

  test('Namespaces for the namespaces the objects use: not those a cluster has, not those the app defines; opt-out', () => {
    const out = tempDir();
    const app = appWithCharts(out, ['alpha', 'flux-system', 'default']);
    new ApiObject(Chart.of(app.node.findChild('alpha') as Chart), 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'alpha' } });
    new ApiObject(Chart.of(app.node.findChild('alpha') as Chart), 'cm', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'team-b' } });
    app.synth();
    expect(fs.readFileSync(path.join(out, '_namespaces.k8s.yaml'), 'utf8')).toBe(
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-b\n  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n');
    const off = tempDir();
    const plain = new GitOpsApp({ outdir: off, namespaces: false });
    new Task(new Chart(plain, 'ci', { namespace: 'ci' }), 't').addStep({ name: 's', image: 'busybox:1.36', script: 'true' });
    plain.synth();
    expect(fs.readdirSync(off)).toEqual(['ci.k8s.yaml']);
  });
});

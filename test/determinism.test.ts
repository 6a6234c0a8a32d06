import { Construct } from 'constructs';
import { FluxEvent, FluxTriggeredPipeline, GitRepository, Pipeline, PipelineRun, Task, WorkspaceBinding } from '../src';
import { matrixObjects } from './support/matrix';
import { synth } from './util';

describe('determinism', () => {
  test('the same app synthesizes to the same bytes', () => {
    expect(JSON.stringify(matrixObjects())).toBe(JSON.stringify(matrixObjects()));
  });

  test('nothing random or time-based is written', () => {
    const text = JSON.stringify(matrixObjects());
    expect(text).not.toMatch(/20\d\d-\d\d-\d\dT/);
    expect(text).not.toContain(String(new Date().getFullYear()) + '-');
  });

  /**
   * Where Tekton does not care about order (which Task was declared first, which param a Task declared
   * first, the key order of props), the derived objects do not change. Objects themselves appear in a file
   * in construct order, as cdk8s writes them.
   */
  test('derived params, workspaces, bindings and runs do not depend on declaration order', () => {
    const build = (reverse: boolean) => (s: Construct) => {
      const order = <T>(xs: T[]) => (reverse ? [...xs].reverse() : xs);
      const tasks: { [id: string]: Task } = {};
      for (const id of order(['build', 'test'])) {
        const t = new Task(s, id);
        for (const p of order(id === 'build' ? ['image', 'commit'] : ['commit', 'suite'])) t.addParam(p);
        for (const w of order(['source', 'cache'])) t.addWorkspace(w);
        t.addStep({ name: 'run', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' });
        tasks[id] = t;
      }
      const p = new Pipeline(s, 'ci');
      const b = p.addTask('build', { task: tasks.build });
      p.addTask('test', { task: tasks.test, runAfter: [b] });
      const repo = new GitRepository(s, 'repo', { url: 'https://github.com/acme/app.git', branch: 'main' });
      const params = reverse
        ? { suite: 'unit', image: 'ghcr.io/acme/app', commit: FluxEvent.commit() }
        : { commit: FluxEvent.commit(), image: 'ghcr.io/acme/app', suite: 'unit' };
      const workspaces = reverse
        ? { source: WorkspaceBinding.volumeClaimTemplate(), cache: WorkspaceBinding.persistentVolumeClaim('cache') }
        : { cache: WorkspaceBinding.persistentVolumeClaim('cache'), source: WorkspaceBinding.volumeClaimTemplate() };
      new FluxTriggeredPipeline(s, 'on-push', { source: repo, pipeline: p, params, workspaces });
      new PipelineRun(s, 'backfill', { pipeline: p, params: reverse ? { suite: 'e2e', image: 'x', commit: 'abc' } : { commit: 'abc', image: 'x', suite: 'e2e' }, workspaces });
    };
    const derived = (objects: any[]) => objects
      .filter((o) => ['Pipeline', 'TriggerBinding', 'TriggerTemplate', 'EventListener', 'PipelineRun'].includes(o.kind))
      .map((o) => ({ kind: o.kind, name: o.metadata.name, params: o.spec.params, workspaces: o.spec.workspaces, spec: o.kind === 'Pipeline' ? undefined : o.spec }));
    expect(derived(synth(build(true)))).toEqual(derived(synth(build(false))));
  });
});

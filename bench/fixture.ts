import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { lib } from './lib';

const { FluxTriggeredPipeline, GitRepository, ListenerAuthentication, OnError, Pipeline, Task, WorkspaceBinding } = lib;

/**
 * One FluxTriggeredPipeline: a GitRepository, a 6-task pipeline with results, retries and a finally task.
 * `shared`: the pipeline joins its namespace's listener (the default: no `listener` prop, `FluxListener.of`), a
 * Trigger of one EventListener; otherwise it has a listener of its own (an `authentication` prop, the default
 * shared token, makes one), as every pipeline had before listeners were shared by default.
 */
export function addCase(ci: Chart, flux: Chart, i: number, shared: boolean) {
  const id = `svc-${i}`;
  const repo = new GitRepository(flux, `${id}-repo`, { url: `https://github.com/acme/${id}.git`, branch: 'main', interval: Duration.minutes(1) });
  const scope = new Construct(ci, id);
  const task = (name: string, results: string[] = [], params: string[] = []) => {
    const t = new Task(scope, name, { name: `${id}-${name}` });
    const source = t.addWorkspace('source');
    const refs = params.map((p) => t.addParam(p));
    const outs = results.map((r) => t.addResult(r));
    t.addStep({
      name: 'run',
      image: 'node:20-bookworm-slim',
      script: `#!/bin/sh\nset -eu\ncd ${source.path}\necho ${refs.join(' ')}\n${outs.map((o) => `echo ok > ${o.path}`).join('\n')}`,
    });
    return t;
  };
  const p = new Pipeline(scope, 'pipeline', { name: `${id}-ci`, timeouts: { pipeline: Duration.hours(1) } });
  const clone = p.addTask('clone', { task: task('clone', ['commit'], ['url', 'revision']), retries: 2 });
  const lint = p.addTask('lint', { task: task('lint'), runAfter: [clone] });
  const unit = p.addTask('test', { task: task('test', ['report']), runAfter: [clone], retries: 1 });
  const build = p.addTask('build', { task: task('build', ['digest'], ['commit', 'image']), params: { commit: clone.result('commit') }, runAfter: [lint, unit] });
  p.addTask('deploy', { task: task('deploy', [], ['digest']), params: { digest: build.result('digest') } });
  p.addFinally('notify', { task: task('notify', [], ['status']), params: { status: p.tasksStatus }, onError: OnError.CONTINUE });
  new FluxTriggeredPipeline(scope, 'on-push', {
    name: `${id}-on-push`,
    source: repo,
    pipeline: p,
    params: { url: repo.url, image: `ghcr.io/acme/${id}` },
    workspaces: { source: WorkspaceBinding.volumeClaimTemplate() },
    authentication: shared ? undefined : ListenerAuthentication.sharedToken(),
  });
}

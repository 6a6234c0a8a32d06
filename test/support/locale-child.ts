/**
 * A synth in a process of its own, for the locale test: `node -r ts-node/register/transpile-only
 * locale-child.ts <outdir>` synthesizes the synth app (app/main.ts) and a chart whose params, workspaces and
 * pipelines have names that collations order differently (Danish sorts `aa` after `z`, Czech `ch` after `h`,
 * English `a` before `B` and `_` before `-`) into `outdir`, and prints the locale the process's default
 * collator resolved to.
 */
import { Chart } from 'cdk8s';
import { buildApp } from '../../app/main';
import { FluxTriggeredPipeline, GitOpsApp, GitRepository, Pipeline, PipelineRun, Task, WorkspaceBinding } from '../../src';

const LOCALE_NAMES = ['z', 'h', 'ch', 'ab', 'aa', 'a_b', 'a-b', 'B', 'a'];

const app = new GitOpsApp({ outdir: process.argv[2] });
buildApp(app);
for (const ns of ['z', 'ch', 'h', 'aa']) {
  const chart = new Chart(app, `locale-${ns}`, { namespace: ns });
  const repo = new GitRepository(chart, 'repo', { url: 'https://github.com/acme/app.git', branch: 'main' });
  const task = new Task(chart, 'task');
  for (const name of LOCALE_NAMES) task.addParam(name);
  for (const name of LOCALE_NAMES) task.addWorkspace(name);
  task.addStep({ name: 'run', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' });
  const params = Object.fromEntries(LOCALE_NAMES.map((n) => [n, `value of ${n}`]));
  const workspaces = Object.fromEntries(LOCALE_NAMES.map((n) => [n, WorkspaceBinding.emptyDir()]));
  // pipelines named so that the pruner's list of them is sorted too
  for (const name of ['z', 'h', 'ch', 'ab', 'aa']) {
    const pipeline = new Pipeline(chart, name);
    pipeline.addTask('task', { task });
    new FluxTriggeredPipeline(chart, `on-push-${name}`, { source: repo, pipeline, params, workspaces, keepRuns: 3 });
    new PipelineRun(chart, `backfill-${name}`, { pipeline, params, workspaces });
  }
}
app.synth();
process.stdout.write(new Intl.Collator().resolvedOptions().locale);

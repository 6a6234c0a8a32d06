// Example 1: CI for a Node service. A push to `main` makes Flux store a new artifact of the GitRepository;
// the pipeline clones that commit, runs lint and tests in parallel, builds and pushes an image.
import { App, Chart, Duration } from 'cdk8s';
import {
  FluxTriggeredPipeline, GitOpsApp, GitOpsSync, GitRepository, Pipeline, Task, WorkspaceBinding,
} from 'cdk8s-tekton-flux';

export function build(app: App): App {
  const flux = new Chart(app, 'flux-system', { namespace: 'flux-system' });
  const repo = new GitRepository(flux, 'web-app', { url: 'https://github.com/acme/web-app.git', branch: 'main' });
  const config = new GitRepository(flux, 'ci-config', { url: 'https://github.com/acme/ci-config.git', branch: 'main' });
  new GitOpsSync(flux, 'ci-config-sync', { source: config, path: './dist' });

  const ci = new Chart(app, 'ci', { namespace: 'ci' });
  const clone = new Task(ci, 'clone');
  const url = clone.addParam('url');
  const commit = clone.addParam('commit', { description: 'the commit Flux fetched' });
  const source = clone.addWorkspace('source');
  clone.addStep({ name: 'clone', image: 'alpine/git:2.45.2', script: `#!/bin/sh\nset -eu\ngit clone "${url}" "${source.path}/src"\ngit -C "${source.path}/src" checkout "${commit}"` });

  const npm = (id: string, script: string) => {
    const task = new Task(ci, id);
    const ws = task.addWorkspace('source');
    task.addStep({ name: id, image: 'node:20-bookworm-slim', workingDir: `${ws.path}/src`, script: `#!/bin/sh\nset -eu\nnpm ci\nnpm run ${script}` });
    return task;
  };

  const image = new Task(ci, 'image');
  const repository = image.addParam('repository', { default: 'ghcr.io/acme/web-app' });
  const tag = image.addParam('commit');
  const ws = image.addWorkspace('source');
  const digest = image.addResult('digest');
  image.addStep({
    name: 'kaniko',
    image: 'gcr.io/kaniko-project/executor:v1.23.2',
    command: ['/kaniko/executor'], // without it, Tekton's controller asks the registry for the entrypoint
    args: [`--context=${ws.path}/src`, `--destination=${repository}:${tag}`, `--digest-file=${digest.path}`],
  });

  const pipeline = new Pipeline(ci, 'web-app-ci', { timeouts: { pipeline: Duration.minutes(30) } });
  const cloned = pipeline.addTask('clone', { task: clone, retries: 2 });
  const lint = pipeline.addTask('lint', { task: npm('lint', 'lint'), runAfter: [cloned] });
  const test = pipeline.addTask('test', { task: npm('test', 'test'), runAfter: [cloned], retries: 1 });
  pipeline.addTask('image', { task: image, runAfter: [lint, test] });

  // `commit` is bound to the event by its name; `repository` keeps its default; `url` comes from the source.
  new FluxTriggeredPipeline(ci, 'web-app-push', {
    source: repo,
    pipeline,
    params: { url: repo.url },
    workspaces: { source: WorkspaceBinding.volumeClaimTemplate({ storage: '2Gi' }) },
  });
  return app;
}

if (require.main === module) build(new GitOpsApp({ outdir: 'dist' })).synth();

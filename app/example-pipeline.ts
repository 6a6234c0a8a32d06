import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { OnError, Pipeline, Task, When } from '../src';

/**
 * The example CI pipeline of the synth app: clone → install → lint ∥ unit-test → build → deploy, finally notify.
 * Only a few bindings are by hand; every other param and workspace is declared once, on its Task.
 * `install` runs `npm ci` once, so that lint and unit-test, which run side by side in the same checkout,
 * never race on node_modules; `notify` reads the pipeline's own `commit` param, which exists whatever failed
 * (a finally task that reads a result of a task that failed before writing it is skipped by Tekton).
 */
export function nodeServicePipeline(scope: Construct, id: string): Pipeline {
  const clone = new Task(scope, 'git-clone', { description: 'Clone a repository at a commit' });
  const url = clone.addParam('url', { description: 'repository URL' });
  const commit = clone.addParam('commit', { description: 'commit to check out' });
  const checkout = clone.addWorkspace('source', { description: 'where the repository is cloned' });
  const cloned = clone.addResult('commit', { description: 'the commit that was checked out' });
  clone.addStep({
    name: 'clone',
    image: 'alpine/git:2.45.2',
    script: [
      '#!/bin/sh', 'set -eu',
      `git clone --no-checkout "${url}" "${checkout.path}/repo"`,
      `cd "${checkout.path}/repo" && git checkout --detach "${commit}"`,
      `git rev-parse HEAD | tr -d '\\n' > "${cloned.path}"`,
    ].join('\n'),
  });

  const install = nodeTask(scope, 'npm-install', 'npm ci');
  const lint = nodeTask(scope, 'lint', 'npm run lint');
  const unit = nodeTask(scope, 'unit-test', 'npm test');

  const build = new Task(scope, 'build-image', { description: 'Build and push the image with kaniko' });
  const image = build.addParam('image', { description: 'image repository, e.g. ghcr.io/acme/app' });
  const buildSource = build.addWorkspace('source');
  const buildCommit = build.addParam('commit');
  const digest = build.addResult('digest', { description: 'digest of the pushed image' });
  build.addStep({
    name: 'build-and-push',
    image: 'gcr.io/kaniko-project/executor:v1.23.2',
    // Name the entrypoint: without `command` or `script`, Tekton's controller asks the registry for it.
    command: ['/kaniko/executor'],
    args: [
      `--context=${buildSource.path}/repo`,
      `--destination=${image}:${buildCommit}`,
      `--digest-file=${digest.path}`,
    ],
    computeResources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
  });

  const deploy = new Task(scope, 'deploy', { description: 'Roll the new image out to staging' });
  const deployImage = deploy.addParam('image');
  const deployDigest = deploy.addParam('digest');
  // No `enum`: it needs Tekton's alpha flag enable-param-enum, and this app must apply to a default install.
  const environment = deploy.addParam('environment', { default: 'staging', description: 'namespace to deploy to: staging or production' });
  deploy.addStep({
    name: 'rollout',
    image: 'bitnami/kubectl:1.31',
    script: '#!/bin/sh\nset -eu\n' +
      `kubectl -n "${environment}" set image deployment/app app="${deployImage}@${deployDigest}"\n` +
      `kubectl -n "${environment}" rollout status deployment/app --timeout=5m`,
  });

  const notify = new Task(scope, 'notify', { description: 'Post the outcome to a chat webhook' });
  const status = notify.addParam('status');
  const notifyCommit = notify.addParam('commit');
  notify.addStep({
    name: 'post',
    image: 'curlimages/curl:8.10.1',
    env: { WEBHOOK_URL: { secretKeyRef: { name: 'chat-webhook', key: 'url' } } },
    script: `#!/bin/sh\ncurl -fsS -X POST -d "ci ${status} for ${notifyCommit}" "$WEBHOOK_URL"`,
  });

  const pipeline = new Pipeline(scope, id, {
    description: 'Node service CI: clone, lint and test in parallel, build, deploy, notify',
    timeouts: { pipeline: Duration.hours(1), tasks: Duration.minutes(45), finally: Duration.minutes(10) },
  });
  const cloneTask = pipeline.addTask('clone', { task: clone, retries: 2 });
  const installTask = pipeline.addTask('install', { task: install, runAfter: [cloneTask], retries: 2 });
  const lintTask = pipeline.addTask('lint', { task: lint, runAfter: [installTask] });
  const unitTask = pipeline.addTask('unit-test', { task: unit, runAfter: [installTask], retries: 1, timeout: Duration.minutes(15) });
  const buildTask = pipeline.addTask('build', {
    task: build,
    runAfter: [lintTask, unitTask],
    params: { commit: cloneTask.result('commit') },
    retries: 2,
  });
  pipeline.addTask('deploy', {
    task: deploy,
    params: { digest: buildTask.result('digest') },
    when: [When.input(pipeline.addParam('deploy', { default: 'true', description: 'deploy after a green build' })).in(['true'])],
  });
  pipeline.addFinally('notify', {
    task: notify,
    // the run's commit param, not clone's result: it is there even when clone failed
    params: { status: pipeline.tasksStatus },
    onError: OnError.CONTINUE,
  });
  pipeline.addResult('digest', buildTask.result('digest'), { description: 'digest of the image built' });
  return pipeline;
}

function nodeTask(scope: Construct, id: string, command: string): Task {
  const task = new Task(scope, id, { description: `Run \`${command}\` in the checkout` });
  const source = task.addWorkspace('source');
  task.addStep({
    name: 'run',
    image: 'node:20-bookworm-slim',
    workingDir: `${source.path}/repo`,
    script: `#!/bin/sh\nset -eu\n${command}`,
    computeResources: { requests: { cpu: '250m', memory: '512Mi' } },
  });
  return task;
}

/** A post-deploy smoke test: checks that staging serves the revision Flux just applied. */
export function smokeTestPipeline(scope: Construct, id: string): Pipeline {
  const smoke = new Task(scope, 'smoke-test', { description: 'Probe the deployed service' });
  const baseUrl = smoke.addParam('base-url', { description: 'URL of the deployed service' });
  const revision = smoke.addParam('revision', { description: 'the revision Flux applied' });
  smoke.addStep({
    name: 'probe',
    image: 'curlimages/curl:8.10.1',
    script: `#!/bin/sh\nset -eu\necho "smoke testing ${revision}"\ncurl -fsS --retry 5 --retry-all-errors "${baseUrl}/healthz"`,
  });
  const pipeline = new Pipeline(scope, id, {
    description: 'Smoke test staging after Flux applied a new revision',
    timeouts: { pipeline: Duration.minutes(15) },
  });
  pipeline.addTask('probe', { task: smoke, retries: 3, timeout: Duration.minutes(5) });
  return pipeline;
}

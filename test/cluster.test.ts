import * as fs from 'fs';
import * as path from 'path';
import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { build as threeClusters } from '../examples/clusters/app';
import {
  Cluster, FluxListener, FluxTriggeredPipeline, GitOpsApp, GitOpsSync, GitRepository, Kustomization, ListenerAuthentication, ListenerExposure,
  Pipeline, Promotion, Task,
} from '../src';
import { mermaidGraph, simulateEvent } from '../src/simulate';
import { checkConformance } from './support/conformance';
import { CrdSchemas } from './support/crd-schemas';
import { crdsDir, errorsOf, fluxEvent, snapshotDir, tempDir } from './util';
import { folderOf, loadObjects as loadUnknown } from '../src/cli/load';

/** The objects of a folder, read field by field by the tests (Kubernetes JSON of a known shape). */
const loadObjects = (target: string): any[] => loadUnknown(target);
import { referencedSecrets } from '../src/simulate/secrets';

const CLUSTERS = ['ci', 'dev', 'staging', 'production'];
const sha = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Four clusters, a Kustomization `flux-system/apps` in each of dev, staging and production, promoted dev → staging → production from ci. */
function fleet(app: App, options: { mistakeIn?: string } = {}): App {
  const clusters = Object.fromEntries(CLUSTERS.map((name) => [name, new Cluster(app, name)]));
  const apps: { [cluster: string]: Kustomization } = {};
  for (const name of CLUSTERS.slice(1)) {
    const flux = new Chart(clusters[name], 'flux-system', { namespace: 'flux-system' });
    const repo = new GitRepository(flux, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' });
    apps[name] = new Kustomization(flux, 'apps', { source: repo, path: `./envs/${name}`, wait: true });
    if (options.mistakeIn === name) new GitRepository(flux, 'bad', { url: 'github.com/acme/bad.git', branch: 'main' });
  }
  const ci = new Chart(clusters.ci, 'ci', { namespace: 'ci' });
  const listener = new FluxListener(ci, 'listener', { externalUrl: 'https://ci.acme.example/flux-events' });
  new Promotion(ci, 'web', {
    app: 'web',
    listener,
    repositoryUrl: 'https://github.com/acme/fleet.git',
    gitTokenSecretName: 'fleet-git',
    environments: CLUSTERS.slice(1).map((name) => ({ name, kustomization: apps[name], path: `envs/${name}` })),
  });
  return app;
}

function synthesized(build: (app: App) => App) {
  const out = tempDir();
  build(new GitOpsApp({ outdir: out })).synth();
  return { out, objects: loadObjects(out) };
}

const walk = (dir: string, rel = ''): string[] => fs.readdirSync(path.join(dir, rel), { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? walk(dir, path.join(rel, e.name)) : [path.join(rel, e.name)])).sort();

describe('an app of four clusters', () => {
  const { out, objects } = synthesized(fleet);

  test('one folder per cluster, each with its own Flux objects; the listener in ci and each environment\'s Alert in its own cluster', () => {
    expect(walk(out)).toEqual([
      'ci/_namespaces.k8s.yaml', 'ci/ci.k8s.yaml',
      'dev/flux-system.k8s.yaml', 'production/flux-system.k8s.yaml', 'staging/flux-system.k8s.yaml',
    ]);
    const where = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => `${folderOf(o)}:${o.metadata.namespace}/${o.metadata.name}`).sort();
    expect(where('Kustomization')).toEqual(['dev:flux-system/apps', 'production:flux-system/apps', 'staging:flux-system/apps']);
    expect(where('EventListener')).toEqual(['ci:ci/flux-events']);
    expect(where('Ingress')).toEqual(['ci:ci/flux-events']);
    // production is the last environment: nothing is promoted from it
    expect(where('Alert')).toEqual(['dev:flux-system/flux-events-ci-ci', 'staging:flux-system/flux-events-ci-ci']);
    expect(objects.filter((o) => o.kind === 'Alert').map((o) => o.spec.eventMetadata)).toEqual([{ cluster: 'dev' }, { cluster: 'staging' }]);
    expect(objects.filter((o) => o.kind === 'Provider').map((o) => [o.spec.address, o.spec.secretRef.name])).toEqual([
      ['https://ci.acme.example/flux-events', 'flux-events-ci-ci-flux-token'],
      ['https://ci.acme.example/flux-events', 'flux-events-ci-ci-flux-token'],
    ]);
    const report = checkConformance(objects, CrdSchemas.load(crdsDir()));
    expect(report.schema).toEqual([]);
  });

  test.each([
    ['dev', ['web-to-staging-4b825dc642cb']],
    ['staging', ['web-to-production-4b825dc642cb']],
    ['production', []],
  ])('an apps event from %s starts exactly its own promotion step', (cluster, runs) => {
    const event = fluxEvent('kustomization-reconciliation-succeeded.json');
    event.involvedObject.name = 'apps';
    const result = simulateEvent(objects, event, { cluster, clusterOf: folderOf });
    expect(result.broken).toEqual([]);
    expect(result.runs.filter((r) => r.object.kind === 'PipelineRun').map((r) => (r.object as any).metadata.name)).toEqual(runs);
  });

  test('each cluster has its own token: staging\'s Flux cannot post as dev', () => {
    const event = fluxEvent('kustomization-reconciliation-succeeded.json');
    event.involvedObject.name = 'apps';
    const secrets = new Map<string, { [key: string]: string }>([
      ['dev:flux-system/flux-events-ci-ci-flux-token', { headers: 'X-Flux-Token: dev-token' }],
      ['ci:ci/flux-events-flux-token-dev', { token: 'dev-token' }],
      // staging's Provider sends dev's token
      ['staging:flux-system/flux-events-ci-ci-flux-token', { headers: 'X-Flux-Token: dev-token' }],
      ['ci:ci/flux-events-flux-token-staging', { token: 'staging-token' }],
    ]);
    const run = (cluster: string) => simulateEvent(objects, event, { cluster, clusterOf: folderOf, secrets, assumeUnknownSecretsMatch: false })
      .runs.map((r) => (r.object as any).metadata.name);
    expect(run('dev')).toEqual(['web-to-staging-4b825dc642cb', `web-to-staging-${sha.slice(0, 12)}-supersede`]);
    // staging's Provider sending dev's token: its Trigger compares staging's
    expect(run('staging')).toEqual([]);
  });

  test('secrets pairs each token\'s two ends (a source cluster\'s Provider, the Triggers that admit its events) under one variable, ' +
    'and no two pairs share one', () => {
    const tokens = referencedSecrets(objects, folderOf).filter((s) => s.token)
      .map((s) => `${s.token!.variable} ${s.cluster}:${s.namespace}/${s.name} ${s.token!.pair}`);
    expect(tokens).toEqual([
      'TOKEN_1 ci:ci/flux-events-flux-token-dev ci/ci/flux-events <- dev',
      'TOKEN_2 ci:ci/flux-events-flux-token-staging ci/ci/flux-events <- staging',
      'TOKEN_1 dev:flux-system/flux-events-ci-ci-flux-token ci/ci/flux-events <- dev',
      'TOKEN_2 staging:flux-system/flux-events-ci-ci-flux-token ci/ci/flux-events <- staging',
    ]);
  });

  test('graph draws each cluster as a subgraph, the Provider of dev posting to ci\'s listener, and the promotion edges', () => {
    const graph = mermaidGraph(objects, folderOf);
    expect(graph).toContain('  subgraph cluster_dev["cluster dev"]');
    expect(graph).toContain('  dev__Provider_flux_system_flux_events_ci_ci -->|POST| ci__EventListener_ci_flux_events');
    expect(graph).toContain('  environment_web_dev ==>|promote web| environment_web_staging');
    expect(graph).toContain('  environment_web_staging ==>|promote web| environment_web_production');
  });

  test('a mistake in one cluster is named with its cluster, and leaves every folder byte for byte as it was', () => {
    const before = Object.fromEntries(walk(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]));
    expect(() => fleet(new GitOpsApp({ outdir: out }), { mistakeIn: 'staging' }).synth()).toThrow(/\[staging\/flux-system\/bad\] /);
    expect(Object.fromEntries(walk(out).map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]))).toEqual(before);
  });

  test('a cluster that is gone leaves no folder behind', () => {
    const dir = tempDir();
    fleet(new GitOpsApp({ outdir: dir })).synth();
    const app = new GitOpsApp({ outdir: dir });
    const flux = new Chart(new Cluster(app, 'ci'), 'flux-system', { namespace: 'flux-system' });
    new GitRepository(flux, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' });
    app.synth();
    expect(walk(dir)).toEqual(['ci/flux-system.k8s.yaml']);
    expect(fs.readdirSync(dir)).toEqual(['ci']);
  });
});

describe('a cluster folder that Flux bootstrap shares', () => {
  test('flux bootstrap\'s flux-system/ in a cluster\'s folder is left alone, and GitOpsSync applies that cluster\'s folder only', () => {
    const dir = tempDir();
    const build = () => {
      const app = new GitOpsApp({ outdir: dir });
      for (const name of ['staging', 'production']) {
        const flux = new Chart(new Cluster(app, name), 'flux-system', { namespace: 'flux-system' });
        const repo = new GitRepository(flux, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' });
        new GitOpsSync(flux, 'sync', { source: repo });
      }
      return app;
    };
    build().synth();
    // what `flux bootstrap --path dist/staging` commits
    const bootstrap = path.join(dir, 'staging/flux-system');
    fs.mkdirSync(bootstrap);
    for (const f of ['gotk-components.yaml', 'gotk-sync.yaml', 'kustomization.yaml']) fs.writeFileSync(path.join(bootstrap, f), `# ${f}\n`);
    build().synth();
    expect(walk(dir)).toEqual(['production/flux-system.k8s.yaml', 'staging/flux-system.k8s.yaml',
      'staging/flux-system/gotk-components.yaml', 'staging/flux-system/gotk-sync.yaml', 'staging/flux-system/kustomization.yaml']);
    const syncs = loadObjects(dir).filter((o) => o.kind === 'Kustomization').map((o) => `${folderOf(o)} ${o.spec.path}`);
    expect(syncs).toEqual(['production ./dist/production', 'staging ./dist/staging']);
  });
});

describe('example clusters (three clusters)', () => {
  const { objects } = synthesized(threeClusters);
  test('staging\'s event promotes to production; production\'s starts nothing', () => {
    const event = fluxEvent('kustomization-reconciliation-succeeded.json');
    event.involvedObject.name = 'web';
    const names = (cluster: string) => simulateEvent(objects, event, { cluster, clusterOf: folderOf }).runs
      .filter((r) => r.object.kind === 'PipelineRun').map((r) => (r.object as any).metadata.name);
    expect(names('staging')).toEqual(['web-to-production-4b825dc642cb']);
    expect(names('production')).toEqual([]);
  });
});

/** staging and production, each a cluster with Kustomization flux-system/apps, promoted from ci with `verify` probing by `script`. */
function remoteVerify(app: App, script: string) {
  const envs = ['staging', 'production'].map((name) => {
    const flux = new Chart(new Cluster(app, name), 'flux-system', { namespace: 'flux-system' });
    const repo = new GitRepository(flux, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' });
    return new Kustomization(flux, 'apps', { source: repo, path: `./envs/${name}` });
  });
  const ci = new Chart(new Cluster(app, 'ci'), 'ci', { namespace: 'ci' });
  const smoke = new Task(ci, 'smoke');
  smoke.addStep({ name: 'probe', image: 'curlimages/curl:8.10.1', script });
  new Promotion(ci, 'web', {
    app: 'web',
    listener: new FluxListener(ci, 'l', { externalUrl: 'https://ci.acme.example' }),
    repositoryUrl: 'https://github.com/acme/fleet.git',
    environments: [
      { name: 'staging', kustomization: envs[0], path: 'envs/staging', verify: smoke },
      { name: 'production', kustomization: envs[1], path: 'envs/production' },
    ],
  });
}

describe('clusters: bad input is one error with the path and the fix, and dist/ untouched', () => {
  const task = (s: Chart) => {
    const t = new Task(s, 't');
    t.addStep({ name: 's', image: 'alpine:3.20', script: '#!/bin/sh\ntrue' });
    const p = new Pipeline(s, 'p');
    p.addTask('t', { task: t });
    return p;
  };
  const source = (cluster: Cluster) => new GitRepository(new Chart(cluster, 'flux-system', { namespace: 'flux-system' }), 'repo',
    { url: 'https://github.com/acme/app.git', branch: 'main' });
  test.each([
    ['a source in another cluster than a listener without externalUrl', (app: App) => {
      const ci = new Chart(new Cluster(app, 'ci'), 'ci', { namespace: 'ci' });
      new FluxTriggeredPipeline(ci, 'fp', { source: source(new Cluster(app, 'dev')), pipeline: task(ci) });
    }, "[ci/ci/fp] GitRepository 'flux-system/repo' is in cluster 'dev', the listener ci/ci/flux-listener-ci in 'ci', the namespace's listener, " +
      "which no other cluster can reach: create it yourself, before the pipelines that join it, with the URL dev's notification-controller " +
      "can reach: new FluxListener(chart, 'listener', { externalUrl: 'https://…' }) (named flux-events, the namespace's listener), or pass `listener`"],
    ['plain http across clusters', (app: App) => {
      const ci = new Chart(new Cluster(app, 'ci'), 'ci', { namespace: 'ci' });
      const listener = new FluxListener(ci, 'l', { externalUrl: 'http://ci.acme.example' });
      new FluxTriggeredPipeline(ci, 'fp', { source: source(new Cluster(app, 'dev')), pipeline: task(ci), listener });
    }, "[ci/ci/l] externalUrl 'http://ci.acme.example' is not an https URL: other clusters post the token to it, so plain http would show it " +
      'to the network; write e.g. https://ci.example.com/flux-events (https, a DNS name, a path of letters, digits and -._~/; no port, query ' +
      'or credentials)'],
    ['a chart outside the clusters', (app: App) => {
      new Chart(new Cluster(app, 'ci'), 'ci', { namespace: 'ci' });
      new Chart(app, 'loose', { namespace: 'ci' });
    }, "[loose] the chart is in no cluster, but the app has clusters (ci): no cluster's Flux would apply it; create it under one, e.g. new Chart(cluster, id)"],
    ['a cluster folder inside another\'s', (app: App) => {
      new Chart(new Cluster(app, 'all', { path: 'clusters' }), 'a', { namespace: 'ci' });
      new Chart(new Cluster(app, 'prod', { path: 'clusters/prod' }), 'b', { namespace: 'ci' });
    }, "[prod] cluster 'prod' writes into 'clusters/prod', inside cluster 'all''s folder 'clusters' (its Flux would apply both): give each cluster a folder of its own (`path`)"],
    ['a verify Task of a remote environment that addresses a .svc name', (app: App) => {
      remoteVerify(app, '#!/bin/sh\ncurl -fsS --max-time 10 http://web.web.svc.cluster.local/healthz');
    }, "[ci/ci/web] environment 'staging' is in cluster 'staging', but its verify Task 'smoke' runs with the promotion in cluster 'ci' and " +
      "addresses web.web.svc.cluster.local, a name of that cluster's own Service network: reach staging at an address 'ci' can resolve " +
      "(e.g. its Ingress host, over https), or leave verify out and check it in 'staging'"],
    ['two clusters of one name (their events and tokens would be one)', (app: App) => {
      for (const region of ['eu', 'us']) new Chart(new Cluster(new Construct(app, region), 'staging', { path: `${region}/staging` }), 'c', { namespace: 'ci' });
    }, "[us/staging] cluster 'staging' is also eu/staging: its name tags its events and names its tokens, so each cluster needs a name of its own " +
      '(the construct id)'],
    ['a GitOpsSync of a cluster that applies the whole outdir', (app: App) => {
      const flux = new Chart(new Cluster(app, 'staging'), 'flux-system', { namespace: 'flux-system' });
      new GitOpsSync(flux, 'sync', { source: new GitRepository(flux, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' }), path: './dist' });
    }, "[staging/flux-system/sync] path './dist' is not cluster 'staging''s folder (it ends in 'staging'): this cluster's Flux would apply " +
      "another cluster's objects too, with pruning; leave path out for './dist/staging', or give the folder that holds exactly this cluster's files"],
    ['a chart whose file would be the cluster\'s Namespaces', (app: App) => {
      new Chart(new Cluster(app, 'ci'), '_namespaces', { namespace: 'ci' });
    }, "[ci/_namespaces] the chart's file would be 'ci/_namespaces.k8s.yaml', the file of the cluster's Namespaces: give the chart another id"],
    ['a cluster folder named like a file', (app: App) => {
      new Chart(new Cluster(app, 'ci', { path: 'ci.k8s.yaml' }), 'c', { namespace: 'ci' });
    }, "[ci] path 'ci.k8s.yaml' is not a folder below outdir: use segments of lower case letters, digits, '-', '_' and '.' separated by '/' " +
      "(at most 100 each, 200 in all, none ending in .yaml), e.g. 'clusters/production'"],
    ['a verify Task of a remote environment that addresses a .svc name in capitals', (app: App) => {
      // a public name that merely contains '.svc.' is fine; WEB.WEB.SVC is not
      remoteVerify(app, '#!/bin/sh\ncurl -fsS --max-time 10 https://web.acme.svc.example.com/ http://WEB.WEB.SVC:8080/healthz');
    }, "[ci/ci/web] environment 'staging' is in cluster 'staging', but its verify Task 'smoke' runs with the promotion in cluster 'ci' and " +
      "addresses WEB.WEB.SVC, a name of that cluster's own Service network: reach staging at an address 'ci' can resolve " +
      "(e.g. its Ingress host, over https), or leave verify out and check it in 'staging'"],
  ])('%s', (_name, build, message) => {
    const out = tempDir();
    fs.writeFileSync(path.join(out, 'keep.k8s.yaml'), 'kind: Keep\n');
    const before = snapshotDir(out);
    const app = new GitOpsApp({ outdir: out });
    build(app);
    let error = '';
    try {
      app.synth();
    } catch (e: any) {
      error = e.message;
    }
    expect(error.split('\n').slice(1).map((l) => l.trim())).toEqual([message]);
    expect(snapshotDir(out)).toEqual(before);
  });
});

describe('an external URL other clusters post to: what Go, the API server and an ingress controller take', () => {
  const build = (externalUrl: string) => (s: Construct) => new FluxListener(s, 'l', { externalUrl });
  test.each([
    'https://ci.example.com', 'https://ci.example.com/', 'https://ci.example.com/flux-events', 'https://a.b.example/x_y/z~1.2',
  ])('%s is taken', (url) => {
    expect(errorsOf(build(url)).filter((e) => e.includes('externalUrl'))).toEqual([]);
  });
  test.each([
    ' https://ci.example.com', 'https://ci.example.com/flux ', 'https://ci.example.com/a\tb', 'https:ci.example.com/x', 'https://ci.example.com\\x',
    `https://ci.example.com/${'a'.repeat(3000)}`, 'https://10.0.0.1/x', 'https://[::1]/x', 'https://ci.example.com./x', 'https://ci_example.com/x',
    `https://${'a'.repeat(64)}.example.com/`, 'https://*.example.com/x', 'https://ci.example.com/a b', 'https://user:pw@ci.example.com/',
    'https://ci.example.com:8443/', 'https://ci.example.com/?q=1', 'https://ci.example.com/#f', 'https://CI.example.com/',
  ])('%j is refused', (url) => {
    expect(errorsOf(build(url)).filter((e) => e.includes('externalUrl'))).toHaveLength(1);
  });
});

describe('a pipeline\'s listener of its own is never its namespace\'s', () => {
  test('an own listener named flux-events is not joined by the pipelines that name no listener', () => {
    const app = new App();
    const chart = new Chart(app, 'ci', { namespace: 'ci' });
    const repo = new GitRepository(chart, 'repo', { url: 'https://github.com/acme/app.git', branch: 'main', namespace: 'flux-system' });
    const pipeline = () => {
      const t = new Task(chart, `t${chart.node.children.length}`);
      t.addStep({ name: 's', image: 'alpine:3.20', script: '#!/bin/sh\ntrue' });
      const p = new Pipeline(chart, `p${chart.node.children.length}`);
      p.addTask('t', { task: t });
      return p;
    };
    const own = new FluxTriggeredPipeline(chart, 'own', {
      name: 'flux-events', source: repo, pipeline: pipeline(), authentication: ListenerAuthentication.sharedToken({ header: 'X-Own' }),
    });
    const other = new FluxTriggeredPipeline(chart, 'other', { source: repo, pipeline: pipeline() });
    expect(other.fluxListener).not.toBe(own.fluxListener);
    expect(other.fluxListener.token?.header).toBe('X-Flux-Token');
  });
});

describe('clusters whose objects depend on each other', () => {
  test('each cluster\'s charts still go into its own folder when cdk8s orders the charts by dependency', () => {
    const dir = tempDir();
    const app = new GitOpsApp({ outdir: dir });
    const charts = ['x', 'y'].map((name) => new Chart(new Cluster(app, name), 'c', { namespace: `ns-${name}` }));
    const repos = charts.map((c, i) => new GitRepository(c, `repo-${i}`, { url: 'https://github.com/acme/app.git', branch: 'main' }));
    // x's object depends on y's: cdk8s saves y's chart first
    repos[0].node.addDependency(repos[1]);
    app.synth();
    const where = loadObjects(dir).filter((o) => o.kind === 'GitRepository').map((o) => `${folderOf(o)} ${o.metadata.name}`).sort();
    expect(where).toEqual(['x repo-0', 'y repo-1']);
  });
});

describe('a listener exposed by a Gateway API HTTPRoute', () => {
  test('the HTTPRoute routes the URL to el-<name>, the NetworkPolicy admits the gateway, and simulate follows it across clusters', () => {
    const { objects } = synthesized((app) => {
      const flux = new Chart(new Cluster(app, 'staging'), 'flux-system', { namespace: 'flux-system' });
      const repo = new GitRepository(flux, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' });
      const ci = new Chart(new Cluster(app, 'ci'), 'ci', { namespace: 'ci' });
      const listener = new FluxListener(ci, 'listener', {
        externalUrl: 'https://ci.acme.example/hooks/flux',
        exposure: ListenerExposure.httpRoute({
          gatewayName: 'public', gatewayNamespace: 'gateways', controller: { namespace: 'gateways', podLabels: { app: 'envoy' } },
        }),
      });
      const t = new Task(ci, 't');
      const commit = t.addParam('commit');
      t.addStep({ name: 's', image: 'alpine:3.20', script: `#!/bin/sh\necho ${commit}` });
      const p = new Pipeline(ci, 'build');
      p.addTask('t', { task: t });
      new FluxTriggeredPipeline(ci, 'on-fleet', { source: repo, pipeline: p, listener });
      return app;
    });
    expect(objects.find((o) => o.kind === 'HTTPRoute').spec).toEqual({
      parentRefs: [{ name: 'public', namespace: 'gateways' }],
      hostnames: ['ci.acme.example'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/hooks/flux' } }], backendRefs: [{ name: 'el-flux-events', port: 8080 }] }],
    });
    expect(objects.filter((o) => o.kind === 'Ingress')).toEqual([]);
    expect(objects.find((o) => o.kind === 'NetworkPolicy').spec.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateways' } }, podSelector: { matchLabels: { app: 'envoy' } },
    });
    const event = fluxEvent('gitrepository-new-artifact.json');
    event.involvedObject.name = 'fleet';
    const result = simulateEvent(objects, event, { cluster: 'staging', clusterOf: folderOf });
    expect(result.trace).toContainEqual(expect.stringContaining('→ HTTPRoute ci/flux-events → EventListener ci/flux-events (cluster ci)'));
    expect(result.runs.map((r) => (r.object as any).metadata.name)).toEqual(['build-4b825dc642cb']);
  });
});

import { Chart, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  Alert, EnvValue, EventListener, EventSeverity, FluxEvent, FluxKind, FluxSource, FluxTriggeredPipeline, GitOpsSync, GitRepository, Interceptor,
  Kustomization, ListenerAuthentication, OCIRepository, OnError, ParamType, Pipeline, PipelineRun, Provider, ProviderType, Receiver, ReceiverType,
  ResultType, Task, TaskResolver, Trigger, TriggerBinding, TriggerTemplate, When, WorkspaceBinding,
} from '../../src';

/**
 * Every option of the Tekton, Triggers, Flux and pattern constructs at least once, in one app, for the
 * conformance suite.
 */
export function matrixObjects(): any[] {
  const app = Testing.app();
  const flux = new Chart(app, 'flux', { namespace: 'flux-system' });
  const ci = new Chart(app, 'ci', { namespace: 'ci' });

  // --- Flux
  const lib = new GitRepository(flux, 'lib', { url: 'https://github.com/acme/lib.git', ref: { tag: 'v1.2.0' } });
  const repo = new GitRepository(flux, 'app-repo', {
    url: 'ssh://git@github.com/acme/app.git',
    branch: 'main',
    interval: Duration.seconds(90),
    secretName: 'deploy-key',
    ignore: '/*\n!/deploy',
    include: [{ repository: lib, fromPath: 'config', toPath: 'lib' }],
  });
  new GitRepository(flux, 'by-commit', { url: 'https://github.com/acme/app.git', ref: { commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' } });
  new GitRepository(flux, 'by-semver', { url: 'https://github.com/acme/app.git', ref: { semver: '>=1.0.0' } });
  new GitRepository(flux, 'by-name', { url: 'https://github.com/acme/app.git', ref: { name: 'refs/pull/42/head' } });
  const oci = new OCIRepository(flux, 'manifests', { url: 'oci://ghcr.io/acme/manifests', ref: { semver: '1.x' }, provider: 'aws', secretName: 'ghcr', interval: Duration.minutes(2) });
  new OCIRepository(flux, 'pinned', { url: 'oci://ghcr.io/acme/manifests', ref: { digest: 'sha256:3f1d0c9e5b7a2e4f6a8c0b1d3e5f7a9c1b3d5e7f9a1c3e5b7d9f1a3c5e7b9d1f' } });
  const infra = new Kustomization(flux, 'infra', { source: repo, path: './infra' });
  const staging = new Kustomization(flux, 'staging', {
    source: oci,
    path: './staging',
    interval: Duration.minutes(5),
    prune: false,
    wait: true,
    timeout: Duration.minutes(3),
    dependsOn: [infra, Kustomization.fromKustomizationName(flux, 'crds', 'crds', { namespace: 'platform' })],
    targetNamespace: 'staging',
    serviceAccountName: 'tenant',
    substitute: { cluster: 'staging' },
    substituteFrom: [{ kind: 'Secret', name: 'vars', optional: true }],
  });
  const slack = new Provider(flux, 'slack', { type: ProviderType.SLACK, address: 'https://hooks.slack.com/services/x', secretName: 'slack-url' });
  new Alert(flux, 'failures', { provider: slack, eventSources: [repo, staging], eventSeverity: EventSeverity.ERROR, inclusionList: ['.*'], exclusionList: ['^ignore'] });
  new Receiver(flux, 'github', { type: ReceiverType.GITHUB, events: ['push', 'ping'], resources: [repo], secretName: 'webhook-token' });
  new GitOpsSync(flux, 'sync', { source: repo, path: './dist', interval: Duration.minutes(3), wait: true, dependsOn: [infra], serviceAccountName: 'ci-sync' });

  // --- Tekton
  const clone = Task.fromResolver(ci, 'git-clone', TaskResolver.git({ url: 'https://github.com/tektoncd/catalog.git', pathInRepo: 'task/git-clone/0.9/git-clone.yaml', revision: 'main' }), {
    params: { url: {}, revision: { default: '' } }, workspaces: { output: {} }, results: { commit: {} },
  });
  const hubLint = Task.fromResolver(ci, 'hub-lint', TaskResolver.hub({ name: 'golangci-lint', version: '0.2', type: 'tekton', catalog: 'tekton' }), { workspaces: { source: {} } });
  const bundled = Task.fromResolver(ci, 'bundled', TaskResolver.bundle('ghcr.io/acme/tasks:v1', 'scan'), { params: { image: {} } });
  const shared = Task.fromResolver(ci, 'shared', TaskResolver.cluster('notify', 'tekton-tasks'), { params: { message: {} } });
  const existing = Task.fromTaskName(ci, 'existing', 'kaniko', { params: { image: {} }, workspaces: { source: {} }, results: { 'image-digest': {} } });

  const test = new Task(ci, 'unit-test', {
    description: 'run the tests',
    displayName: 'Unit tests',
    stepTemplate: { env: { CI: 'true' }, computeResources: { requests: { cpu: '100m' }, limits: { memory: '1Gi' } }, securityContext: { runAsNonRoot: true }, workingDir: '/src' },
    sidecars: [{ name: 'db', image: 'postgres:16', env: { POSTGRES_PASSWORD: EnvValue.fromSecretKey('db', 'password') }, args: ['-c', 'fsync=off'] }],
    volumes: [
      kplus.Volume.fromPersistentVolumeClaim(ci, 'npm-cache', kplus.PersistentVolumeClaim.fromClaimName(ci, 'npm-cache-claim', 'npm-cache'), { name: 'npm-cache' }),
      kplus.Volume.fromSecret(ci, 'registry', kplus.Secret.fromSecretName(ci, 'registry-secret', 'registry'), { name: 'registry' }),
    ],
    metadata: { labels: { team: 'web' }, annotations: { 'tekton.dev/tags': 'test' } },
  });
  const revision = test.addParam('revision', { description: 'commit to test' });
  const suites = test.addParam('suites', { type: ParamType.ARRAY, default: ['unit'] });
  const opts = test.addParam('options', { default: { reporter: 'junit', shard: '1' } });
  const level = test.addParam('level', { default: 'info', enum: ['info', 'debug'] });
  const source = test.addWorkspace('source', { description: 'checkout', readOnly: false, mountPath: '/src' });
  test.addWorkspace('cache', { optional: true });
  const report = test.addResult('report', { description: 'junit file' });
  test.addResult('coverage', { type: ResultType.OBJECT, properties: ['lines', 'branches'] });
  test.addResult('failed', { type: ResultType.ARRAY });
  test.addStep({
    name: 'test',
    image: 'node:20',
    workingDir: source.path,
    script: `#!/bin/sh\ngit checkout ${revision} && npm test -- --reporter ${opts.key('reporter')} --log ${level} > ${report.path}`,
    env: { TOKEN: { secretKeyRef: { name: 'npm', key: 'token' } }, MODE: { configMapKeyRef: { name: 'cfg', key: 'mode' } }, PLAIN: 'x' },
    computeResources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
    onError: OnError.CONTINUE,
    timeout: Duration.minutes(20),
    volumeMounts: [{ name: 'npm-cache', mountPath: '/root/.npm', subPath: 'npm', readOnly: false }],
  });
  test.addStep({ name: 'suites', image: 'node:20', command: ['echo'], args: [suites.all, suites.index(0)] });
  test.addSidecar({ name: 'cache', image: 'redis:7', script: '#!/bin/sh\nredis-server', volumeMounts: [{ name: 'npm-cache', mountPath: '/data', readOnly: true }] });

  const pipeline = new Pipeline(ci, 'full', { description: 'all options', displayName: 'Full', timeouts: { pipeline: Duration.hours(2), tasks: Duration.hours(1), finally: Duration.minutes(30) }, metadata: { labels: { team: 'web' } } });
  const deploy = pipeline.addParam('deploy', { default: 'true', enum: ['true', 'false'] });
  const checkout = pipeline.addWorkspace('checkout', { description: 'shared checkout' });
  const c = pipeline.addTask('clone', { task: clone, workspaces: { output: checkout }, retries: 2, displayName: 'Clone', description: 'clone the repo' });
  const l = pipeline.addTask('lint', { task: hubLint, workspaces: { source: checkout }, runAfter: [c], onError: OnError.CONTINUE });
  const t = pipeline.addTask('test', { task: test, params: { revision: c.result('commit') }, workspaces: { source: checkout }, timeout: Duration.minutes(30) });
  const b = pipeline.addTask('build', { task: existing, workspaces: { source: 'checkout' }, runAfter: [l, t], retries: 1 });
  pipeline.addTask('scan', {
    task: bundled,
    params: { image: b.result('image-digest') },
    when: [When.input(deploy).in(['true']), When.input(t.result('report')).notIn(['']), When.cel("'$(params.deploy)' == 'true'")],
  });
  pipeline.addFinally('notify', { task: shared, params: { message: `${pipeline.tasksStatus} ${b.status} ${b.reason}` } });
  pipeline.addResult('digest', b.result('image-digest'), { description: 'image digest' });
  pipeline.addResult('report', t.result('report'), { type: ResultType.STRING });

  new PipelineRun(ci, 'one-off', {
    pipeline,
    params: { url: 'https://github.com/acme/app.git', image: 'ghcr.io/acme/app' },
    serviceAccountName: 'builder',
    workspaces: { checkout: WorkspaceBinding.volumeClaimTemplate({ storage: '5Gi', accessModes: ['ReadWriteMany'], storageClassName: 'fast' }), cache: WorkspaceBinding.emptyDir() },
    timeouts: { pipeline: Duration.minutes(90) },
    metadata: { labels: { reason: 'backfill' } },
  });
  new PipelineRun(ci, 'with-claims', {
    pipeline,
    params: { url: 'https://github.com/acme/app.git', image: 'ghcr.io/acme/app' },
    workspaces: { checkout: WorkspaceBinding.persistentVolumeClaim('ws', 'sub'), cache: WorkspaceBinding.secret('creds') },
  });
  new PipelineRun(ci, 'with-config', {
    pipeline,
    params: { url: 'https://github.com/acme/app.git', image: 'ghcr.io/acme/app' },
    workspaces: { checkout: WorkspaceBinding.configMap('cfg') },
  });

  // --- Triggers, by hand
  const binding = new TriggerBinding(ci, 'gh-binding', { params: { revision: '$(body.after)', url: '$(body.repository.clone_url)' } });
  binding.addParam('event', '$(header.X-GitHub-Event)');
  const template = new TriggerTemplate(ci, 'gh-template');
  const rev = template.addParam('revision', { description: 'commit' });
  const url = template.addParam('url', { default: 'https://github.com/acme/app.git' });
  template.addParam('event');
  template.addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { generateName: 'full-', annotations: { 'acme.dev/event': '$(tt.params.event)' } }, spec: { pipelineRef: { name: 'full' }, workspaces: [{ name: 'checkout', volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } }, { name: 'cache', emptyDir: {} }], params: [{ name: 'revision', value: `${rev}` }, { name: 'url', value: `${url}` }, { name: 'image', value: 'ghcr.io/acme/app' }] } });
  const ghTrigger = new Trigger(ci, 'github-push', {
    interceptors: [Interceptor.github({ secretRef: { secretName: 'gh', secretKey: 'token' }, eventTypes: ['push'] }), Interceptor.cel({ filter: "body.ref == 'refs/heads/main'" })],
    bindings: [binding],
    template,
  });
  const hooks = new EventListener(ci, 'hooks', {
    serviceAccountName: 'shared-listener',
    triggers: [
      { name: 'gitlab', interceptors: [Interceptor.gitlab({ eventTypes: ['Push Hook'] })], bindings: [binding], template },
      { name: 'bitbucket', interceptors: [Interceptor.bitbucket(), Interceptor.clusterInterceptor('slack', { x: '1' }), Interceptor.namespacedInterceptor('custom')], template },
    ],
  });
  hooks.addTriggerRef(ghTrigger);
  new EventListener(ci, 'open', { triggers: [{ name: 'any', bindings: [binding], template }], allowedClients: [{ namespace: 'gateway', podLabels: { app: 'gateway' } }] });

  // --- Patterns
  const fp = new FluxTriggeredPipeline(ci, 'on-push', {
    source: repo,
    pipeline,
    serviceAccountName: 'builder',
    params: { url: repo.url, image: 'ghcr.io/acme/app', revision: FluxEvent.commit(), suites: ['unit', 'e2e'] },
    workspaces: { checkout: WorkspaceBinding.volumeClaimTemplate({ storage: '2Gi' }), cache: WorkspaceBinding.persistentVolumeClaim('cache') },
    timeouts: { pipeline: Duration.minutes(45) },
    authentication: ListenerAuthentication.sharedToken({ providerSecretName: 'flux-token-headers', listenerSecretName: 'flux-token', listenerSecretKey: 'value', header: 'X-Token' }),
  });
  const info = new Task(ci, 'info');
  for (const p of ['branch', 'tag', 'digest', 'source-name', 'source-namespace', 'source-kind', 'message', 'reason', 'artifact']) info.addParam(p);
  info.addStep({ name: 'show', image: 'busybox:1.36', script: `#!/bin/sh\necho ${info.paramSpecs.map((p) => `$(params.${p.name})`).join(' ')}` });
  const infoPipeline = new Pipeline(ci, 'info-pipeline');
  infoPipeline.addTask('show', { task: info });
  fp.addPipeline('info', { pipeline: infoPipeline, params: { reason: FluxEvent.reason(), artifact: FluxEvent.metadata('digest') } });
  new FluxTriggeredPipeline(ci, 'on-artifact', { source: oci, pipeline: infoPipeline, params: { reason: 'literal', artifact: FluxEvent.digest() }, events: ['NewArtifact', 'ArtifactUpToDate'] });
  new FluxTriggeredPipeline(ci, 'on-deploy', {
    source: FluxSource.fromName(ci, 'helm-app', FluxKind.HELM_RELEASE, 'app', { namespace: 'apps' }),
    pipeline: infoPipeline,
    autoBind: false,
    params: { 'branch': 'main', 'tag': FluxEvent.tag(), 'digest': 'x', 'source-name': FluxEvent.sourceName(), 'source-namespace': 'apps', 'source-kind': 'HelmRelease', 'message': FluxEvent.message(), 'reason': 'r', 'artifact': 'a' },
    allowedClients: [{ namespace: 'flux', podLabels: { 'app.kubernetes.io/component': 'notification-controller' } }],
  });
  app.synth();
  return app.charts.flatMap((chart) => chart.toJson());
}

import { ApiObject, Chart, Duration, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  FluxEvent, FluxKind, FluxSource, FluxTriggeredPipeline, GitRepository, Kustomization, ListenerAuthentication, OCIRepository, ParamType,
  Pipeline, RunConcurrency, Task, WorkspaceBinding,
} from '../src';
import { errorsOf, find, fluxEvent, synth } from './util';
import { simulateEvent } from '../src/simulate';

const fixture = fluxEvent;

/** The default `allowedClients`, given explicitly: the pipeline then gets a listener of its own. */
const NOTIFICATION_CONTROLLER = [{ namespace: 'flux-system', podLabels: { app: 'notification-controller' } }];

const UNKNOWN_KIND = "unknown Flux kind 'GitRepo' for source 'x': use one of GitRepository, OCIRepository, Bucket, HelmRepository, HelmChart, " +
  'ExternalArtifact, Kustomization, HelmRelease';

/** A pipeline whose tasks declare `commit`, `revision`, `branch` and `image` (no defaults) and `mode` (default). */
function ciPipeline(s: Construct, id = 'ci') {
  const build = new Task(s, `${id}-build`);
  const commit = build.addParam('commit');
  const image = build.addParam('image');
  const mode = build.addParam('mode', { default: 'fast' });
  const source = build.addWorkspace('source');
  build.addStep({ name: 'build', image: 'busybox', script: `#!/bin/sh\necho ${commit} ${image} ${mode} ${source.path}` });
  const p = new Pipeline(s, id);
  p.addTask('build', { task: build });
  return p;
}

function gitRepo(s: Construct) {
  return new GitRepository(s, 'app-repo', { url: 'https://github.com/acme/app.git', branch: 'main', namespace: 'flux-system' });
}

describe('FluxTriggeredPipeline: the chain is wired', () => {
  const objects = synth((s) => {
    new FluxTriggeredPipeline(s, 'on-push', { source: gitRepo(s), pipeline: ciPipeline(s), params: { image: 'ghcr.io/acme/app' } });
  });

  test('Alert → Provider → the listener Service URL: the namespace\'s listener, its Flux objects in its namespace', () => {
    const alert = find(objects, 'Alert');
    const provider = find(objects, 'Provider');
    const listener = find(objects, 'EventListener');
    expect(listener.metadata).toEqual({ name: 'flux-events', namespace: 'ci' });
    expect(alert).toEqual({
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Alert',
      metadata: { name: 'flux-events', namespace: 'ci' },
      // the source is named with its own namespace (cross-namespace, as Flux allows by default)
      spec: { providerRef: { name: 'flux-events' }, eventSeverity: 'info', eventSources: [{ kind: 'GitRepository', name: 'app-repo', namespace: 'flux-system' }] },
    });
    expect(provider).toEqual({
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Provider',
      metadata: { name: alert.spec.providerRef.name, namespace: alert.metadata.namespace },
      // authenticated by default: the Provider sends the header in the listener's one Secret, flux-events-flux-token
      spec: { type: 'generic', address: 'http://el-flux-events.ci.svc.cluster.local:8080', secretRef: { name: 'flux-events-flux-token' } },
    });
    // the address is the EventListener's Service (el-<name>)
    expect(provider.spec.address).toBe(`http://el-${listener.metadata.name}.${listener.metadata.namespace}.svc.cluster.local:8080`);
    // nothing is written into Flux's namespace but the source itself
    expect(objects.filter((o) => o.metadata?.namespace === 'flux-system').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['GitRepository/app-repo']);
  });

  test('listener → Trigger (selected by label) → binding → template → PipelineRun → Pipeline', () => {
    const listener = find(objects, 'EventListener', 'flux-events');
    expect(listener.metadata.namespace).toBe('ci');
    // no inline triggers: the listener selects Trigger objects by label
    expect(listener.spec.triggers).toEqual([]);
    expect(listener.spec.labelSelector).toEqual({ matchLabels: { 'cdk8s-tekton-flux/listener': 'flux-events' } });
    const selected = objects.filter((o) => o.kind === 'Trigger' && o.metadata.namespace === listener.metadata.namespace &&
      Object.entries(listener.spec.labelSelector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v));
    expect(selected.map((o) => o.metadata.name)).toEqual(['on-push']);
    const trigger = selected[0].spec;
    const cel = { ref: { name: 'cel', kind: 'ClusterInterceptor' } };
    expect(trigger.interceptors).toEqual([
      {
        ...cel,
        params: [
          {
            name: 'filter',
            value: "body.involvedObject.kind == 'GitRepository' && body.involvedObject.name == 'app-repo' && body.involvedObject.namespace == 'flux-system' && body.reason == 'NewArtifact' && " +
              "has(body.metadata) && ('revision' in body.metadata || 'source.toolkit.fluxcd.io/revision' in body.metadata) && " +
              "header.canonical('X-Flux-Token').compareSecret('token', 'flux-events-flux-token')",
          },
          { name: 'overlays', value: [{ key: 'revision', expression: "'revision' in body.metadata ? body.metadata['revision'] : body.metadata['source.toolkit.fluxcd.io/revision']" }] },
        ],
      },
      {
        ...cel,
        params: [{
          name: 'overlays',
          value: [
            { key: 'commit', expression: "extensions.revision.contains('sha1:') ? extensions.revision.split('sha1:')[1] : ''" },
            { key: 'ref', expression: "extensions.revision.contains('@') ? extensions.revision.split('@')[0] : ''" },
            {
              key: 'flux-revision-id',
              expression: "(extensions.revision.contains(':') ? extensions.revision.split(':')[1] : extensions.revision.contains('/') ? " +
                "extensions.revision.split('/')[size(extensions.revision.split('/')) - 1] : extensions.revision).truncate(12)",
            },
          ],
        }],
      },
      {
        ...cel,
        params: [{
          name: 'overlays',
          value: [
            { key: 'branch', expression: "extensions.ref.startsWith('refs/heads/') ? extensions.ref.split('refs/heads/')[1] : extensions.ref" },
            { key: 'tag', expression: "''" },
          ],
        }],
      },
      {
        ...cel,
        params: [{ name: 'filter', value: expect.stringContaining("extensions.commit.matches('^([0-9a-f]{40}|[0-9a-f]{64})$')") }],
      },
    ]);
    expect(trigger.bindings).toEqual([{ kind: 'TriggerBinding', ref: 'on-push' }]);
    const binding = find(objects, 'TriggerBinding', trigger.bindings[0].ref);
    expect(binding.spec.params).toEqual([{ name: 'commit', value: '$(extensions.commit)' }, { name: 'flux-revision-id', value: '$(extensions.flux-revision-id)' }]);
    const template = find(objects, 'TriggerTemplate', trigger.template.ref);
    expect(template.spec.params).toEqual([
      { name: 'commit', description: 'FluxEvent.commit()' },
      { name: 'flux-revision-id', description: "the revision's hash, shortened: the run's name, so that one revision makes one run" },
    ]);
    const run = template.spec.resourcetemplates[0];
    expect(run).toEqual({
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: { name: 'ci-$(tt.params.flux-revision-id)' },
      spec: {
        pipelineRef: { name: 'ci' },
        params: [{ name: 'commit', value: '$(tt.params.commit)' }, { name: 'image', value: 'ghcr.io/acme/app' }],
        workspaces: [{ name: 'source', volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } }],
        taskRunTemplate: { serviceAccountName: 'on-push-run' },
      },
    });
    const pipeline = find(objects, 'Pipeline', run.spec.pipelineRef.name);
    // every pipeline param is bound in the run, or has a default
    for (const p of pipeline.spec.params) {
      expect(run.spec.params.some((x: any) => x.name === p.name) || p.default !== undefined).toBe(true);
    }
    expect(find(objects, 'ServiceAccount', 'on-push-run').metadata.namespace).toBe('ci');
  });

  test('the listener has its own ServiceAccount and RBAC, and admits only the notification-controller', () => {
    expect(find(objects, 'EventListener').spec.serviceAccountName).toBe('flux-events-listener');
    expect(find(objects, 'ServiceAccount', 'flux-events-listener').metadata.namespace).toBe('ci');
    expect(find(objects, 'RoleBinding').roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'flux-events-listener' });
    expect(find(objects, 'RoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'flux-events-listener', namespace: 'ci' }]);
    expect(find(objects, 'Role', 'flux-events-listener').rules.find((r: any) => r.verbs.includes('create')))
      .toEqual({ apiGroups: ['tekton.dev'], resources: ['pipelineruns'], verbs: ['create'] });
    expect(find(objects, 'ClusterRoleBinding').roleRef.name).toBe('ci:flux-events-listener');
    expect(find(objects, 'ClusterRoleBinding').subjects).toEqual([{ kind: 'ServiceAccount', name: 'flux-events-listener', namespace: 'ci' }]);
    const policy = find(objects, 'NetworkPolicy', 'flux-events-listener');
    expect(policy.spec.podSelector).toEqual({ matchLabels: { eventlistener: 'flux-events' } });
    expect(policy.spec.ingress[0].from).toEqual([{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flux-system' } },
      podSelector: { matchLabels: { app: 'notification-controller' } },
    }]);
  });

  test('nothing has generateName: Flux applies fixed names, and the run is named after its revision (one run per revision)', () => {
    expect(JSON.stringify(objects)).not.toContain('generateName');
    const binding = find(objects, 'TriggerBinding');
    expect(binding.spec.params).toContainEqual({ name: 'flux-revision-id', value: '$(extensions.flux-revision-id)' });
    const [run] = simulateEvent(objects, fixture('gitrepository-new-artifact.json')).runs;
    expect((run.object as any).metadata).toEqual({ name: 'ci-4b825dc642cb' });
  });
});

describe('FluxTriggeredPipeline: the Flux events Flux really sends', () => {
  function app(s: Construct) {
    const repo = gitRepo(s);
    const p = ciPipeline(s);
    const fp = new FluxTriggeredPipeline(s, 'on-push', {
      source: repo,
      pipeline: p,
      params: { image: 'ghcr.io/acme/app', mode: FluxEvent.message() },
    });
    const info = new Task(s, 'info-task');
    for (const name of ['revision', 'branch', 'tag', 'digest', 'source-name', 'source-namespace', 'source-kind']) info.addParam(name);
    info.addStep({ name: 'show', image: 'busybox', script: '#!/bin/sh\ntrue' });
    const infoPipeline = new Pipeline(s, 'info');
    infoPipeline.addTask('show', { task: info });
    fp.addPipeline('info', { pipeline: infoPipeline });

    const oci = new OCIRepository(s, 'app-manifests', { url: 'oci://ghcr.io/acme/app-manifests', namespace: 'flux-system' });
    const deployCheck = new Task(s, 'deploy-check-task');
    deployCheck.addParam('tag');
    deployCheck.addParam('digest');
    deployCheck.addParam('revision');
    deployCheck.addStep({ name: 'check', image: 'busybox', script: '#!/bin/sh\ntrue' });
    const dc = new Pipeline(s, 'deploy-check');
    dc.addTask('check', { task: deployCheck });
    new FluxTriggeredPipeline(s, 'on-artifact', { source: oci, pipeline: dc });

    const staging = Kustomization.fromKustomizationName(s, 'app-staging', 'app-staging');
    const smoke = new Task(s, 'smoke-task');
    smoke.addParam('revision');
    smoke.addParam('commit');
    smoke.addStep({ name: 'probe', image: 'busybox', script: '#!/bin/sh\ntrue' });
    const sp = new Pipeline(s, 'smoke');
    sp.addTask('probe', { task: smoke });
    new FluxTriggeredPipeline(s, 'on-deploy', { source: staging, pipeline: sp });
  }
  const objects = synth(app);
  const paramsOf = (event: string) => simulateEvent(objects, fixture(event)).runs
    .map((r) => [(r.object as any).spec.pipelineRef.name, Object.fromEntries((r.object as any).spec.params.map((p: any) => [p.name, p.value]))]);
  const sha = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

  test('a new Git artifact runs both pipelines on the source with the event fields', () => {
    expect(paramsOf('gitrepository-new-artifact.json')).toEqual([
      ['ci', { commit: sha, image: 'ghcr.io/acme/app', mode: "stored artifact for commit 'Add retry to deploy step'" }],
      ['info', {
        'revision': `main@sha1:${sha}`,
        'branch': 'main',
        'tag': '',
        'digest': `sha1:${sha}`,
        'source-name': 'app-repo',
        'source-namespace': 'flux-system',
        'source-kind': 'GitRepository',
      }],
    ]);
  });

  test('the legacy metadata format gives the same params', () => {
    expect(paramsOf('gitrepository-new-artifact-legacy-metadata.json')).toEqual(paramsOf('gitrepository-new-artifact.json'));
  });

  test('a failed fetch runs nothing: the filter rejects it', () => {
    const result = simulateEvent(objects, fixture('gitrepository-fetch-failed.json'));
    expect(result.runs).toEqual([]);
    expect(result.broken).toEqual([]);
    // every Trigger of the namespace's listener sees the event; each filter rejects it
    expect(result.trace.filter((t) => t.includes('CEL filter is false'))).toEqual([
      "trigger 'on-push': CEL filter is false at: body.reason == 'NewArtifact'",
      "trigger 'on-push-info': CEL filter is false at: body.reason == 'NewArtifact'",
      "trigger 'on-artifact': CEL filter is false at: body.involvedObject.kind == 'OCIRepository'",
      "trigger 'on-deploy': CEL filter is false at: body.involvedObject.kind == 'Kustomization'",
    ]);
  });

  test('a new OCI artifact gives tag, digest and revision', () => {
    expect(paramsOf('ocirepository-new-artifact.json')).toEqual([['deploy-check', {
      tag: 'v1.4.2',
      digest: 'sha256:3f1d0c9e5b7a2e4f6a8c0b1d3e5f7a9c1b3d5e7f9a1c3e5b7d9f1a3c5e7b9d1f',
      revision: 'v1.4.2@sha256:3f1d0c9e5b7a2e4f6a8c0b1d3e5f7a9c1b3d5e7f9a1c3e5b7d9f1a3c5e7b9d1f',
    }]]);
  });

  test('a Kustomization that applied a revision runs the post-deploy pipeline', () => {
    expect(paramsOf('kustomization-reconciliation-succeeded.json')).toEqual([['smoke', { revision: `main@sha1:${sha}`, commit: sha }]]);
  });

  test('three sources, one listener: its Alert lists each source, and its Triggers are one per pipeline', () => {
    expect(find(objects, 'EventListener').metadata.name).toBe('flux-events');
    expect(find(objects, 'Alert', 'flux-events').spec.eventSources).toEqual([
      { kind: 'GitRepository', name: 'app-repo', namespace: 'flux-system' },
      { kind: 'OCIRepository', name: 'app-manifests', namespace: 'flux-system' },
      { kind: 'Kustomization', name: 'app-staging', namespace: 'flux-system' },
    ]);
    expect(objects.filter((o) => o.kind === 'Trigger').map((o) => `${o.metadata.name} ${o.metadata.labels['cdk8s-tekton-flux/listener']}`))
      .toEqual(['on-push flux-events', 'on-push-info flux-events', 'on-artifact flux-events', 'on-deploy flux-events']);
  });

  test('the Kustomization trigger uses the kustomize group for legacy metadata', () => {
    const filter = find(objects, 'Trigger', 'on-deploy').spec.interceptors[0].params[0].value;
    expect(filter).toContain("'kustomize.toolkit.fluxcd.io/revision' in body.metadata");
    expect(filter).toContain("body.reason == 'ReconciliationSucceeded'");
  });

  test('by default one Secret in the listener\'s namespace holds both keys: the header the Provider sends and the token the filter compares', () => {
    const event = fixture('gitrepository-new-artifact.json');
    const secret = (headers: string, token: string) => ({ secrets: new Map([['ci/flux-events-flux-token', { headers, token }]]), assumeUnknownSecretsMatch: false });
    const pipelines = (o: ReturnType<typeof secret>) => simulateEvent(objects, event, o).runs.map((r) => (r.object as any).spec.pipelineRef.name);
    expect(pipelines(secret('X-Flux-Token: s3cret', 's3cret'))).toEqual(['ci', 'info']);
    expect(pipelines(secret('X-Flux-Token: wrong', 's3cret'))).toEqual([]);
    // without the Secret, nothing authenticates
    expect(simulateEvent(objects, event, { assumeUnknownSecretsMatch: false }).runs).toEqual([]);
  });

  test('shared-token authentication: the Provider sends the header and the filter compares it with the Secret', () => {
    const authed = synth((s) => {
      new FluxTriggeredPipeline(s, 'on-push', {
        source: gitRepo(s),
        pipeline: ciPipeline(s),
        params: { image: 'x' },
        authentication: ListenerAuthentication.sharedToken({ providerSecretName: 'flux-token-headers', listenerSecretName: 'flux-token' }),
      });
    });
    // authentication makes a listener of the pipeline's own, named like it; its Provider lives in its namespace
    expect(find(authed, 'EventListener').metadata).toEqual({ name: 'on-push', namespace: 'ci' });
    expect(find(authed, 'Provider').metadata).toEqual({ name: 'on-push', namespace: 'ci' });
    expect(find(authed, 'Provider').spec).toEqual({
      type: 'generic', address: 'http://el-on-push.ci.svc.cluster.local:8080', secretRef: { name: 'flux-token-headers' },
    });
    expect(find(authed, 'Trigger', 'on-push').spec.interceptors[0].params[0].value)
      .toContain("header.canonical('X-Flux-Token').compareSecret('token', 'flux-token')");
    const secrets = (token: string) => new Map<string, { [key: string]: string }>([
      ['ci/flux-token-headers', { headers: `X-Flux-Token: ${token}` }],
      ['ci/flux-token', { token: 's3cret' }],
    ]);
    const event = fixture('gitrepository-new-artifact.json');
    expect(simulateEvent(authed, event, { secrets: secrets('s3cret'), assumeUnknownSecretsMatch: false }).runs).toHaveLength(1);
    expect(simulateEvent(authed, event, { secrets: secrets('wrong'), assumeUnknownSecretsMatch: false }).runs).toHaveLength(0);
  });
});

describe('FluxTriggeredPipeline: HTTPS between Flux and the listener', () => {
  test('the listener serves the TLS Secret on 8443; the Provider posts to https and verifies with the CA Secret', () => {
    const objects = synth((s) => {
      new FluxTriggeredPipeline(s, 'on-push', {
        source: gitRepo(s),
        pipeline: ciPipeline(s),
        params: { image: 'x' },
        tls: { listenerSecretName: 'el-tls', providerCaSecretName: 'el-ca' },
      });
    });
    // tls makes a listener of the pipeline's own; its Provider (in the listener's namespace) reads the CA Secret there
    expect(find(objects, 'EventListener').metadata).toEqual({ name: 'on-push', namespace: 'ci' });
    expect(find(objects, 'Provider').metadata).toEqual({ name: 'on-push', namespace: 'ci' });
    expect(find(objects, 'Provider').spec).toMatchObject({
      address: 'https://el-on-push.ci.svc.cluster.local:8443', certSecretRef: { name: 'el-ca' },
    });
    expect(find(objects, 'EventListener').spec.resources).toEqual({
      kubernetesResource: {
        spec: {
          template: {
            spec: {
              containers: [{
                env: [
                  { name: 'TLS_CERT', valueFrom: { secretKeyRef: { name: 'el-tls', key: 'tls.crt' } } },
                  { name: 'TLS_KEY', valueFrom: { secretKeyRef: { name: 'el-tls', key: 'tls.key' } } },
                ],
              }],
            },
          },
        },
      },
    });
    // the pod still listens on 8080 (the Service maps 8443 to it): the NetworkPolicy admits that port
    expect(find(objects, 'NetworkPolicy').spec.ingress[0].ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    expect(simulateEvent(objects, fixture('gitrepository-new-artifact.json')).runs).toHaveLength(1);
  });
});

describe('FluxTriggeredPipeline: options', () => {
  test('workspaces from a PVC, a Secret and a ConfigMap; timeouts; a given ServiceAccount', () => {
    const objects = synth((s) => {
      const t = new Task(s, 't');
      for (const w of ['cache', 'creds', 'config']) t.addWorkspace(w);
      t.addStep({ name: 's', image: 'busybox', script: '#!/bin/sh\ntrue' });
      const p = new Pipeline(s, 'p');
      p.addTask('t', { task: t });
      new FluxTriggeredPipeline(s, 'fp', {
        source: gitRepo(s),
        pipeline: p,
        serviceAccountName: 'builder',
        workspaces: {
          cache: WorkspaceBinding.persistentVolumeClaim('build-cache'),
          creds: WorkspaceBinding.secret('registry-creds'),
          config: WorkspaceBinding.configMap('build-config'),
        },
        timeouts: { pipeline: Duration.minutes(30), tasks: Duration.minutes(20), finally: Duration.minutes(5) },
      });
    });
    const run = find(objects, 'TriggerTemplate').spec.resourcetemplates[0];
    expect(run.spec.workspaces).toEqual([
      { name: 'cache', persistentVolumeClaim: { claimName: 'build-cache' } },
      { name: 'config', configMap: { name: 'build-config' } },
      { name: 'creds', secret: { secretName: 'registry-creds' } },
    ]);
    expect(run.spec.timeouts).toEqual({ pipeline: '30m0s', tasks: '20m0s', finally: '5m0s' });
    expect(run.spec.taskRunTemplate).toEqual({ serviceAccountName: 'builder' });
    // the listener's only: with serviceAccountName, no `fp-run` is created
    expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name)).toEqual(['flux-events-listener']);
  });

  test('a param added to a Task later is carried all the way up without touching the trigger code', () => {
    let late: Task;
    const objects = synth((s) => {
      const p = ciPipeline(s);
      new FluxTriggeredPipeline(s, 'fp', { source: gitRepo(s), pipeline: p, params: { image: 'x' } });
      late = s.node.findChild('ci-build') as Task;
      late.addParam('branch');
    });
    expect(find(objects, 'Pipeline').spec.params.map((p: any) => p.name)).toContain('branch');
    expect(find(objects, 'TriggerBinding').spec.params).toEqual([
      { name: 'branch', value: '$(extensions.branch)' }, { name: 'commit', value: '$(extensions.commit)' },
      { name: 'flux-revision-id', value: '$(extensions.flux-revision-id)' },
    ]);
    expect(find(objects, 'TriggerTemplate').spec.resourcetemplates[0].spec.params.map((p: any) => p.name)).toEqual(['branch', 'commit', 'image']);
  });

  test('names are derived from the construct id and stable across synths', () => {
    const names = (own: object = {}) => synth((s) => {
      new FluxTriggeredPipeline(s, 'On_Push', {
        source: FluxSource.fromName(s, 'app', FluxKind.GIT_REPOSITORY, 'app'), pipeline: ciPipeline(s), params: { image: 'x' }, ...own,
      });
    }).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names()).toEqual(names());
    expect(names()).toEqual(expect.arrayContaining([
      'Trigger/on-push', 'TriggerBinding/on-push', 'TriggerTemplate/on-push', 'ServiceAccount/on-push-run', 'EventListener/flux-events',
    ]));
    // a listener of its own is named after the construct id too
    const own = { allowedClients: [{ namespace: 'flux-system', podLabels: { app: 'notification-controller' } }] };
    expect(names(own)).toEqual(names(own));
    expect(names(own)).toEqual(expect.arrayContaining(['EventListener/on-push', 'Provider/on-push', 'Alert/on-push', 'ServiceAccount/on-push-listener']));
  });

  test.each([
    ['a param with no value names the param and the fix', (s: Construct) => {
      new FluxTriggeredPipeline(s, 'fp', { source: gitRepo(s), pipeline: ciPipeline(s) });
    }, "[test/fp] pipeline 'ci' param 'image' gets no value: give it in params, e.g. params: { 'image': FluxEvent.revision() } or a literal, or give the param a default where it is declared"],
    ['a param the pipeline does not have', (s: Construct) => {
      new FluxTriggeredPipeline(s, 'fp', { source: gitRepo(s), pipeline: ciPipeline(s), params: { image: 'x', imgae: 'y' } });
    }, "[test/fp] params gives 'imgae', but Pipeline 'ci' has no such param (did you mean 'image'?)"],
    ['commit() of an OCI source', (s: Construct) => {
      new FluxTriggeredPipeline(s, 'fp', { source: OCIRepository.fromOCIRepositoryName(s, 'm', 'm'), pipeline: ciPipeline(s), params: { image: 'x' } });
    }, "[test/fp] param 'commit': FluxEvent.commit() needs a Git revision, but OCIRepository revisions have none: use FluxEvent.digest() or FluxEvent.tag()"],
    ['an event value for an array param', (s: Construct) => {
      const t = new Task(s, 't');
      t.addParam('tags', { type: ParamType.ARRAY });
      t.addStep({ name: 's', image: 'busybox', script: '#!/bin/sh\ntrue' });
      const p = new Pipeline(s, 'p');
      p.addTask('t', { task: t });
      new FluxTriggeredPipeline(s, 'fp', { source: gitRepo(s), pipeline: p, params: { tags: FluxEvent.tag() } });
    }, "[test/fp] param 'tags' is an array, but FluxEvent.tag() is a string: give a literal array"],
    ['an unknown source kind (beside a pipeline of a known one, on the same listener)', (s: Construct) => {
      new FluxTriggeredPipeline(s, 'ok', { source: gitRepo(s), pipeline: ciPipeline(s), params: { image: 'x' } });
      new FluxTriggeredPipeline(s, 'fp', { source: FluxSource.fromName(s, 'x', 'GitRepo', 'x'), pipeline: ciPipeline(s, 'ci2'), params: { image: 'x' } });
    }, `[test/fp] ${UNKNOWN_KIND}`],
    ['a name too long for the Service of a listener of its own', (s: Construct) => {
      new FluxTriggeredPipeline(s, 'fp', { name: 'n'.repeat(61), source: gitRepo(s), pipeline: ciPipeline(s), params: { image: 'x' }, allowedClients: NOTIFICATION_CONTROLLER });
    }, `[test/fp/Listener/EventListener] EventListener name '${'n'.repeat(61)}' is 61 characters: its Service 'el-${'n'.repeat(61)}' must fit 63, so use at most 60 (set 'name', or a shorter construct id)`],
    ['a tasks timeout longer than the default pipeline timeout', (s: Construct) => {
      new FluxTriggeredPipeline(s, 'fp', { source: gitRepo(s), pipeline: ciPipeline(s), params: { image: 'x' }, timeouts: { tasks: Duration.minutes(90) } });
    }, "[test/fp] timeouts.tasks exceeds Tekton's default timeouts.pipeline (1h0m0s): Tekton rejects the run, raise timeouts.pipeline or lower the others"],
    ['a pipeline in another namespace', (s: Construct) => {
      new FluxTriggeredPipeline(s, 'fp', { source: gitRepo(s), pipeline: Pipeline.fromPipelineName(s, 'p', 'shared', { namespace: 'tools' }), namespace: 'ci' });
    }, "[test/fp] the listener refers to Pipeline 'shared' of namespace 'tools', but it is looked up in 'ci' only: set `namespace` to 'tools' (the listener creates the runs in its own namespace)"],
  ])('%s', (_t, build, message) => expect(errorsOf(build)).toEqual([message]));

  test('an unknown source kind is left out of the Alert', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'test', { namespace: 'ci' });
    new FluxTriggeredPipeline(chart, 'ok', { source: gitRepo(chart), pipeline: ciPipeline(chart), params: { image: 'x' } });
    const fp = new FluxTriggeredPipeline(chart, 'fp', { source: FluxSource.fromName(chart, 'x', 'GitRepo', 'x'), pipeline: ciPipeline(chart, 'ci2'), params: { image: 'x' } });
    // rendered without validation (which fails, as above)
    expect(ApiObject.of(fp.alert.resource).toJson().spec.eventSources).toEqual([{ kind: 'GitRepository', name: 'app-repo', namespace: 'flux-system' }]);
  });

  // One mistake should be one error. Today the namespace's listener, whose Alert was created for the only
  // source and then got none, also reports "[test/flux-listener-ci/Alert] an Alert needs at least one event source".
  test('an unknown source kind alone is one error, at the pipeline', () => {
    expect(errorsOf((s) => {
      new FluxTriggeredPipeline(s, 'fp', { source: FluxSource.fromName(s, 'x', 'GitRepo', 'x'), pipeline: ciPipeline(s), params: { image: 'x' } });
    })).toEqual([`[test/fp] ${UNKNOWN_KIND}`]);
  });

  test('a listener without a namespace fails at once, with the path', () => {
    const chart = new Chart(Testing.app(), 'no-namespace');
    const p = Pipeline.fromPipelineName(chart, 'p', 'ci');
    expect(() => new FluxTriggeredPipeline(chart, 'fp', { source: GitRepository.fromGitRepositoryName(chart, 'r', 'r'), pipeline: p }))
      .toThrow('[no-namespace/fp] the listener needs a namespace: set `namespace`, or give the chart or the pipeline one');
  });

  test('autoBind: false turns name matching off', () => {
    expect(errorsOf((s) => {
      new FluxTriggeredPipeline(s, 'fp', { source: gitRepo(s), pipeline: ciPipeline(s), params: { image: 'x' }, autoBind: false });
    })).toEqual([expect.stringContaining("param 'commit' gets no value")]);
  });
});

describe('user strings are keys, never code: prototype names and look-alike metadata keys', () => {
  test("a param named 'constructor' and a workspace named 'toString' are derived and bound like any other", () => {
    const objects = synth((s) => {
      const t = new Task(s, 't');
      const c = t.addParam('constructor');
      const w = t.addWorkspace('toString');
      t.addStep({ name: 's', image: 'busybox:1.36', script: `echo ${c} ${w.path}` });
      const p = new Pipeline(s, 'p');
      p.addTask('a', { task: t });
      new FluxTriggeredPipeline(s, 'fp', { source: gitRepo(s), pipeline: p, params: JSON.parse('{"constructor": "x"}') });
    });
    expect(JSON.stringify(objects)).not.toContain('function');
    expect(find(objects, 'Pipeline').spec.params).toEqual([{ name: 'constructor', type: 'string' }]);
    expect(find(objects, 'Pipeline').spec.workspaces).toEqual([{ name: 'toString' }]);
    const run = find(objects, 'TriggerTemplate').spec.resourcetemplates[0];
    expect(run.spec.params).toEqual([{ name: 'constructor', value: 'x' }]);
    expect(run.spec.workspaces.map((w: any) => w.name)).toEqual(['toString']);
  });

  test("metadata('a.b'), ('a_b') and two non-ASCII keys get overlays of their own", () => {
    const objects = synth((s) => {
      const t = new Task(s, 't');
      const names = ['dot', 'underscore', 'ae', 'oe'];
      for (const n of names) t.addParam(n);
      t.addStep({ name: 's', image: 'busybox:1.36', script: names.map((n) => `echo $(params.${n})`).join('\n') });
      const p = new Pipeline(s, 'p');
      p.addTask('a', { task: t });
      new FluxTriggeredPipeline(s, 'fp', {
        source: gitRepo(s),
        pipeline: p,
        params: { dot: FluxEvent.metadata('a.b'), underscore: FluxEvent.metadata('a_b'), ae: FluxEvent.metadata('ä'), oe: FluxEvent.metadata('ö') },
      });
    });
    const bindings = find(objects, 'TriggerBinding').spec.params.map((p: any) => p.value);
    expect(new Set(bindings).size).toBe(5); // four metadata keys, and the revision id
    const event = { ...fixture('gitrepository-new-artifact.json') };
    event.metadata = { ...event.metadata, 'a.b': 'dot', 'a_b': 'underscore', 'ä': 'ae', 'ö': 'oe' };
    const [run] = simulateEvent(objects, event).runs;
    expect(Object.fromEntries((run.object as any).spec.params.map((p: any) => [p.name, p.value]))).toEqual({ dot: 'dot', underscore: 'underscore', ae: 'ae', oe: 'oe' });
  });
});

describe('keepRuns: bounded history through Tekton Pruner', () => {
  test('one namespace ConfigMap lists a history limit per pipeline, by name', () => {
    const objects = synth((s) => {
      const repo = gitRepo(s);
      new FluxTriggeredPipeline(s, 'on-push', { source: repo, pipeline: ciPipeline(s, 'ci'), params: { image: 'x' }, keepRuns: 5 });
      new FluxTriggeredPipeline(s, 'on-schedule', { source: repo, pipeline: ciPipeline(s, 'nightly'), params: { image: 'x' }, keepRuns: 2 });
    });
    const config = find(objects, 'ConfigMap', 'tekton-pruner-namespace-spec');
    expect(config.metadata).toEqual({
      name: 'tekton-pruner-namespace-spec',
      namespace: 'ci',
      labels: { 'app.kubernetes.io/part-of': 'tekton-pruner', 'pruner.tekton.dev/config-type': 'namespace' },
    });
    expect(config.data['ns-config']).toBe('pipelineRuns:\n  - name: ci\n    successfulHistoryLimit: 5\n    failedHistoryLimit: 5\n' +
      '  - name: nightly\n    successfulHistoryLimit: 2\n    failedHistoryLimit: 2\n');
  });

  test('keepRuns below 1 is an error', () => {
    expect(errorsOf((s) => new FluxTriggeredPipeline(s, 'fp', { source: gitRepo(s), pipeline: ciPipeline(s), params: { image: 'x' }, keepRuns: 0 })))
      .toEqual(['[test/fp] keepRuns must be a whole number of at least 1 (got 0): leave it out to keep every run']);
  });
});

describe('concurrency: a run for a newer revision cancels the older runs still running', () => {
  const build = (concurrency?: RunConcurrency, extra: object = {}) => synth((s) => {
    new FluxTriggeredPipeline(s, 'on-push', { source: gitRepo(s), pipeline: ciPipeline(s, 'ci'), params: { image: 'x' }, concurrency, ...extra });
  });
  const templateKinds = (objects: any[]) => find(objects, 'TriggerTemplate').spec.resourcetemplates.map((t: any) => t.kind);
  const listenerCreates = (objects: any[]) => find(objects, 'Role', 'flux-events-listener').rules.find((r: any) => r.verbs.includes('create')).resources;

  test('by default runs overlap: the template creates the run alone, the listener may create PipelineRuns alone', () => {
    for (const objects of [build(), build(RunConcurrency.parallel())]) {
      expect(templateKinds(objects)).toEqual(['PipelineRun']);
      expect(listenerCreates(objects)).toEqual(['pipelineruns']);
      expect(objects.filter((o) => o.metadata?.name === 'on-push-supersede')).toEqual([]);
    }
  });

  test('cancelInProgress: after the run, a TaskRun named after the revision cancels gracefully, as an account that may only get, list and patch PipelineRuns', () => {
    const objects = build(RunConcurrency.cancelInProgress());
    expect(templateKinds(objects)).toEqual(['PipelineRun', 'TaskRun']);
    expect(listenerCreates(objects)).toEqual(['pipelineruns', 'taskruns']);
    const canceller = find(objects, 'TriggerTemplate').spec.resourcetemplates[1];
    expect(canceller).toEqual({
      apiVersion: 'tekton.dev/v1',
      kind: 'TaskRun',
      // labelled with the Trigger whose older runs it cancels
      metadata: { name: 'ci-$(tt.params.flux-revision-id)-supersede', labels: { 'cdk8s-tekton-flux/cancels-superseded': 'on-push' } },
      spec: {
        taskRef: { name: 'on-push-supersede' },
        params: [{ name: 'run', value: 'ci-$(tt.params.flux-revision-id)' }],
        serviceAccountName: 'on-push-supersede',
        timeout: '5m0s',
      },
    });
    const step = find(objects, 'Task', 'on-push-supersede').spec.steps[0];
    expect(step.env).toEqual([
      { name: 'RUN', value: '$(params.run)' },
      { name: 'LISTENER', value: 'flux-events' },
      { name: 'TRIGGER', value: 'on-push' },
      { name: 'STOP', value: 'CancelledRunFinally' },
    ]);
    expect(step.image).toBe('ghcr.io/fluxcd/flux-cli:v2.7.3');
    // nothing is substituted into the script: it reads env only
    expect(step.script).not.toMatch(/\$\((params|tt|context|tasks|workspaces|steps|results|extensions|body|header)\./);
    expect(find(objects, 'Role', 'on-push-supersede').rules).toEqual([{ apiGroups: ['tekton.dev'], resources: ['pipelineruns'], verbs: ['get', 'list', 'patch'] }]);
    expect(find(objects, 'RoleBinding', 'on-push-supersede').subjects).toEqual([{ kind: 'ServiceAccount', name: 'on-push-supersede', namespace: 'ci' }]);
    expect(find(objects, 'ServiceAccount', 'on-push-supersede').automountServiceAccountToken).toBe(true);
  });

  test('runFinally: false stops the finally tasks too; the image can be replaced', () => {
    const objects = build(RunConcurrency.cancelInProgress({ runFinally: false, image: 'registry.example/kubectl:1' }));
    const step = find(objects, 'Task', 'on-push-supersede').spec.steps[0];
    expect(step.env.find((e: any) => e.name === 'STOP').value).toBe('Cancelled');
    expect(step.image).toBe('registry.example/kubectl:1');
  });

  test('a long pipeline name still gives names Tekton can label (63 characters with the revision id)', () => {
    const objects = synth((s) => {
      new FluxTriggeredPipeline(s, 'on-push', {
        source: gitRepo(s),
        pipeline: ciPipeline(s, 'a-very-long-pipeline-name-that-goes-on-and-on-and-on-forever'),
        params: { image: 'x' },
        concurrency: RunConcurrency.cancelInProgress(),
      });
    });
    for (const t of find(objects, 'TriggerTemplate').spec.resourcetemplates) {
      expect(t.metadata.name.replace('$(tt.params.flux-revision-id)', '0123456789ab').length).toBeLessThanOrEqual(63);
    }
  });

  test('with keepRuns, the cancelling TaskRuns are kept to the same number (by their Task)', () => {
    const config = find(build(RunConcurrency.cancelInProgress(), { keepRuns: 3 }), 'ConfigMap', 'tekton-pruner-namespace-spec');
    expect(config.data['ns-config']).toBe('pipelineRuns:\n  - name: ci\n    successfulHistoryLimit: 3\n    failedHistoryLimit: 3\n' +
      'taskRuns:\n  - name: on-push-supersede\n    successfulHistoryLimit: 3\n    failedHistoryLimit: 3\n');
  });
});

import { Chart, Duration, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { Alert, FluxKind, FluxSource, GitRepository, Kustomization, OCIRepository, Provider, ProviderType, Receiver, ReceiverType } from '../src';
import { codesOf, errorsOf, find, synth } from './util';
import * as l1 from '../imports/notification.toolkit.fluxcd.io';

describe('Flux sources', () => {
  test('GitRepository renders url, ref, interval, secret, ignore and include', () => {
    const objects = synth((s) => {
      const lib = new GitRepository(s, 'lib', { url: 'https://github.com/acme/lib.git', branch: 'main' });
      new GitRepository(s, 'app-repo', {
        url: 'ssh://git@github.com/acme/app.git',
        ref: { semver: '>=1.0.0' },
        interval: Duration.seconds(90),
        secretName: 'app-deploy-key',
        ignore: '/*\n!/deploy',
        include: [{ repository: lib, fromPath: 'config', toPath: 'lib-config' }],
      });
    }, 'flux-system');
    expect(find(objects, 'GitRepository', 'app-repo')).toEqual({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'app-repo', namespace: 'flux-system' },
      spec: {
        url: 'ssh://git@github.com/acme/app.git',
        interval: '1m30s',
        ref: { semver: '>=1.0.0' },
        secretRef: { name: 'app-deploy-key' },
        ignore: '/*\n!/deploy',
        include: [{ repository: { name: 'lib' }, fromPath: 'config', toPath: 'lib-config' }],
      },
    });
    expect(find(objects, 'GitRepository', 'lib').spec).toEqual({ url: 'https://github.com/acme/lib.git', interval: '1m0s', ref: { branch: 'main' } });
  });

  test('OCIRepository renders url, ref, provider and secret', () => {
    const objects = synth((s) => {
      new OCIRepository(s, 'manifests', { url: 'oci://ghcr.io/acme/app-manifests', ref: { semver: '1.x' }, provider: 'aws', secretName: 'ghcr' });
    }, 'flux-system');
    expect(find(objects, 'OCIRepository').spec).toEqual({
      url: 'oci://ghcr.io/acme/app-manifests', interval: '5m0s', ref: { semver: '1.x' }, provider: 'aws', secretRef: { name: 'ghcr' },
    });
  });

  test('objects outside a namespaced chart go to flux-system', () => {
    const chart = new Chart(Testing.app(), 'no-namespace');
    new GitRepository(chart, 'r', { url: 'https://x/y.git', branch: 'main' });
    expect(find(Testing.synth(chart), 'GitRepository').metadata.namespace).toBe('flux-system');
  });

  test.each([
    ['bad git url', (s: Construct) => new GitRepository(s, 'r', { url: 'github.com/acme/app', branch: 'main' }), 'test/r', 'invalid-url'],
    ['bad oci url', (s: Construct) => new OCIRepository(s, 'r', { url: 'ghcr.io/acme/x' }), 'test/r', 'invalid-url'],
    ['branch and ref', (s: Construct) => new GitRepository(s, 'r', { url: 'https://x/y.git', branch: 'main', ref: { tag: 'v1' } }), 'test/r', 'conflicting-props'],
  ])('%s: one problem of its kind, where it was made', (_t, build, path, code) => expect(codesOf(build)).toEqual([[path, code]]));
});

describe('Kustomization', () => {
  test('renders path, source, prune, wait, timeout, dependsOn, targetNamespace, serviceAccountName and postBuild', () => {
    const objects = synth((s) => {
      const repo = GitRepository.fromGitRepositoryName(s, 'app-repo', 'app-repo');
      const infra = Kustomization.fromKustomizationName(s, 'infra', 'infra', { namespace: 'platform' });
      new Kustomization(s, 'app', {
        source: repo,
        path: './deploy/staging',
        interval: Duration.minutes(5),
        wait: true,
        timeout: Duration.minutes(3),
        dependsOn: [infra],
        targetNamespace: 'staging',
        serviceAccountName: 'tenant',
        substitute: { cluster: 'staging' },
        substituteFrom: [{ kind: 'ConfigMap', name: 'vars' }],
      });
    }, 'flux-system');
    expect(find(objects, 'Kustomization').spec).toEqual({
      interval: '5m0s',
      path: './deploy/staging',
      prune: true,
      wait: true,
      timeout: '3m0s',
      sourceRef: { kind: 'GitRepository', name: 'app-repo' },
      dependsOn: [{ name: 'infra', namespace: 'platform' }],
      targetNamespace: 'staging',
      serviceAccountName: 'tenant',
      postBuild: { substitute: { cluster: 'staging' }, substituteFrom: [{ kind: 'ConfigMap', name: 'vars' }] },
    });
  });

  test('a source of an unknown kind, or one a Kustomization cannot apply, is an error', () => {
    expect(errorsOf((s) => new Kustomization(s, 'k', { source: FluxSource.fromName(s, 'x', 'GitRepo', 'x') }))).toEqual([
      "[test/k] unknown Flux kind 'GitRepo' for source 'x': use one of GitRepository, OCIRepository, Bucket, HelmRepository, HelmChart, ExternalArtifact, Kustomization, HelmRelease",
    ]);
    expect(codesOf((s) => new Kustomization(s, 'k', { source: FluxSource.fromName(s, 'x', FluxKind.HELM_CHART, 'x') }))).toEqual([['test/k', 'wrong-kind']]);
  });
});

describe('notifications', () => {
  test('Provider, Alert and Receiver', () => {
    const objects = synth((s) => {
      const repo = GitRepository.fromGitRepositoryName(s, 'app-repo', 'app-repo');
      const provider = new Provider(s, 'hook', { address: 'http://el-x.ci.svc.cluster.local:8080', secretName: 'hook-headers' });
      new Alert(s, 'alert', { provider, eventSources: [repo], inclusionList: ['^stored artifact'] });
      new Receiver(s, 'github', { type: ReceiverType.GITHUB, events: ['push'], resources: [repo], secretName: 'webhook-token' });
      new Provider(s, 'slack', { type: ProviderType.SLACK, address: 'https://hooks.slack.com/x' });
    }, 'flux-system');
    expect(find(objects, 'Provider', 'hook')).toEqual({
      apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
      kind: 'Provider',
      metadata: { name: 'hook', namespace: 'flux-system' },
      spec: { type: 'generic', address: 'http://el-x.ci.svc.cluster.local:8080', secretRef: { name: 'hook-headers' } },
    });
    expect(find(objects, 'Alert').spec).toEqual({
      providerRef: { name: 'hook' },
      eventSeverity: 'info',
      eventSources: [{ kind: 'GitRepository', name: 'app-repo', namespace: 'flux-system' }],
      inclusionList: ['^stored artifact'],
    });
    expect(find(objects, 'Receiver')).toMatchObject({
      apiVersion: 'notification.toolkit.fluxcd.io/v1',
      spec: { type: 'github', events: ['push'], secretRef: { name: 'webhook-token' }, resources: [{ kind: 'GitRepository', name: 'app-repo', namespace: 'flux-system' }] },
    });
  });

  test('ProviderType and ReceiverType are enum-like classes with every type the pinned CRDs allow, and render their value', () => {
    const values = (cls: object) => Object.values(cls).filter((v): v is { value: string } => typeof v?.value === 'string').map((v) => v.value).sort();
    expect(values(ProviderType)).toEqual(Object.values(l1.ProviderSpecType).sort());
    expect(values(ReceiverType)).toEqual(Object.values(l1.ReceiverSpecType).sort());
    const objects = synth((s) => {
      new Provider(s, 'signed', { type: ProviderType.GENERIC_HMAC, address: 'https://hooks.example.com/flux', secretName: 'hmac' });
      new Receiver(s, 'hook', { type: ReceiverType.GENERIC_HMAC, resources: [GitRepository.fromGitRepositoryName(s, 'r', 'r')], secretName: 'hmac' });
    }, 'flux-system');
    expect([find(objects, 'Provider').spec.type, find(objects, 'Receiver').spec.type]).toEqual(['generic-hmac', 'generic-hmac']);
  });

  test('an Alert must live with its Provider', () => {
    expect(codesOf((s) => new Alert(s, 'a', {
      provider: Provider.fromProviderName(s, 'p', 'p', { namespace: 'other' }), eventSources: [GitRepository.fromGitRepositoryName(s, 'r', 'r')], namespace: 'flux-system',
    }))).toEqual([['test/a', 'cross-namespace-reference']]);
  });
});

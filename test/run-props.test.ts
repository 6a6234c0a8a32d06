import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { FluxTriggeredPipeline, FluxTriggeredPipelineProps, GitRepository, ListenerAuthentication, Pipeline, RunConcurrency, Task } from '../src';
import { errorsOf, find, synth } from './util';
import {
  branchNameProblem, dnsLabelProblem, headerNameProblem, httpsUrlProblem, labelKeyProblem, labelValueProblem, secretKeyProblem, secretNameProblem,
} from '../src/internal/validation';

/** A FluxTriggeredPipeline `fp` of a pipeline `p`, with `props` on top. */
function triggered(s: Construct, props: Partial<FluxTriggeredPipelineProps> = {}, id = 'fp', pipelineId = 'p') {
  let p = s.node.tryFindChild(pipelineId) as Pipeline | undefined;
  if (!p) {
    const t = new Task(s, `${pipelineId}-task`);
    t.addStep({ name: 'run', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' });
    p = new Pipeline(s, pipelineId);
    p.addTask('a', { task: t });
  }
  const source = (s.node.tryFindChild('repo') as GitRepository | undefined) ??
    new GitRepository(s, 'repo', { url: 'https://github.com/acme/app.git', branch: 'main', namespace: 'flux-system' });
  return new FluxTriggeredPipeline(s, id, { source, pipeline: p, ...props });
}

describe('props that reach a label, a name or a Secret: valid ones pass unchanged', () => {
  test('labels Kubernetes accepts: a prefix, dots and underscores, an empty value, 63 characters', () => {
    const labels = { 'team': 'web_platform.v2', 'acme.example.com/owner': '', 'a': 'x'.repeat(63), ['p'.repeat(63)]: 'Mixed-Case' };
    const objects = synth((s) => triggered(s, { runLabels: labels }));
    expect(find(objects, 'TriggerTemplate').spec.resourcetemplates[0].metadata.labels).toEqual(labels);
  });

  test('Secret names, key and header of the shared token, and TLS Secrets', () => {
    const objects = synth((s) => triggered(s, {
      authentication: ListenerAuthentication.sharedToken({ providerSecretName: 'flux.token', listenerSecretName: 'ci-token', listenerSecretKey: 'shared_token.v1', header: 'X-Ci-Token' }),
      tls: { listenerSecretName: 'fp-tls', providerCaSecretName: 'fp-ca' },
      serviceAccountName: 'ci-runner',
      concurrency: RunConcurrency.cancelInProgress({ image: 'registry.example.com:5000/tools/kubectl:1.30' }),
    }));
    const provider = find(objects, 'Provider');
    expect(provider.spec.secretRef).toEqual({ name: 'flux.token' });
    expect(provider.spec.certSecretRef).toEqual({ name: 'fp-ca' });
    expect(find(objects, 'Task', 'fp-supersede').spec.steps[0].image).toBe('registry.example.com:5000/tools/kubectl:1.30');
  });

  test('the same keepRuns for one pipeline twice is no error, and one entry', () => {
    const objects = synth((s) => { triggered(s, { keepRuns: 4 }); triggered(s, { keepRuns: 4 }, 'again'); });
    expect(find(objects, 'ConfigMap', 'tekton-pruner-namespace-spec').data['ns-config']).toContain('successfulHistoryLimit: 4');
  });

  test('an invalid keepRuns is its own error only, not also a conflict with another', () => {
    expect(errorsOf((s) => { triggered(s, { keepRuns: 4 }); triggered(s, { keepRuns: 0 }, 'again'); }))
      .toEqual(['[test/again] keepRuns must be a whole number of at least 1 (got 0): leave it out to keep every run']);
  });

  test('a user\'s ConfigMap of that name in another namespace is no clash', () => {
    expect(errorsOf((s) => {
      new ApiObject(s, 'theirs', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tekton-pruner-namespace-spec', namespace: 'tools' } });
      triggered(s, { keepRuns: 4 });
    })).toEqual([]);
  });

  test('a construct id the pruner\'s ConfigMap would take is no crash: another id, and the clash reported once', () => {
    const errors = errorsOf((s) => {
      new ApiObject(s, 'TektonPrunerConfig-ci', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tekton-pruner-namespace-spec' } });
      triggered(s, { keepRuns: 4 });
      triggered(s, { keepRuns: 4 }, 'again');
    });
    expect(errors).toEqual([expect.stringMatching(/^\[test\/fp\] keepRuns writes Tekton Pruner's ConfigMap .* test\/TektonPrunerConfig-ci defines one too/)]);
  });

  test('an unrelated construct with that id is no error either', () => {
    const objects = synth((s) => { new Construct(s, 'TektonPrunerConfig-ci'); triggered(s, { keepRuns: 4 }); });
    expect(find(objects, 'ConfigMap', 'tekton-pruner-namespace-spec').metadata.namespace).toBe('ci');
  });

  test('an invalid name is one error, not one per object it names', () => {
    expect(errorsOf((s) => triggered(s, { name: 'CI_on.push' }))).toEqual([
      "[test/fp] name 'CI_on.push' is not a DNS label, which the names of its Trigger, binding and template (and of a listener of its own) must be: use lower case letters, digits and '-', " +
      "starting and ending with a letter or digit (at most 60, e.g. 'ci-on-push')",
    ]);
  });

  test('Secret names given wrong are one error each, in the words of the prop given', () => {
    expect(errorsOf((s) => triggered(s, {
      authentication: ListenerAuthentication.sharedToken({ providerSecretName: 'Flux Token' }),
      tls: { listenerSecretName: 'TLS', providerCaSecretName: '' },
    }))).toEqual([
      "[test/fp/Listener] authentication's providerSecretName 'Flux Token' is not a valid Secret name: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253, e.g. 'flux-token')",
      "[test/fp/Listener] tls.listenerSecretName 'TLS' is not a valid Secret name: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253, e.g. 'flux-token')",
      "[test/fp/Listener] tls.providerCaSecretName '' is not a valid Secret name: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253, e.g. 'flux-token')",
    ]);
  });
});

describe('validators', () => {
  test.each([
    ['team', true], ['example.com/team', true], ['a.b_c-d', true], ['x'.repeat(63), true], [`${'d'.repeat(253)}/n`, true],
    ['', false], ['x'.repeat(64), false], ['-team', false], ['team-', false], ['Example.com/team', false], ['/team', false], ['a/b/c', false],
    ['example.com/', false], [`${'d'.repeat(254)}/n`, false], ['web platform', false],
  ])('label key %s: %s', (key, ok) => expect(labelKeyProblem('labels', key) === undefined).toBe(ok));

  test.each([
    ['', true], ['web-platform', true], ['Web_Platform.2', true], ['x'.repeat(63), true],
    ['web platform', false], ['x'.repeat(64), false], ['-x', false], ['x.', false], ['$(body.message)', false], ['a/b', false],
  ])('label value %s: %s', (value, ok) => expect(labelValueProblem('labels', 'k', value) === undefined).toBe(ok));

  test('secret names, keys, DNS labels, headers', () => {
    expect(secretNameProblem('s', 'flux.token-1')).toBeUndefined();
    expect(secretNameProblem('s', '')).toBeDefined();
    expect(secretNameProblem('s', 'a'.repeat(254))).toBeDefined();
    expect(secretKeyProblem('k', '.dockerconfigjson')).toBeUndefined();
    expect(secretKeyProblem('k', 'tls.crt')).toBeUndefined();
    for (const bad of ['', '.', '..', 'a/b', 'a b']) expect(secretKeyProblem('k', bad)).toBeDefined();
    expect(dnsLabelProblem('ns', 'flux-system')).toBeUndefined();
    for (const bad of ['', 'Flux', 'a.b', 'x'.repeat(64)]) expect(dnsLabelProblem('ns', bad)).toBeDefined();
    expect(headerNameProblem('h', 'X-Flux-Token')).toBeUndefined();
    for (const bad of ['', 'X Token', 'X:Token', 'Ä']) expect(headerNameProblem('h', bad)).toBeDefined();
  });

  test.each([
    ['main', true], ['release/1.2', true], ['feature/a-b_c+d', true], ['v1.0', true],
    ['', false], ['@', false], ['a..b', false], ['a b', false], ['-x', false], ['/x', false], ['x/', false], ['x.', false], ['x.lock', false],
    ['a/.b', false], ['a//b', false], ['a@{b', false], ['a~b', false], ['a^b', false], ['a:b', false], ['a?b', false], ['a*b', false], ['a[b', false], ['a\\b', false],
  ])('branch %s: %s', (branch, ok) => expect(branchNameProblem('branch', branch) === undefined).toBe(ok));

  test('https URLs without credentials', () => {
    expect(httpsUrlProblem('url', 'https://github.com/acme/app.git')).toBeUndefined();
    expect(httpsUrlProblem('url', 'http://github.com/acme/app.git')).toContain('is not an https URL');
    expect(httpsUrlProblem('url', 'github.com/acme/app')).toContain('is not an https URL');
    const withToken = httpsUrlProblem('url', 'https://x-access-token:ghp_secret@github.com/acme/app.git');
    expect(withToken).toContain('holds credentials: remove them from the URL');
    expect(withToken).not.toContain('ghp_secret');
  });
});

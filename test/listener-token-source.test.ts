import { parse } from 'yaml';
import { FluxListener, FluxTriggeredPipeline, GitRepository, ListenerAuthentication, ListenerTokenSource, Pipeline, Task } from '../src';
import { referencedSecrets, simulateEvent } from '../src/simulate';
import { checkConformance } from './support/conformance';
import { CrdSchemas } from './support/crd-schemas';
import { services } from './support/services';
import { crdsDir, errorsOf, fluxEvent } from './util';

const count = (objects: any[], kind: string) => objects.filter((o) => o.kind === kind).length;

describe('the default: every FluxTriggeredPipeline of a namespace joins its one listener', () => {
  test('50 services without a `listener` prop: 1 EventListener, 1 Provider, 1 Secret to create, at most 5 objects per service', () => {
    const fifty = services(50);
    expect(count(fifty, 'EventListener')).toBe(1);
    expect(count(fifty, 'Provider')).toBe(1);
    expect(count(fifty, 'Alert')).toBe(1);
    expect(referencedSecrets(fifty).map((s) => `${s.namespace}/${s.name} ${s.keys.join(',')}`)).toEqual(['ci/flux-events-flux-token headers,token']);
    // besides the user's own GitRepository, Task and Pipeline
    expect(services(51).length - fifty.length - 3).toBeLessThanOrEqual(5);
    const event = fluxEvent('gitrepository-new-artifact.json');
    event.involvedObject.name = 'svc-7';
    expect(simulateEvent(fifty, event).runs.map((r) => (r.object as any).metadata.name)).toEqual(['svc-7-ci-4b825dc642cb']);
  });
});

describe('ListenerTokenSource.externalSecretsPassword(): dist/ brings the token, none is created by hand', () => {
  const objects = services(3, { listener: (ci) => new FluxListener(ci, 'listener', { tokenSource: ListenerTokenSource.externalSecretsPassword() }) });
  const external = objects.find((o) => o.kind === 'ExternalSecret');

  test('a Password generator and an ExternalSecret that writes the one Secret, conforming to ESO\'s pinned CRDs', () => {
    expect(objects.find((o) => o.kind === 'Password')).toEqual({
      apiVersion: 'generators.external-secrets.io/v1alpha1',
      kind: 'Password',
      metadata: { name: 'flux-events-flux-token', namespace: 'ci' },
      spec: { length: 48, digits: 12, symbols: 0, noUpper: false, allowRepeat: true },
    });
    expect(external.metadata).toEqual({ name: 'flux-events-flux-token', namespace: 'ci' });
    expect(external.spec.target.name).toBe('flux-events-flux-token');
    expect(external.spec.refreshPolicy).toBe('CreatedOnce');
    expect(external.spec.dataFrom).toEqual([{
      sourceRef: { generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: 'flux-events-flux-token' } },
    }]);
    const report = checkConformance(objects, CrdSchemas.load(crdsDir()));
    expect(report.schema).toEqual([]);
    expect(report.unknownKinds).toEqual([]);
    expect(count(objects, 'Secret')).toBe(0);
  });

  test('nothing to create by hand, and the two keys ESO writes are what the Provider sends and the listener compares', () => {
    expect(referencedSecrets(objects)).toEqual([]);
    // ESO's template engine substitutes the generated value into both keys
    const token = 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3';
    const data = Object.fromEntries(Object.entries(external.spec.target.template.data as { [k: string]: string })
      .map(([k, v]) => [k, v.split('{{ .password }}').join(token)]));
    expect(parse(data.headers)).toEqual({ 'X-Flux-Token': token });
    const event = fluxEvent('gitrepository-new-artifact.json');
    event.involvedObject.name = 'svc-1';
    const run = (secret: { [key: string]: string }) => simulateEvent(objects, event, { secrets: new Map([['ci/flux-events-flux-token', secret]]) })
      .runs.map((r) => (r.object as any).metadata.name);
    expect(run(data)).toEqual(['svc-1-ci-4b825dc642cb']);
    // the check can fail: keys that disagree start nothing
    expect(run({ ...data, token: `${token}x` })).toEqual([]);
  });

  test.each([
    ['a length too short to be a secret', () => ListenerTokenSource.externalSecretsPassword({ length: 8 }), {},
      '[test/listener] ListenerTokenSource.externalSecretsPassword() length 8 is not a whole number from 32 to 128: leave it out for 48'],
    ['an option it does not have', () => ListenerTokenSource.externalSecretsPassword({ symbols: 3 } as any), {},
      "[test/listener] ListenerTokenSource.externalSecretsPassword() has no option 'symbols': use length"],
    ['a generated token on an unauthenticated listener', () => ListenerTokenSource.externalSecretsPassword(),
      { authentication: ListenerAuthentication.unauthenticated() },
      '[test/listener] tokenSource generates a token, but the listener is unauthenticated: leave tokenSource out, or authenticate with ' +
      'ListenerAuthentication.sharedToken()'],
    ['two Secret names for one generated Secret', () => ListenerTokenSource.externalSecretsPassword(),
      { authentication: ListenerAuthentication.sharedToken({ providerSecretName: 'a', listenerSecretName: 'b' }) },
      "[test/listener] tokenSource generates one Secret with both keys, but authentication names two ('a' and 'b'): " +
      'name one Secret (providerSecretName only), or leave tokenSource out and create both by hand'],
    ['a listener Secret of its own beside the Provider\'s default one', () => ListenerTokenSource.externalSecretsPassword(),
      { authentication: ListenerAuthentication.sharedToken({ listenerSecretName: 'only-listener' }) },
      "[test/listener] tokenSource generates one Secret with both keys, but authentication names two ('flux-events-flux-token' and 'only-listener'): " +
      'name one Secret (providerSecretName only), or leave tokenSource out and create both by hand'],
    ['the token under the key of the Provider\'s headers', () => ListenerTokenSource.externalSecretsPassword(),
      { authentication: ListenerAuthentication.sharedToken({ listenerSecretKey: 'headers' }) },
      "[test/listener] authentication's listenerSecretKey 'headers' is the key of the Provider's headers, in the same Secret: the token cannot " +
      "be both; leave it out for 'token'"],
  ])('%s is one error with the path and the fix', (_name, tokenSource, props, message) => {
    expect(errorsOf((s) => {
      const listener = new FluxListener(s, 'listener', { ...props, tokenSource: tokenSource() });
      const task = new Task(s, 't');
      task.addStep({ name: 's', image: 'alpine:3.20', script: '#!/bin/sh\ntrue' });
      const pipeline = new Pipeline(s, 'p');
      pipeline.addTask('t', { task });
      new FluxTriggeredPipeline(s, 'fp', { source: new GitRepository(s, 'repo', { url: 'https://github.com/acme/app.git', branch: 'main' }), pipeline, listener });
    })).toEqual([message]);
  });
});

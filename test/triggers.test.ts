import { Construct } from 'constructs';
import { EventListener, Interceptor, Trigger, TriggerBinding, TriggerTemplate } from '../src';
import { codesOf, find, synth } from './util';

function pair(s: Construct) {
  const binding = new TriggerBinding(s, 'binding', { params: { revision: '$(body.metadata.revision)' } });
  const template = new TriggerTemplate(s, 'template');
  const revision = template.addParam('revision', { description: 'the revision' });
  template.addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { generateName: 'ci-' }, spec: { pipelineRef: { name: 'ci' }, params: [{ name: 'revision', value: `${revision}` }] } });
  return { binding, template };
}

describe('EventListener', () => {
  test('gets its own ServiceAccount and roles with only the verbs its code uses, and a NetworkPolicy for its clients', () => {
    const objects = synth((s) => {
      const { binding, template } = pair(s);
      new EventListener(s, 'on-push', {
        triggers: [{ name: 'build', interceptors: [Interceptor.cel({ filter: "body.reason == 'NewArtifact'", overlays: [{ key: 'x', expression: '1' }] })], bindings: [binding], template }],
        allowedClients: [{ namespace: 'flux-system', podLabels: { app: 'notification-controller' } }],
      });
    });
    expect(find(objects, 'EventListener')).toEqual({
      apiVersion: 'triggers.tekton.dev/v1beta1',
      kind: 'EventListener',
      metadata: { name: 'on-push', namespace: 'ci' },
      spec: {
        serviceAccountName: 'on-push-listener',
        triggers: [{
          name: 'build',
          interceptors: [{ ref: { name: 'cel', kind: 'ClusterInterceptor' }, params: [{ name: 'filter', value: "body.reason == 'NewArtifact'" }, { name: 'overlays', value: [{ key: 'x', expression: '1' }] }] }],
          bindings: [{ ref: 'binding', kind: 'TriggerBinding' }],
          template: { ref: 'template' },
        }],
      },
    });
    expect(find(objects, 'ServiceAccount')).toEqual({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'on-push-listener', namespace: 'ci' }, automountServiceAccountToken: true });
    expect(find(objects, 'Role')).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'on-push-listener', namespace: 'ci' },
      rules: [
        { apiGroups: ['triggers.tekton.dev'], resources: ['eventlisteners', 'interceptors', 'triggerbindings', 'triggers', 'triggertemplates'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['tekton.dev'], resources: ['pipelineruns'], verbs: ['create'] },
      ],
    });
    expect(find(objects, 'RoleBinding')).toMatchObject({
      metadata: { name: 'on-push-listener', namespace: 'ci' },
      roleRef: { kind: 'Role', name: 'on-push-listener' },
      subjects: [{ kind: 'ServiceAccount', name: 'on-push-listener', namespace: 'ci' }],
    });
    expect(find(objects, 'ClusterRole')).toEqual({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'ci:on-push-listener' },
      rules: [{ apiGroups: ['triggers.tekton.dev'], resources: ['clusterinterceptors', 'clustertriggerbindings'], verbs: ['get', 'list', 'watch'] }],
    });
    const crb = find(objects, 'ClusterRoleBinding');
    expect(crb.metadata).toEqual({ name: 'ci:on-push-listener' });
    expect(crb).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'ci:on-push-listener' }, subjects: [{ kind: 'ServiceAccount', name: 'on-push-listener', namespace: 'ci' }] });
    // nothing of Triggers' release roles (cluster-wide Secret reads, impersonate), no wildcard
    expect(JSON.stringify(objects)).not.toMatch(/tekton-triggers-eventlistener|impersonate|"secrets"|"\*"/);
    expect(find(objects, 'NetworkPolicy').spec).toEqual({
      podSelector: { matchLabels: { eventlistener: 'on-push' } },
      policyTypes: ['Ingress'],
      ingress: [{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'flux-system' } }, podSelector: { matchLabels: { app: 'notification-controller' } } }],
        ports: [{ port: 8080, protocol: 'TCP' }],
      }],
    });
  });

  test('the URL is the el-<name> Service on port 8080', () => {
    synth((s) => {
      const { binding, template } = pair(s);
      const el = new EventListener(s, 'hooks', { triggers: [{ name: 't', bindings: [binding], template }] });
      expect(el.url).toBe('http://el-hooks.ci.svc.cluster.local:8080');
    });
  });

  test('an existing ServiceAccount means no new one and no bindings; standalone Triggers are referenced', () => {
    const objects = synth((s) => {
      const { binding, template } = pair(s);
      const el = new EventListener(s, 'el', { serviceAccountName: 'shared-listener' });
      el.addTriggerRef(new Trigger(s, 'shared', { bindings: [binding], template, interceptors: [Interceptor.github({ secretRef: { secretName: 'gh', secretKey: 'token' }, eventTypes: ['push'] })] }));
    });
    expect(objects.filter((o) => /ServiceAccount|Binding$/.test(o.kind) && o.kind !== 'TriggerBinding')).toEqual([]);
    expect(find(objects, 'EventListener').spec).toEqual({ serviceAccountName: 'shared-listener', triggers: [{ triggerRef: 'shared' }] });
    expect(find(objects, 'Trigger').spec.interceptors).toEqual([{
      ref: { name: 'github', kind: 'ClusterInterceptor' },
      params: [{ name: 'secretRef', value: { secretName: 'gh', secretKey: 'token' } }, { name: 'eventTypes', value: ['push'] }],
    }]);
  });

  test('existing bindings and templates are referenced by name; a ClusterTriggerBinding by its kind', () => {
    const objects = synth((s) => {
      new EventListener(s, 'el', {
        triggers: [{
          name: 'push',
          bindings: [TriggerBinding.fromClusterTriggerBindingName(s, 'gh', 'github-push'), TriggerBinding.fromTriggerBindingName(s, 'extra', 'extra-params')],
          template: TriggerTemplate.fromTriggerTemplateName(s, 'tmpl', 'build-run'),
        }],
      });
    });
    expect(find(objects, 'EventListener').spec.triggers).toEqual([{
      name: 'push',
      bindings: [{ ref: 'github-push', kind: 'ClusterTriggerBinding' }, { ref: 'extra-params', kind: 'TriggerBinding' }],
      template: { ref: 'build-run' },
    }]);
    // nothing is created for the existing ones: only the listener, its identity and its NetworkPolicy
    expect(objects.map((o) => o.kind).sort()).toEqual(['ClusterRole', 'ClusterRoleBinding', 'EventListener', 'NetworkPolicy', 'Role', 'RoleBinding', 'ServiceAccount']);
    // an existing template's kinds are not known: the listener may create Tekton's run kinds
    expect(find(objects, 'Role').rules[1]).toEqual({ apiGroups: ['tekton.dev'], resources: ['pipelineruns', 'taskruns'], verbs: ['create'] });
    // with no allowedClients, pods of the listener's own namespace only
    expect(find(objects, 'NetworkPolicy').spec.ingress[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ci' } }, podSelector: { matchLabels: {} } }]);
  });

  test.each([
    ['a binding from another namespace', (s: Construct) => {
      const { template } = pair(s);
      const other = new TriggerBinding(s, 'other', { namespace: 'tools', params: { x: '$(body.x)' } });
      new EventListener(s, 'el', { triggers: [{ name: 't', bindings: [other], template }] });
    }, 'test/el', 'cross-namespace-reference'],
    ['a standalone Trigger with a template from another namespace', (s: Construct) => {
      const { binding, template } = pair(s);
      void template;
      const far = new TriggerTemplate(s, 'far', { namespace: 'tools' });
      far.addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { generateName: 'r-' }, spec: {} });
      new Trigger(s, 'trig', { bindings: [binding], template: far });
    }, 'test/trig', 'cross-namespace-reference'],
    ['a triggerRef to a Trigger in another namespace', (s: Construct) => {
      const { binding, template } = pair(s);
      const el = new EventListener(s, 'el', { namespace: 'hooks' });
      el.addTriggerRef(new Trigger(s, 'trig', { bindings: [binding], template }));
    }, 'test/el', 'cross-namespace-reference'],
    ['a name too long for the el-<name> Service', (s: Construct) => {
      const { binding, template } = pair(s);
      new EventListener(s, 'el', { name: 'x'.repeat(61), triggers: [{ name: 't', bindings: [binding], template }] });
    }, 'test/el', 'invalid-object-name'],
    ['no triggers', (s: Construct) => new EventListener(s, 'el'), 'test/el', 'no-triggers'],
    ['a run template with a fixed name', (s: Construct) => {
      const t = new TriggerTemplate(s, 't');
      t.addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { name: 'run' }, spec: {} });
    }, 'test/t', 'fixed-run-name'],
    ['a template param used but not declared', (s: Construct) => {
      const t = new TriggerTemplate(s, 't');
      t.addParam('revision');
      t.addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { generateName: 'r-' }, spec: { params: [{ name: 'x', value: '$(tt.params.revison)' }] } });
    }, 'test/t', 'unknown-reference'],
    ['a binding that reads a Tekton variable', (s: Construct) => new TriggerBinding(s, 'b', { params: { x: '$(params.y)' } }),
      'test/b', 'misplaced-reference'],
  ])('%s: one problem of its kind, where it was made', (_t, build, path, code) => expect(codesOf(build)).toEqual([[path, code]]));
});

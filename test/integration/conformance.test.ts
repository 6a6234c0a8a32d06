import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../app/main';
import { GitOpsApp } from '../../src';
import { alphaFeatureUses, checkConformance, securityProblems } from '../support/conformance';
import { CrdSchemas } from '../support/crd-schemas';
import { imageAutomationFleet } from '../support/image-fleet';
import { nameErrors } from '../support/k8s-names';
import { kplusTypeErrors } from '../support/kplus-types';
import { matrixObjects } from '../support/matrix';
import { modelErrors } from '../support/models';
import { tektonLint } from '../support/tekton-lint';
import { crdsDir, synth, tempDir } from '../util';

const crds = crdsDir();

/**
 * What @ibm/tekton-lint 1.1.0 reports wrongly. It predates Tekton's object params and array indexing
 * (`type: object`, `$(params.obj.key)`, `$(params.arr[0])`, `$(params.arr[*])`, all valid in tekton.dev/v1
 * and accepted by the Pipeline CRD schema above), so on those it reports a wrong type, an undefined or
 * unused param, or a name that is not kebab-case. Nothing else is excused.
 */
const LINT_FALSE_POSITIVES = [
  { rule: 'no-invalid-param-type', message: /^(Task|Pipeline) '[a-z0-9-]+' defines parameter '[a-z0-9-]+' with wrong type \(only strings and arrays of strings are allowed\)$/ },
  { rule: 'no-undefined-param', message: /^Undefined param '[a-z0-9-]+(\.[a-z0-9-]+|\[\d+\])' at / },
  { rule: 'no-unused-param', message: /^Task 'unit-test' defines parameter 'options', but it's not used anywhere in the spec$/ },
  { rule: 'prefer-kebab-case', message: /^Invalid name for '[a-z0-9-]+\[\*\]' at / },
];

function appObjects(): any[] {
  const out = tempDir();
  buildApp(new GitOpsApp({ outdir: out })).synth();
  return fs.readdirSync(out).sort().flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(out, f), 'utf8')).map((d) => d.toJS()));
}

/** The construct matrix, and Flux's image automation constructs in every shape (test/support/image-fleet.ts). */
function matrixAndImageObjects(): any[] {
  return [...matrixObjects(), ...synth(imageAutomationFleet, 'flux-system')];
}

describe.each([
  ['the synth app', appObjects],
  ['the construct matrix', matrixAndImageObjects],
])('%s conforms', (_name, build) => {
  const objects = build();
  const report = checkConformance(objects, CrdSchemas.load(crds));

  test('it covers Tekton, Triggers, Flux and core objects', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of ['Task', 'Pipeline', 'EventListener', 'TriggerBinding', 'TriggerTemplate', 'GitRepository', 'Kustomization', 'Alert', 'Provider', 'ServiceAccount', 'RoleBinding', 'ClusterRoleBinding', 'NetworkPolicy']) {
      expect(kinds).toContain(k);
    }
    if (build === matrixAndImageObjects) {
      for (const k of ['ImageRepository', 'ImagePolicy', 'ImageUpdateAutomation']) expect(kinds).toContain(k);
    }
  });
  test('every Tekton and Flux object satisfies its CRD schema, including its CEL rules', () => expect(report.schema).toEqual([]));
  test('every Tekton and Flux object is of a kind and version the CRDs serve', () => expect(report.unknownKinds).toEqual([]));
  test('kubernetes-models and @kubernetes-models/flux-cd accept every core and Flux object', () => expect(report.models).toEqual([]));
  test('every core object is a Kubernetes type of cdk8s-plus-28', () => expect(report.coreTypes).toEqual([]));
  test('every name follows the Kubernetes rules for its kind', () => expect(report.names).toEqual([]));
  test('@ibm/tekton-lint reports no error and no warning, but for its known false positives', () => {
    expect(report.lint.filter((p) => !LINT_FALSE_POSITIVES.some((f) => f.rule === p.rule && f.message.test(p.message)))).toEqual([]);
  });
});

test('the synth app uses no Tekton feature a default install rejects', () => {
  expect(alphaFeatureUses(appObjects())).toEqual([]);
  // the synth app is safe by default (README "Security")
  expect(securityProblems(appObjects())).toEqual([]);
  // the check itself: the construct matrix uses both on purpose
  expect(alphaFeatureUses(matrixObjects())).toEqual(expect.arrayContaining([
    "Pipeline/full: param 'deploy' has an enum (enable-param-enum)",
    "Pipeline/full: task 'scan' has a CEL when (enable-cel-in-whenexpression)",
  ]));
});

test('the security check catches each unsafe pattern', () => {
  const unsafe = [
    {
      kind: 'Task',
      metadata: { namespace: 'ci', name: 't' },
      spec: {
        steps: [
          { name: 'a', image: 'x', script: 'git checkout $(params.commit)' },
          { name: 'b', image: 'x', command: ['bash', '-c', 'echo $(context.taskRun.name)'] },
          { name: 'c', image: 'x', args: ['--x'] },
        ],
      },
    },
    { kind: 'EventListener', metadata: { namespace: 'ci', name: 'el' }, spec: { triggers: [{ name: 'open', interceptors: [] }] } },
    { kind: 'RoleBinding', metadata: { namespace: 'ci', name: 'rb' }, roleRef: { name: 'tekton-triggers-eventlistener-roles' } },
    { kind: 'ClusterRole', metadata: { name: 'cr' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }, { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] }, { apiGroups: ['*'], resources: ['pods'], verbs: ['get'] }] },
  ];
  expect(securityProblems(unsafe)).toEqual([
    "Task/ci/t: step 'a' script substitutes $(params.… as text",
    "Task/ci/t: step 'b' shell -c argument substitutes as text",
    "Task/ci/t: step 'c' has neither command nor script",
    "EventListener/ci/el: trigger 'open' is unauthenticated",
    'EventListener/ci/el: no NetworkPolicy admits only its clients',
    'RoleBinding/ci/rb: binds tekton-triggers-eventlistener-roles',
    'ClusterRole//cr: reads Secrets without resourceNames',
    'ClusterRole//cr: may impersonate',
    "ClusterRole//cr: a rule with '*'",
  ]);
});

describe('each checker really runs: a deliberately broken object is caught', () => {
  test('CRD schema: unknown field, wrong type, enum, pattern', () => {
    const schemas = CrdSchemas.load(crds);
    expect(schemas.errors({ apiVersion: 'tekton.dev/v1', kind: 'Pipeline', metadata: { name: 'x' }, spec: { tasks: [{ name: 'a', retries: 'two', typo: 1 }] } })).toEqual([
      'Pipeline/x/spec/tasks/0 must NOT have additional properties {"additionalProperty":"typo"}',
      'Pipeline/x/spec/tasks/0/retries must be integer {"type":"integer"}',
    ]);
    expect(schemas.errors({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'x' }, spec: { url: 'ftp://x', interval: 'soon' } })).toEqual([
      'GitRepository/x/spec/interval must match pattern "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$" {"pattern":"^([0-9]+(\\\\.[0-9]+)?(ms|s|m|h))+$"}',
      'GitRepository/x/spec/url must match pattern "^(http|https|ssh)://.*$" {"pattern":"^(http|https|ssh)://.*$"}',
    ]);
  });

  test('CRD CEL rules', () => {
    const schemas = CrdSchemas.load(crds);
    expect(schemas.errors({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'x' }, spec: { url: 'https://x', interval: '1m', serviceAccountName: 'sa' } }))
      .toEqual(["GitRepository/x/spec serviceAccountName can only be set when provider is 'azure' or 'aws'"]);
  });

  test('kubernetes-models', () => {
    expect(modelErrors([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x' }, automountServiceAccountToken: 'yes' },
      { apiVersion: 'notification.toolkit.fluxcd.io/v1beta3', kind: 'Alert', metadata: { name: 'x' }, spec: { eventSources: [] } },
    ])).toEqual([
      'ServiceAccount/x: /automountServiceAccountToken must be boolean {"type":"boolean"}',
      expect.stringMatching(/^Alert\/x: .*providerRef/),
    ]);
  });

  test('cdk8s-plus-28 types', () => {
    expect(kplusTypeErrors([{ apiVersion: 'networking.k8s.io/v1beta1', kind: 'NetworkPolicy', metadata: { name: 'x' } }]))
      .toEqual(['NetworkPolicy/x: networking.k8s.io/v1beta1 NetworkPolicy is not a Kubernetes 1.28 type in cdk8s-plus-28']);
  });

  test('Kubernetes name rules', () => {
    expect(nameErrors({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'Bad_Name', namespace: 'ci' } })).toEqual(['ServiceAccount/Bad_Name: name is not a DNS subdomain']);
    expect(nameErrors({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x', namespace: 'ci' } })).toEqual(['ClusterRoleBinding/x: cluster-scoped object has a namespace']);
    expect(nameErrors({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { generateName: 'x-' } })).toEqual(['PipelineRun/undefined: no metadata.name (Flux cannot apply generateName)']);
  });

  test('tekton-lint: a Pipeline that binds a param its Task lacks', () => {
    const task = { apiVersion: 'tekton.dev/v1', kind: 'Task', metadata: { name: 't' }, spec: { steps: [{ name: 's', image: 'busybox', script: '#!/bin/sh\ntrue' }] } };
    const pipeline = { apiVersion: 'tekton.dev/v1', kind: 'Pipeline', metadata: { name: 'p' }, spec: { tasks: [{ name: 'a', taskRef: { name: 't' }, params: [{ name: 'ghost', value: 'x' }] }] } };
    expect(tektonLint([task, pipeline]).filter((p) => p.level === 'error').map((p) => p.message)).toEqual([expect.stringContaining('ghost')]);
  });
});

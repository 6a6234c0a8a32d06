import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { GitOpsApp } from '../src';
import { buildApp } from '../src/main';
import { CrdSchemas } from './support/crd-schemas';
import { tektonLint } from './support/tekton-lint';
import { crdsDir, tempDir } from './util';

const crds = crdsDir();
if (!crds && process.env.CI === 'true') {
  throw new Error('CI=true but no CRD folder ($CRDS_DIR or ../shared/crds): the conformance tests cannot be skipped in CI');
}
const withCrds = crds ? describe : describe.skip;
if (!crds) {
  // eslint-disable-next-line no-console
  console.log('conformance: SKIPPED: no CRD folder ($CRDS_DIR or ../shared/crds)');
}

function appObjects(): any[] {
  const out = tempDir();
  buildApp(new GitOpsApp({ outdir: out })).synth();
  return fs.readdirSync(out).sort().flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(out, f), 'utf8')).map((d) => d.toJS()));
}

withCrds('the synth app conforms', () => {
  const objects = appObjects();
  const schemas = CrdSchemas.load(crds!);

  test('every Tekton and Flux object satisfies its CRD schema', () => {
    const checked = objects.filter((o) => schemas.has(o.apiVersion, o.kind) && /tekton\.dev|fluxcd\.io/.test(o.apiVersion));
    expect(checked.length).toBeGreaterThan(5);
    expect(checked.flatMap((o) => schemas.errors(o))).toEqual([]);
  });

  test('@ibm/tekton-lint reports no problem', () => {
    const tekton = objects.filter((o) => o.apiVersion.startsWith('tekton.dev/'));
    expect(tektonLint(tekton)).toEqual([]);
  });
});

withCrds('the checkers really run', () => {
  test('a schema violation is caught', () => {
    const schemas = CrdSchemas.load(crds!);
    const bad = { apiVersion: 'tekton.dev/v1', kind: 'Pipeline', metadata: { name: 'x' }, spec: { tasks: [{ name: 'a', retries: 'two', typo: 1 }] } };
    expect(schemas.errors(bad)).toEqual([
      'Pipeline/x/spec/tasks/0 must NOT have additional properties {"additionalProperty":"typo"}',
      'Pipeline/x/spec/tasks/0/retries must be integer {"type":"integer"}',
    ]);
  });

  test('tekton-lint catches a Pipeline that binds a param its Task lacks', () => {
    const task = { apiVersion: 'tekton.dev/v1', kind: 'Task', metadata: { name: 't' }, spec: { steps: [{ name: 's', image: 'busybox', script: '#!/bin/sh\ntrue' }] } };
    const pipeline = { apiVersion: 'tekton.dev/v1', kind: 'Pipeline', metadata: { name: 'p' }, spec: { tasks: [{ name: 'a', taskRef: { name: 't' }, params: [{ name: 'ghost', value: 'x' }] }] } };
    expect(tektonLint([task, pipeline]).filter((p) => p.level === 'error').map((p) => p.message)).toEqual([
      expect.stringContaining('ghost'),
    ]);
  });
});

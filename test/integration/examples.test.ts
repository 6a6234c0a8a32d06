import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { parseAllDocuments } from 'yaml';
import { build as nodeServiceCi } from '../../examples/node-service-ci/app';
import { build as ociDeployCheck } from '../../examples/oci-deploy-check/app';
import { build as promotion } from '../../examples/promotion/app';
import { build as stagingSmokeTest } from '../../examples/staging-smoke-test/app';
import { GitOpsApp } from '../../src';
import { simulateEvent } from '../../src/simulate';
import { alphaFeatureUses, checkConformance, securityProblems } from '../support/conformance';
import { CrdSchemas } from '../support/crd-schemas';
import { crdsDir, fluxEvent, tempDir } from '../util';

const crds = crdsDir();
const sha = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

function synthesize(build: (app: App) => App): any[] {
  const out = tempDir();
  build(new GitOpsApp({ outdir: out })).synth();
  return fs.readdirSync(out).sort().flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(out, f), 'utf8')).map((d) => d.toJS()));
}

const event = (name: string, patch: (e: any) => void = () => {}) => () => {
  const e = fluxEvent(name);
  patch(e);
  return e;
};

describe.each([
  ['node-service-ci', nodeServiceCi, event('gitrepository-new-artifact.json', (e) => { e.involvedObject.name = 'web-app'; }),
    { commit: sha, url: 'https://github.com/acme/web-app.git' }],
  ['oci-deploy-check', ociDeployCheck, event('ocirepository-new-artifact.json'),
    { url: 'oci://ghcr.io/acme/app-manifests', digest: 'sha256:3f1d0c9e5b7a2e4f6a8c0b1d3e5f7a9c1b3d5e7f9a1c3e5b7d9f1a3c5e7b9d1f', tag: 'v1.4.2' }],
  ['staging-smoke-test', stagingSmokeTest, event('kustomization-reconciliation-succeeded.json'), { commit: sha }],
  ['promotion', promotion, event('kustomization-reconciliation-succeeded.json', (e) => { e.involvedObject.name = 'web-staging'; }),
    { 'commit': sha, 'revision': `main@sha1:${sha}`, 'app': 'web', 'repository': 'https://github.com/acme/fleet.git', 'branch': 'main', 'status-commit': sha }],
])('example %s', (_name, build, flux, params) => {
  const objects = synthesize(build);

  test('conforms to the CRD schemas, kubernetes-models, name rules and tekton-lint', () => {
    const report = checkConformance(objects, CrdSchemas.load(crds));
    expect(report).toEqual({ schema: [], unknownKinds: [], models: [], coreTypes: [], names: [], lint: [] });
  });

  test('uses no Tekton feature a default install rejects', () => expect(alphaFeatureUses(objects)).toEqual([]));

  test('is safe by default: no param as shell text, authenticated triggers, narrow listener roles', () => expect(securityProblems(objects)).toEqual([]));

  test('its Flux event creates the expected PipelineRun', () => {
    const result = simulateEvent(objects, flux());
    expect(result.broken).toEqual([]);
    const runs = result.runs.filter((r: any) => r.object.kind === 'PipelineRun');
    expect(runs).toHaveLength(1);
    // a promotion step's run comes with the TaskRun that cancels the step's older runs (its default concurrency)
    expect(result.runs.filter((r: any) => r.object.kind !== 'PipelineRun').map((r: any) => r.object.kind))
      .toEqual(_name === 'promotion' ? ['TaskRun'] : []);
    expect(Object.fromEntries((runs[0].object as any).spec.params.map((p: any) => [p.name, p.value]))).toEqual(params);
  });
});

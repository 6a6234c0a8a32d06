/**
 * Regenerates imports/ from the upstream CRDs with `cdk8s import` (no network).
 *
 * The CRD folder comes from $CRDS_DIR, else test/crds (which `npm run import` first refreshes from the Go
 * modules pinned in e2e/upstream/go.mod, see e2e/upstream/sync-crds.sh). Each CRD is reduced to its storage version
 * before import: Tekton lists v1beta1 before v1, and `cdk8s import` would otherwise give the v1beta1
 * classes the unsuffixed names (`Task` would be v1beta1). After this step `Task` is `tekton.dev/v1`.
 * Tekton Triggers' CRDs carry no schema, so they are not imported: src/triggers/ types them.
 * Flux's image automation CRDs are in no pinned Go module: they are copied from the upstream repositories into
 * test/crds-copied/ (its SOURCE.md says from which commits), which `npm run import` leaves as it is.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';

/** CRD file (relative to the CRD folder) per generated module. */
const MODULES: Record<string, string[]> = {
  'tekton.dev': ['tekton-pipeline/300-task.yaml', 'tekton-pipeline/300-pipeline.yaml',
    'tekton-pipeline/300-pipelinerun.yaml', 'tekton-pipeline/300-taskrun.yaml'],
  'source.toolkit.fluxcd.io': ['flux/source.toolkit.fluxcd.io_gitrepositories.yaml',
    'flux/source.toolkit.fluxcd.io_ocirepositories.yaml'],
  'kustomize.toolkit.fluxcd.io': ['flux/kustomize.toolkit.fluxcd.io_kustomizations.yaml'],
  'notification.toolkit.fluxcd.io': ['flux/notification.toolkit.fluxcd.io_alerts.yaml',
    'flux/notification.toolkit.fluxcd.io_providers.yaml', 'flux/notification.toolkit.fluxcd.io_receivers.yaml'],
};

/** CRD file (relative to test/crds-copied, the CRDs no pinned Go module ships) per generated module. */
const COPIED_MODULES: Record<string, string[]> = {
  'image.toolkit.fluxcd.io': ['flux-image/image.toolkit.fluxcd.io_imagerepositories.yaml',
    'flux-image/image.toolkit.fluxcd.io_imagepolicies.yaml', 'flux-image/image.toolkit.fluxcd.io_imageupdateautomations.yaml'],
};

const root = path.resolve(__dirname, '..');
const crdsDir = path.resolve(root, process.env.CRDS_DIR ?? 'test/crds');
if (!fs.existsSync(crdsDir)) {
  console.error(`import: CRD folder not found: ${crdsDir}\n` +
    'Set CRDS_DIR to a folder holding the upstream Tekton and Flux CRDs (tekton-pipeline/, flux/), ' +
    'or run `npm run import` to refresh test/crds from the pinned releases (e2e/upstream/go.mod).');
  process.exit(1);
}

const copiedDir = path.resolve(root, 'test/crds-copied');

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'crd-import-'));
// IMPORTS_OUTDIR lets the tests regenerate elsewhere and compare with the committed imports/.
const outdir = path.resolve(root, process.env.IMPORTS_OUTDIR ?? 'imports');
fs.rmSync(outdir, { recursive: true, force: true });
try {
  const modules = [
    ...Object.entries(MODULES).map(([module, files]) => ({ module, files: files.map((f) => path.join(crdsDir, f)) })),
    ...Object.entries(COPIED_MODULES).map(([module, files]) => ({ module, files: files.map((f) => path.join(copiedDir, f)) })),
  ];
  for (const { module, files } of modules) {
    const docs: string[] = [];
    for (const full of files) {
      if (!fs.existsSync(full)) {
        throw new Error(`import: ${full} is missing from the CRD folder`);
      }
      for (const doc of parseAllDocuments(fs.readFileSync(full, 'utf8'))) {
        const crd = doc.toJS();
        if (crd?.kind !== 'CustomResourceDefinition') continue;
        crd.spec.versions = crd.spec.versions.filter((v: any) => v.storage);
        docs.push(stringify(crd));
      }
    }
    const input = path.join(work, `${module}.yaml`);
    fs.writeFileSync(input, docs.join('---\n'));
    execFileSync(path.join(root, 'node_modules/.bin/cdk8s'),
      ['import', input, '--output', outdir, '--language', 'typescript', '--no-save',
        '--no-check-upgrade'],
      { cwd: root, stdio: 'inherit' });
  }
  linearFilters(outdir);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

/**
 * `cdk8s import` drops undefined fields with `Object.entries(x).reduce((r, i) => … ({ ...r, [i[0]]: i[1] }), {})`,
 * which copies the object once per field: quadratic, and at synth most of the garbage V8 piles up (with it,
 * `npm run bench` peaked at 393–410 MiB at N = 1000; without, about 385). The same result, built once.
 */
function linearFilters(dir: string) {
  const quadratic = /Object\.entries\(([\w.]+)\)\.reduce\(\(r, i\) => \(i\[1\] === undefined\) \? r : \(\{ \.\.\.r, \[i\[0\]\]: (.+?) \}\), \{\}\)/g;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const full = path.join(dir, file);
    const text = fs.readFileSync(full, 'utf8');
    fs.writeFileSync(full, text.replace(quadratic, (_, object: string, value: string) =>
      `Object.fromEntries(Object.entries(${object}).filter((i) => i[1] !== undefined)${value === 'i[1]' ? '' : `.map((i) => [i[0], ${value}])`})`));
  }
}

import { createHash } from 'crypto';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import * as zlib from 'zlib';

/** What package.json depends on: npm refuses to install a package into a package of the same name. */
const DEPENDENCIES = ['cdk8s', 'cdk8s-plus-28', 'cdk8s-tekton-flux', 'constructs'];
const DEV_DEPENDENCIES = ['@types/node', 'ts-node', 'typescript'];
/** The longest project name: the GitOpsSync's Kustomization is `<name>-sync`, which Flux writes into a label (63). */
const MAX_NAME = 63 - '-sync'.length;
/** The sample source's name, and the one it takes when the project has that name. */
const SAMPLE_SOURCE = 'app-repo';
const SAMPLE_SOURCE_ELSE = 'app-source';

/** The names a project derives from its folder's name. */
export interface ProjectNames {
  /** The repository's own GitRepository, and the base of its Kustomization: a DNS label of at most 58. */
  readonly name: string;
  /** package.json's `name`: the name, unless npm would refuse or warn about it (a dependency's or Node's own). */
  readonly packageName: string;
  /** The sample source's GitRepository name: never the project's own. */
  readonly sourceName: string;
}

/**
 * Any folder name works: it is turned into a DNS label (lower case letters, digits and '-'; `ci` when nothing is
 * left), cut to 58 characters with a hash of the whole name so that two long names stay apart; `-ci` is added to
 * the package name when it would be a dependency's (npm refuses to install one into itself) or a Node module's.
 */
export function projectNames(folder: string): ProjectNames {
  const clean = folder.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  let name = clean || 'ci';
  if (name.length > MAX_NAME) {
    const hash = createHash('sha256').update(folder).digest('hex').slice(0, 8);
    name = `${name.slice(0, MAX_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
  }
  const reserved = [...DEPENDENCIES, ...DEV_DEPENDENCIES, ...builtinModules];
  return {
    name,
    packageName: reserved.includes(name) ? `${name}-ci` : name,
    sourceName: name === SAMPLE_SOURCE ? SAMPLE_SOURCE_ELSE : SAMPLE_SOURCE,
  };
}

/**
 * `cdk8s-tekton-flux init [dir]`: a team's repository that works on its first synth. What cdk8s init would
 * get wrong is right here: `cdk8s.yaml`'s output is not dist/ (cdk8s-cli empties its output folder first),
 * `.gitignore` keeps dist/ (Flux reads it from git), and `ci.sh` fails when dist/ is out of date.
 */
export function initProject(dir: string, libraryVersion: string, from?: string): string[] {
  if (fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f !== '.git')) {
    throw new Error(`${dir} is not empty: init writes a new project; run it in an empty folder`);
  }
  // checked whole before anything is written: a refused --from leaves no half-made project
  const tarball = from === undefined ? undefined : libraryTarball(from);
  fs.mkdirSync(dir, { recursive: true });
  // an unreleased build: the tarball goes into the project (vendor/), so that a clone of it installs the same
  const vendored = tarball && `vendor/${path.basename(tarball)}`;
  if (tarball && vendored) {
    fs.mkdirSync(path.join(dir, 'vendor'), { recursive: true });
    fs.copyFileSync(tarball, path.join(dir, vendored));
  }
  const { name, packageName, sourceName } = projectNames(path.basename(path.resolve(dir)));
  const files: { [file: string]: string } = {
    'package.json': `${JSON.stringify({
      name: packageName,
      private: true,
      scripts: {
        'synth': 'ts-node main.ts',
        'check-dist': 'sh ci.sh',
      },
      dependencies: {
        'cdk8s': '^2.70.0',
        'cdk8s-plus-28': '^2.5.6',
        'cdk8s-tekton-flux': vendored ? `file:${vendored}` : `^${libraryVersion}`,
        'constructs': '^10.3.0',
      },
      devDependencies: {
        '@types/node': '^20.0.0',
        'ts-node': '^10.9.0',
        'typescript': '^5.0.0',
      },
    }, null, 2)}\n`,
    'cdk8s.yaml': [
      'language: typescript',
      'app: npx ts-node main.ts',
      '# For `cdk8s synth` (npm run synth runs the app directly). Never dist/: cdk8s synth empties its output',
      '# folder before the app runs; the app publishes dist/ itself.',
      'output: .cdk8s-staging/cli',
      'imports: []',
      '',
    ].join('\n'),
    '.gitignore': ['node_modules/', '.cdk8s-staging/', '# dist/ is committed: Flux reconciles it from git', ''].join('\n'),
    'tsconfig.json': `${JSON.stringify({ compilerOptions: { target: 'ES2020', module: 'commonjs', strict: true, esModuleInterop: true, skipLibCheck: true } }, null, 2)}\n`,
    'main.ts': `import { Chart } from 'cdk8s';
import { FluxTriggeredPipeline, GitOpsApp, GitOpsSync, GitRepository, Pipeline, Task } from 'cdk8s-tekton-flux';

// dist/ is what Flux applies: GitOpsApp writes it only when the whole synth succeeded.
const app = new GitOpsApp({ outdir: 'dist' });

// The repository whose new commits run the pipeline, and the one Flux syncs dist/ from (this repo).
const flux = new Chart(app, 'flux-system', { namespace: 'flux-system' });
const source = new GitRepository(flux, 'source', { name: '${sourceName}', url: 'https://github.com/acme/app.git', branch: 'main' });
const self = new GitRepository(flux, 'self', { name: '${name}', url: 'https://github.com/acme/${name}.git', branch: 'main' });
new GitOpsSync(flux, 'self-sync', { name: '${name}-sync', source: self, path: './dist' });

const ci = new Chart(app, 'ci', { namespace: 'ci' });
const test = new Task(ci, 'unit-test');
const commit = test.addParam('commit', { description: 'the commit to test' }); // bound to the event's commit by its name
const checkout = test.addWorkspace('source');
test.addStep({
  name: 'test',
  image: 'node:20-bookworm-slim',
  script: \`#!/bin/sh
set -eu
git clone \${source.url} \${checkout.path}/src
cd \${checkout.path}/src && git checkout \${commit} && npm ci && npm test\`,
});
const pipeline = new Pipeline(ci, 'ci');
pipeline.addTask('test', { task: test, retries: 1 });

// A new revision of ${sourceName} runs the pipeline (Flux Alert + Provider → the listener → a PipelineRun), once per
// revision. Options teams add: \`concurrency: RunConcurrency.cancelInProgress()\` (a push cancels the run it
// supersedes) and \`keepRuns: 10\` (Tekton Pruner keeps the last 10 runs); see the library's README.
new FluxTriggeredPipeline(ci, 'on-push', { source, pipeline });

app.synth();
`,
    'ci.sh': `#!/bin/sh
# CI: dist/ must be what the app synthesizes (Flux applies what is committed).
set -eu
npm run synth
if ! git diff --exit-code --stat -- dist/ || [ -n "$(git ls-files --others --exclude-standard dist/)" ]; then
  echo "dist/ is out of date: run 'npm run synth' and commit dist/" >&2
  exit 1
fi
`,
    'README.md': `# ${name}

This repository declares our CI with [cdk8s-tekton-flux](https://www.npmjs.com/package/cdk8s-tekton-flux):
Tekton pipelines that Flux runs when our sources change. \`main.ts\` is the source of truth; \`dist/\` is what
Flux applies, and it is committed.

\`\`\`sh
npm install        # once${vendored ? ` (the library from ${vendored}, an unreleased build)` : ''}
npm run synth      # writes dist/ (only when the whole app is valid; a mistake names the construct and the fix)
sh ci.sh           # what CI runs: fails when dist/ is not what main.ts synthesizes
\`\`\`

Before the first sync, create the shared token the listener checks (see the library's README, "Security"), and
point Flux at this repository once (\`GitOpsSync\` in \`main.ts\` then keeps it in sync).
`,
  };
  for (const [file, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, file), content, { mode: file.endsWith('.sh') ? 0o755 : 0o644 });
  }
  return [...Object.keys(files), ...(vendored ? [vendored] : [])];
}

/**
 * The library's package tarball for `init --from`: the file itself, or the newest `cdk8s-tekton-flux-*.tgz` that
 * `npm pack` wrote into the folder given (e.g. a checkout's `.pack/` after `npm run package`). A folder is never
 * installed as a link: its own node_modules would give the app a second cdk8s, whose objects the app's cannot
 * resolve.
 */
function libraryTarball(from: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(from);
  } catch {
    throw new Error(`--from ${from}: no such file or folder: give the tarball npm pack wrote (cdk8s-tekton-flux-<version>.tgz) or its folder`);
  }
  const named = (f: string) => /^cdk8s-tekton-flux-[0-9A-Za-z.+-]+\.tgz$/.test(f);
  let file: string;
  if (stat.isFile()) {
    if (!named(path.basename(from))) throw new Error(`--from ${from}: not a cdk8s-tekton-flux-<version>.tgz that npm pack writes`);
    file = path.resolve(from);
  } else {
    const packed = fs.readdirSync(from).filter((f) => named(f) && fs.statSync(path.join(from, f)).isFile())
      .map((f) => ({ f, mtime: fs.statSync(path.join(from, f)).mtimeMs })).sort((a, b) => b.mtime - a.mtime || (a.f < b.f ? -1 : 1));
    if (!packed.length) {
      throw new Error(`--from ${from}: the folder holds no cdk8s-tekton-flux-<version>.tgz: pack the library first (npm run package writes .pack/), ` +
        'then give that tarball or its folder');
    }
    file = path.resolve(from, packed[0].f);
  }
  const name = tarballPackageName(file);
  if (name !== 'cdk8s-tekton-flux') {
    throw new Error(`--from ${file}: ${name === undefined ? 'not a package tarball (no package/package.json)' : `the package is '${name}'`}, ` +
      'not cdk8s-tekton-flux: give the tarball npm pack wrote in a checkout of this library');
  }
  return file;
}

/** The `name` in `package/package.json` of an npm tarball (a gzipped tar), or undefined when it has none. */
function tarballPackageName(file: string): string | undefined {
  let tar: Buffer;
  try {
    tar = zlib.gunzipSync(fs.readFileSync(file));
  } catch {
    return undefined;
  }
  // tar: 512-byte headers, the name in bytes 0-99, the size in octal in bytes 124-135, the data padded to 512
  for (let at = 0; at + 512 <= tar.length;) {
    const entry = tar.subarray(at, at + 100).toString('utf8').replace(/\0.*$/s, '');
    if (!entry) return undefined;
    const size = parseInt(tar.subarray(at + 124, at + 136).toString('utf8').replace(/\0.*$/s, '').trim() || '0', 8);
    if (entry === 'package/package.json') {
      try {
        return JSON.parse(tar.subarray(at + 512, at + 512 + size).toString('utf8')).name;
      } catch {
        return undefined;
      }
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return undefined;
}

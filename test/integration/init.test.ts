import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { checkConformance } from '../support/conformance';
import { CrdSchemas } from '../support/crd-schemas';
import { crdsDir, snapshotDir, tempDir } from '../util';

/**
 * A new team repository, as a team makes it: pack this library, `cdk8s-tekton-flux init` in an empty folder,
 * install the tarball (from npm's cache: offline once this repo's own install ran), `npm run synth`.
 */
const root = path.resolve(__dirname, '../..');

describe('init: a team repo that works on its first synth', () => {
  const work = tempDir('team-');
  const team = path.join(work, 'team-ci');
  let tarball = '';

  beforeAll(() => {
    execFileSync(path.join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: root, stdio: 'pipe' });
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, encoding: 'utf8' }));
    tarball = path.join(work, packed[0].filename);
    // an unreleased build, as a user tries it before the first release: init --from the tarball, then npm install
    execFileSync('node', [path.join(root, 'lib/src/cli/bin.js'), 'init', '--from', tarball, team], { stdio: 'pipe' });
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: team, stdio: 'pipe', timeout: 300_000 });
  }, 360_000);

  test('init --from vendors the tarball, and package.json depends on it by a path inside the project', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(team, 'package.json'), 'utf8'));
    expect(pkg.dependencies['cdk8s-tekton-flux']).toBe(`file:vendor/${path.basename(tarball)}`);
    expect(fs.readFileSync(path.join(team, 'vendor', path.basename(tarball)))).toEqual(fs.readFileSync(tarball));
    expect(fs.existsSync(path.join(team, 'node_modules/cdk8s-tekton-flux/lib/src/index.js'))).toBe(true);
  });

  test('the constructs load none of the simulator\'s dependencies; the simulator is its own entry; internals are out of reach', () => {
    const loaded = (entry: string) => JSON.parse(execFileSync('node', ['-e',
      `require(${JSON.stringify(entry)}); console.log(JSON.stringify(Object.keys(require.cache).map((f) => f.split('node_modules/').pop())))`],
    { cwd: team, encoding: 'utf8' })) as string[];
    const heavy = (files: string[]) => [...new Set(files.filter((f) => /^(@bufbuild\/cel|re2js)\//.test(f)).map((f) => f.split('/').slice(0, f.startsWith('@') ? 2 : 1).join('/')))];
    expect(heavy(loaded('cdk8s-tekton-flux'))).toEqual([]);
    expect(heavy(loaded('cdk8s-tekton-flux/simulate')).sort()).toEqual(['@bufbuild/cel', 're2js']);
    const internal = spawnSync('node', ['-e', "require('cdk8s-tekton-flux/lib/src/names')"], { cwd: team, encoding: 'utf8' });
    expect(internal.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  test.each([
    ['a folder with no tarball', (d: string) => d, 'the folder holds no cdk8s-tekton-flux-<version>.tgz: pack the library first'],
    ['a folder whose tarball is a folder', (d: string) => { fs.mkdirSync(path.join(d, 'cdk8s-tekton-flux-9.9.9.tgz')); return d; },
      'the folder holds no cdk8s-tekton-flux-<version>.tgz'],
    ['a file named like the tarball that is none', (d: string) => {
      fs.writeFileSync(path.join(d, 'cdk8s-tekton-flux-1.0.0.tgz'), 'junk');
      return path.join(d, 'cdk8s-tekton-flux-1.0.0.tgz');
    }, 'not a package tarball (no package/package.json)'],
  ])('init --from refuses %s, with the fix, and writes nothing', (_name, make, message) => {
    const from = make(tempDir('from-'));
    const target = path.join(tempDir('target-'), 'x');
    const r = spawnSync('node', [path.join(root, 'lib/src/cli/bin.js'), 'init', '--from', from, target], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(message);
    expect(fs.existsSync(target)).toBe(false);
  });

  test('the package type-checks in a strict project without skipLibCheck', () => {
    fs.writeFileSync(path.join(team, 'typecheck.ts'), "import { FluxTriggeredPipeline, GitOpsApp } from 'cdk8s-tekton-flux';\n" +
      "import { simulateEvent } from 'cdk8s-tekton-flux/simulate';\nexport const used = [FluxTriggeredPipeline, GitOpsApp, simulateEvent];\n");
    const r = spawnSync(path.join(team, 'node_modules/.bin/tsc'), ['--noEmit', '--strict', '--skipLibCheck', 'false', '--module', 'nodenext',
      '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'typecheck.ts'], { cwd: team, encoding: 'utf8' });
    fs.rmSync(path.join(team, 'typecheck.ts'));
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('npm run synth writes a dist/ that conforms', () => {
    execFileSync('npm', ['run', 'synth'], { cwd: team, stdio: 'pipe' });
    const objects = fs.readdirSync(path.join(team, 'dist')).flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(team, 'dist', f), 'utf8')).map((d) => d.toJS()));
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['Namespace', 'GitRepository', 'Kustomization', 'Task', 'Pipeline', 'EventListener']));
    const report = checkConformance(objects, CrdSchemas.load(crdsDir()));
    expect({ schema: report.schema, unknownKinds: report.unknownKinds, names: report.names }).toEqual({ schema: [], unknownKinds: [], names: [] });
  });

  test('a typo fails the synth with the path and leaves dist/ as it was; git keeps dist/', () => {
    const before = snapshotDir(path.join(team, 'dist'));
    const main = fs.readFileSync(path.join(team, 'main.ts'), 'utf8');
    fs.writeFileSync(path.join(team, 'main.ts'), main.replace('git checkout ${commit}', 'git checkout $(params.comit)'));
    const r = spawnSync('npm', ['run', 'synth'], { cwd: team, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr + r.stdout).toContain("references $(params.comit), but the Task has no param 'comit': did you mean 'commit'?");
    expect(snapshotDir(path.join(team, 'dist'))).toEqual(before);
    fs.writeFileSync(path.join(team, 'main.ts'), main);
    execFileSync('git', ['init', '-q'], { cwd: team });
    expect(spawnSync('git', ['check-ignore', 'dist'], { cwd: team }).status).toBe(1); // 1: not ignored
    expect(fs.readFileSync(path.join(team, 'cdk8s.yaml'), 'utf8')).toContain('output: .cdk8s-staging/cli');
  });

  // Folders named like the sample source (whose construct id and name the app's own repository once took), longer than
  // npm allows, or like a dependency (npm refuses to install a package into one of the same name).
  test.each([
    ['app-repo', 'app-repo', 'app-source'],
    ['x'.repeat(230), `${'x'.repeat(49)}-`, 'app-repo'],
    ['cdk8s', 'cdk8s', 'app-repo'],
  ])('a folder named %s synthesizes on the first try', (folder, namePrefix, sourceName) => {
    const dir = path.join(work, folder);
    execFileSync('node', [path.join(root, 'lib/src/cli/bin.js'), 'init', dir], { stdio: 'pipe' });
    fs.symlinkSync(path.join(team, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    // npm's rules for a package name, and not a dependency's
    expect(pkg.name.length).toBeLessThanOrEqual(214);
    expect(pkg.name).toMatch(/^[a-z0-9][a-z0-9._~-]*$/);
    expect([...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]).not.toContain(pkg.name);
    execFileSync('npm', ['run', 'synth'], { cwd: dir, stdio: 'pipe' });
    const objects = fs.readdirSync(path.join(dir, 'dist')).flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dir, 'dist', f), 'utf8')).map((d) => d.toJS()));
    const repos = objects.filter((o) => o.kind === 'GitRepository').map((o) => o.metadata.name);
    expect(repos).toHaveLength(2);
    expect(repos).toContain(sourceName);
    expect(repos.find((n: string) => n !== sourceName)).toMatch(new RegExp(`^${namePrefix}`));
    const sync = objects.find((o) => o.kind === 'Kustomization');
    expect(sync.metadata.name.length).toBeLessThanOrEqual(63);
  }, 120_000);

  test('init refuses a folder that is not empty', () => {
    const r = spawnSync('node', [path.join(root, 'lib/src/cli/bin.js'), 'init', team], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('is not empty: init writes a new project');
  });
});

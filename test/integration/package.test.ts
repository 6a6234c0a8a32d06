import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));

describe('the npm package', () => {
  /**
   * An app that installs this library brings its own cdk8s. Were cdk8s a dependency here, npm would nest a
   * second copy under this package whenever the versions differ, and the app's resolver would not recognize
   * this library's `Lazy` values (`instanceof`): synth fails with "can't render non-simple object of type
   * 'Lazy'". The same holds for constructs and cdk8s-plus-28 (whose constructs the L2s create).
   */
  test.each(['cdk8s', 'constructs', 'cdk8s-plus-28'])('%s is a peer dependency, pinned exactly for our own builds', (name) => {
    expect(pkg.dependencies?.[name]).toBeUndefined();
    expect(pkg.peerDependencies?.[name]).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies?.[name]).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('ships the compiled library, its types and the bin', () => {
    expect(pkg.main).toBe('lib/src/index.js');
    expect(pkg.types).toBe('lib/src/index.d.ts');
    expect(pkg.bin).toEqual({ 'cdk8s-tekton-flux': 'lib/src/cli/bin.js' });
    expect(pkg.files).toEqual(expect.arrayContaining(['lib/src/**/*.js', 'lib/src/**/*.d.ts', 'lib/imports/**/*.js']));
  });
});

describe('the packed tarball', () => {
  const root = path.resolve(__dirname, '../..');
  // `npm pack --dry-run --json` lists what would be published, without building or writing anything
  const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }));
  const files: string[] = listing[0].files.map((f: any) => f.path);

  test("ships the library alone: not this repo's synth app", () => {
    // lib/ may not be built yet: pack a copy of package.json over stub files of each kind
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg));
    fs.mkdirSync(path.join(dir, 'lib/src/cli'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'lib/app'), { recursive: true });
    for (const f of ['src/index.js', 'src/index.d.ts', 'src/cli/bin.js', 'app/main.js', 'app/main.d.ts', 'app/example-pipeline.js']) {
      fs.writeFileSync(path.join(dir, 'lib', f), '');
    }
    const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8' }))[0].files
      .map((f: any) => f.path).filter((f: string) => f.startsWith('lib/'));
    expect(packed.sort()).toEqual(['lib/src/cli/bin.js', 'lib/src/index.d.ts', 'lib/src/index.js']);
  });

  test('every relative link of the README points to a file in the package', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(((?!https?:|#)[^)#]+)/g)].map((m) => m[1].replace(/^\.\//, ''));
    expect(links.length).toBeGreaterThan(3);
    const missing = links.filter((l) => !files.some((f) => f === l || f.startsWith(l.endsWith('/') ? l : `${l}/`)));
    expect(missing).toEqual([]);
  });

  test('a real version, with a changelog entry', () => {
    expect(pkg.version).not.toBe('0.0.0');
    expect(fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8')).toContain(`## ${pkg.version}`);
  });
});

import * as fs from 'fs';
import * as path from 'path';

const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../package.json'), 'utf8'));

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
    expect(pkg.files).toEqual(expect.arrayContaining(['lib/**/*.js', 'lib/**/*.d.ts']));
  });
});

import { builtinModules } from 'module';
import { projectNames } from '../src/cli/init';

/** npm's rules for a new package's name (validate-npm-package-name), and a DNS label for the objects. */
function expectValid(folder: string) {
  const { name, packageName, sourceName } = projectNames(folder);
  expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  expect(`${name}-sync`.length).toBeLessThanOrEqual(63);
  expect(packageName.length).toBeLessThanOrEqual(214);
  expect(packageName).toMatch(/^[a-z0-9][a-z0-9._~-]*$/);
  expect([...builtinModules, 'cdk8s', 'cdk8s-plus-28', 'cdk8s-tekton-flux', 'constructs', 'ts-node', 'typescript']).not.toContain(packageName);
  expect(sourceName).not.toBe(name);
}

describe('init: names derived from any folder name', () => {
  test.each([
    'team-ci', 'app-repo', 'app-source', 'cdk8s', 'cdk8s-tekton-flux', 'typescript', 'http', 'Team CI', '_private', '.hidden',
    '日本語', '---', 'x'.repeat(230), `${'a-'.repeat(120)}b`, '123',
  ])('%s', (folder) => expectValid(folder));

  test('the sample source takes another name when the folder has its name', () => {
    expect(projectNames('app-repo')).toEqual({ name: 'app-repo', packageName: 'app-repo', sourceName: 'app-source' });
    expect(projectNames('team-ci')).toEqual({ name: 'team-ci', packageName: 'team-ci', sourceName: 'app-repo' });
  });

  test('a dependency\'s or a Node module\'s name gets -ci as a package name only', () => {
    expect(projectNames('cdk8s')).toEqual({ name: 'cdk8s', packageName: 'cdk8s-ci', sourceName: 'app-repo' });
    expect(projectNames('http').packageName).toBe('http-ci');
  });

  test('long names are cut with a hash of the whole name: two stay apart, and each is stable', () => {
    const a = projectNames(`${'x'.repeat(100)}a`).name;
    const b = projectNames(`${'x'.repeat(100)}b`).name;
    expect(a).not.toBe(b);
    expect(a.length).toBe(58);
    expect(projectNames(`${'x'.repeat(100)}a`).name).toBe(a);
  });

  test('a folder with no usable character is ci', () => expect(projectNames('日本語').name).toBe('ci'));
});

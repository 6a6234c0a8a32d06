import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from './util';
import { releaseProblems } from '../scripts/release-check';

function repo(version: string, changelog: string, repository: string | null = 'https://github.com/acme/cdk8s-tekton-flux'): string {
  const dir = tempDir('release-');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'cdk8s-tekton-flux', version, repository: repository ? { type: 'git', url: repository } : undefined }));
  fs.writeFileSync(path.join(dir, 'CHANGELOG.md'), changelog);
  return dir;
}

describe('release: what the workflow checks before it publishes a tag', () => {
  test('a tag of the version, with its CHANGELOG section, is released', () => {
    expect(releaseProblems(repo('0.3.0', '# Changelog\n\n## 0.3.0 (2026-12-02)\n\n- x\n'), 'v0.3.0')).toEqual([]);
  });
  test.each([
    ['another version than package.json', '0.3.0', '## 0.3.0\n', 'v0.3.1', "tag 'v0.3.1' is not package.json's version 0.3.0"],
    ['no CHANGELOG section yet', '0.3.0', '## Unreleased\n', 'v0.3.0', "CHANGELOG.md has no section '## 0.3.0'"],
    ['not a version tag', '0.3.0', '## 0.3.0\n', 'release-1', "tag 'release-1' is not v<major>.<minor>.<patch>"],
  ])('%s is refused, saying what to fix', (_name, version, changelog, tag, message) => {
    expect(releaseProblems(repo(version, changelog), tag)).toEqual([expect.stringContaining(message)]);
  });
  test('a package without its repository is refused (provenance names it)', () => {
    expect(releaseProblems(repo('0.3.0', '## 0.3.0\n', null), 'v0.3.0')).toEqual([expect.stringContaining('package.json has no repository')]);
  });
  test('this repository\'s version has its CHANGELOG section, or is still Unreleased', () => {
    const root = path.resolve(__dirname, '..');
    const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
    // no repository yet: it is set on the host before the first release (README "Release")
    expect(releaseProblems(root, `v${version}`).filter((p) => !p.startsWith('CHANGELOG') && !p.startsWith('package.json has no repository'))).toEqual([]);
  });
});

/**
 * `npm run release:check -- v<version>`: what the release workflow (.github/workflows/release.yml) checks before it
 * publishes a tag: the tag is `v` + package.json's version (set in .projenrc.ts), package.json names its repository
 * (provenance needs it), and CHANGELOG.md has a section `## <version>` (the Unreleased section renamed when the
 * version is bumped). Exit 1 with what to fix, else 0.
 */
import * as fs from 'fs';
import * as path from 'path';

/** What is wrong with releasing `tag` from the repository at `root`, or an empty list. */
export function releaseProblems(root: string, tag: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const version = pkg.version as string;
  const changelog = fs.readFileSync(path.join(root, 'CHANGELOG.md'), 'utf8');
  const errors: string[] = [];
  if (!/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(tag)) {errors.push(`tag '${tag}' is not v<major>.<minor>.<patch>[-<pre>]`);} else if (tag !== `v${version}`) {
    errors.push(`tag '${tag}' is not package.json's version ${version}: set the version in .projenrc.ts (addVersion), run npx projen, commit, tag again`);
  }
  // npm publish --provenance refuses a package whose repository is not the one that built it
  const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  if (!repository) {
    errors.push("package.json has no repository: set repositoryUrl in .projenrc.ts to the repository's URL on its host (provenance " +
      'names it), run npx projen, commit, tag again');
  }
  if (!changelog.split('\n').some((l) => l.trim() === `## ${version}` || l.startsWith(`## ${version} `))) {
    errors.push(`CHANGELOG.md has no section '## ${version}': rename '## Unreleased' to it (with the date) before tagging`);
  }
  return errors;
}

if (require.main === module) {
  const tag = process.argv[2] ?? '';
  const errors = releaseProblems(path.resolve(__dirname, '..'), tag);
  for (const e of errors) console.error(`release: ${e}`);
  process.exit(errors.length ? 1 : 0);
}

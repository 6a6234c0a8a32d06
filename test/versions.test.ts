import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { busyboxPath } from './support/busybox';
import { MARKER_READ, MARKER_REFUSED } from './support/marker-cases';
import { tempDir } from './util';
import { runCli } from '../src/cli/main';

const MARK = '# {"$promotion": "web"}';
const kustomization = (image: string, version: string, app = 'web') =>
  `resources:\n  - ../../base\nimages:\n  - name: ${image}\n    newTag: ${version} # {"$promotion": "${app}"}\n`;

interface Author { name: string; email: string; date: string }
const ALICE: Author = { name: 'Alice', email: 'alice@example.com', date: '2026-01-05T10:00:00Z' };
const BOB: Author = { name: 'Bob', email: 'bob@example.com', date: '2026-01-06T11:30:00Z' };

/** A config repository in a temporary folder: `commit` writes files (path → content) as an author. */
function repo() {
  const dir = tempDir('versions-');
  const env = { ...process.env, GIT_TEMPLATE_DIR: '', GIT_CONFIG_NOSYSTEM: '1', HOME: dir };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'core.autocrlf', 'false');
  return {
    dir,
    git,
    commit(author: Author, message: string, files: { [file: string]: string }) {
      for (const [file, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), content);
      }
      git('add', '-A');
      execFileSync('git', ['commit', '-qm', message], {
        cwd: dir,
        env: {
          ...env,
          GIT_AUTHOR_NAME: author.name,
          GIT_AUTHOR_EMAIL: author.email,
          GIT_AUTHOR_DATE: author.date,
          GIT_COMMITTER_NAME: author.name,
          GIT_COMMITTER_EMAIL: author.email,
          GIT_COMMITTER_DATE: author.date,
        },
      });
      return git('rev-parse', 'HEAD');
    },
  };
}

function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = runCli(argv, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

/** Two apps, three environments, two authors: Alice seeds, Bob promotes web to staging and production. */
function fleetOfTwo() {
  const r = repo();
  const seed = r.commit(ALICE, 'seed the fleet', {
    'envs/dev/kustomization.yaml': kustomization('ghcr.io/acme/web', '1.5.0') + kustomization('ghcr.io/acme/api', '2.1.0', 'api').split('\n').slice(2).join('\n'),
    'envs/staging/kustomization.yaml': kustomization('ghcr.io/acme/web', '1.4.2') + kustomization('ghcr.io/acme/api', '2.0.0', 'api').split('\n').slice(2).join('\n'),
    'envs/production/kustomization.yaml': kustomization('ghcr.io/acme/web', '1.4.2'),
    'envs/production/deployment.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    version: 1.4.2 ${MARK}\n`,
    'README.md': `Mark each environment's version with \`# {"$promotion": "<app>"}\`, e.g. \`newTag: 1.0.0 ${MARK}\`.\n`,
  });
  const promoted = r.commit(BOB, 'promote web 1.5.0 from dev to staging', {
    'envs/staging/kustomization.yaml': fs.readFileSync(path.join(r.dir, 'envs/staging/kustomization.yaml'), 'utf8').replace('1.4.2', '1.5.0'),
  });
  return { ...r, seed, promoted };
}

describe('versions: app × environment → marked version and the commit that set it', () => {
  const f = fleetOfTwo();

  test('prints the table: each app in each environment, its version, and the commit of the marked line', () => {
    const r = cli('versions', f.dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const s = (sha: string) => sha.slice(0, 12);
    expect(r.out).toBe([
      'APP  ENVIRONMENT      VERSION  COMMIT        DATE        AUTHOR  SUBJECT',
      `api  envs/dev         2.1.0    ${s(f.seed)}  2026-01-05  Alice   seed the fleet`,
      `api  envs/staging     2.0.0    ${s(f.seed)}  2026-01-05  Alice   seed the fleet`,
      `web  envs/dev         1.5.0    ${s(f.seed)}  2026-01-05  Alice   seed the fleet`,
      `web  envs/production  1.4.2    ${s(f.seed)}  2026-01-05  Alice   seed the fleet`,
      `web  envs/staging     1.5.0    ${s(f.promoted)}  2026-01-06  Bob     promote web 1.5.0 from dev to staging`,
      '',
    ].join('\n'));
  });

  test('--json: the same for scripts, with every marked field and the full commits', () => {
    const r = cli('versions', '--json', f.dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.commit).toBe(f.promoted);
    expect(fs.realpathSync(report.repository)).toBe(fs.realpathSync(f.dir));
    expect(report.problems).toEqual([]);
    expect(report.versions.map((v: any) => `${v.app} ${v.environment} ${v.version}`))
      .toEqual(['api envs/dev 2.1.0', 'api envs/staging 2.0.0', 'web envs/dev 1.5.0', 'web envs/production 1.4.2', 'web envs/staging 1.5.0']);
    expect(report.versions[4]).toEqual({
      app: 'web',
      environment: 'envs/staging',
      version: '1.5.0',
      commit: { sha: f.promoted, author: 'Bob', email: 'bob@example.com', date: '2026-01-06T11:30:00Z', subject: 'promote web 1.5.0 from dev to staging' },
      markers: [{ file: 'envs/staging/kustomization.yaml', line: 5, commit: f.promoted }],
    });
    // two marked fields of one environment, both 1.4.2: one row, both listed
    expect(report.versions[3].markers).toEqual([
      { file: 'envs/production/deployment.yaml', line: 6, commit: f.seed },
      { file: 'envs/production/kustomization.yaml', line: 5, commit: f.seed },
    ]);
  });

  test('--ref reads another commit; a folder of the repository limits it to that folder; uncommitted edits are not read', () => {
    fs.writeFileSync(path.join(f.dir, 'envs/dev/kustomization.yaml'), kustomization('ghcr.io/acme/web', '9.9.9'));
    try {
      const before = JSON.parse(cli('versions', '--json', '--ref', f.seed, f.dir).out);
      expect(before.versions.find((v: any) => v.app === 'web' && v.environment === 'envs/staging').version).toBe('1.4.2');
      const staging = JSON.parse(cli('versions', '--json', path.join(f.dir, 'envs/staging')).out);
      expect(staging.versions.map((v: any) => `${v.app} ${v.environment} ${v.version}`)).toEqual(['api envs/staging 2.0.0', 'web envs/staging 1.5.0']);
    } finally {
      f.git('checkout', '--', 'envs/dev/kustomization.yaml');
    }
  });

  test('Flux\'s image policy marker with the promotion marker in one comment (either order) is read', () => {
    const r = repo();
    const seed = r.commit(ALICE, 'seed', {
      'envs/dev/kustomization.yaml': 'images:\n  - name: ghcr.io/acme/web\n    newTag: 1.6.0 # {"$imagepolicy": "flux-system:web:tag", "$promotion": "web"}\n',
      'envs/staging/kustomization.yaml': 'images:\n  - name: ghcr.io/acme/web\n    newTag: 1.5.0 # {"$promotion": "web", "$imagepolicy": "flux-system:web-staging:tag"}\n',
      'envs/production/kustomization.yaml': 'images:\n  - name: ghcr.io/acme/web\n    newTag: 1.4.2 # {"$imagepolicy": "flux-system:web:tag", "$promotion": "api"}\n',
    });
    const out = cli('versions', '--json', r.dir);
    expect(out.err).toBe('');
    expect(JSON.parse(out.out).versions.map((v: any) => [v.app, v.environment, v.version, v.markers[0].line, v.commit.sha])).toEqual([
      ['api', 'envs/production', '1.4.2', 3, seed],
      ['web', 'envs/dev', '1.6.0', 3, seed],
      ['web', 'envs/staging', '1.5.0', 3, seed],
    ]);
  });

  test('a ref that is no commit, or looks like an option, is refused with exit 2', () => {
    expect(cli('versions', '--ref', 'no-such-branch', f.dir)).toMatchObject({ code: 2, err: expect.stringContaining('no-such-branch is not a commit of') });
    expect(cli('versions', '--ref=--output=/tmp/x', f.dir)).toMatchObject({ code: 2, err: expect.stringContaining("--ref '--output=/tmp/x' is not a commit") });
  });

  test('--help prints its usage; a second folder is a usage error', () => {
    expect(cli('versions', '--help')).toMatchObject({ code: 0, out: expect.stringContaining('cdk8s-tekton-flux versions [--json] [--ref <commit>] [config-repo-dir]') });
    expect(cli('versions', f.dir, f.dir)).toMatchObject({ code: 2, err: expect.stringContaining('versions takes one folder') });
  });
});

describe('versions refuses what it cannot answer exactly: exit 2, naming the file and line', () => {
  test('an ambiguous environment: one app with two different values in one folder', () => {
    const r = repo();
    r.commit(ALICE, 'seed', {
      'envs/staging/kustomization.yaml': kustomization('ghcr.io/acme/web', '1.4.2'),
      'envs/staging/values.yaml': `image:\n  tag: 1.5.0 ${MARK}\n`,
      'envs/production/kustomization.yaml': kustomization('ghcr.io/acme/web', '1.4.2'),
    });
    const out = cli('versions', r.dir);
    expect(out.code).toBe(2);
    expect(out.out).toBe('');
    expect(out.err).toBe("cdk8s-tekton-flux versions: envs/staging: app 'web' has 2 different marked values (1.4.2 at envs/staging/kustomization.yaml:5, " +
      '1.5.0 at envs/staging/values.yaml:2): promotion wants exactly one per environment; set them all to one\n');
    expect(JSON.parse(cli('versions', '--json', r.dir).out)).toMatchObject({ versions: [], problems: [expect.stringContaining("envs/staging: app 'web' has 2")] });
  });

  test('no marker at all', () => {
    const r = repo();
    r.commit(ALICE, 'seed', { 'envs/dev/kustomization.yaml': 'images:\n  - name: web\n    newTag: 1.0.0\n' });
    expect(cli('versions', r.dir)).toMatchObject({ code: 2, err: expect.stringContaining('no field is marked # {"$promotion": "<app>"} at HEAD') });
  });

  test('a folder that is not in a git repository', () => {
    expect(cli('versions', tempDir())).toMatchObject({ code: 2, err: expect.stringContaining('is not in a git repository') });
  });

  test('a marker in a file that is not *.yaml or *.yml, inside an environment (promotion would leave it behind)', () => {
    const r = repo();
    r.commit(ALICE, 'seed', { 'envs/dev/kustomization.yaml': kustomization('ghcr.io/acme/web', '1.4.2'), 'envs/dev/Kustomization': `newTag: 1.4.2 ${MARK}\n` });
    expect(cli('versions', r.dir)).toMatchObject({ code: 2, err: expect.stringContaining("envs/dev/Kustomization:1: marks 'web' in environment envs/dev, but only *.yaml") });
  });

  test.each([
    ['no app named', 'newTag: 1.4.2 # {"$promotion": web}\n', 'envs/dev/k.yaml:1: mentions "$promotion" but names no app'],
    ['an app that is no DNS label', 'newTag: 1.4.2 # {"$promotion": "Web App"}\n', "envs/dev/k.yaml:1: the app 'Web App' is not a DNS label"],
    ['a respaced marker', 'newTag: 1.4.2 # {"$promotion":"web"}\n', 'envs/dev/k.yaml:1: the comment must be exactly # {"$promotion": "web"}'],
  ])('%s', (_name, content, message) => {
    const r = repo();
    r.commit(ALICE, 'seed', { 'envs/dev/k.yaml': content });
    expect(cli('versions', r.dir)).toMatchObject({ code: 2, err: expect.stringContaining(message) });
  });

  test('author names and subjects are printed without their control characters (no terminal escapes from the repository)', () => {
    const r = repo();
    r.commit({ ...ALICE, name: 'Eve\x1b]0;pwned\x07' }, 'seed\x1b[2J', { 'envs/dev/k.yaml': `newTag: 1.4.2 ${MARK}\n` });
    const out = cli('versions', r.dir);
    expect(out.code).toBe(0);
    expect(out.out).toContain('Eve?]0;pwned');
    expect(out.out).toContain('seed?[2J');
    expect(out.out).not.toContain('\x1b');
  });
});

/**
 * The marker cases of the promotion steps' tests (test/integration/promotion-hostile.test.ts), read by `versions`
 * with the same scanner: what the steps refuse is refused with the same line and words, what they read is read.
 */
const FILE = 'envs/production/kustomization.yaml';

describe.each([
  ['the awk on PATH', () => process.env.PATH!],
  ['BusyBox awk (the promotion steps\')', () => busyboxPath()],
])('versions reads markers as the promotion steps do, with %s', (_awk, pathOf) => {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.PATH;
    process.env.PATH = pathOf();
  });
  afterAll(() => {
    process.env.PATH = saved;
  });

  test.each(MARKER_REFUSED)('%s: refused with the file and line', (_name, content, line, why) => {
    const r = repo();
    r.commit(ALICE, 'seed', { [FILE]: content });
    const out = cli('versions', r.dir);
    expect(out.code).toBe(2);
    expect(out.err).toContain(`cdk8s-tekton-flux versions: ${FILE}:${line}: `);
    expect(out.err).toContain(why);
  });

  test.each(MARKER_READ)('%s: read', (_name, content) => {
    const r = repo();
    r.commit(ALICE, 'seed', { [FILE]: content });
    const out = cli('versions', '--json', r.dir);
    expect(out.err).toBe('');
    expect(JSON.parse(out.out).versions.filter((v: any) => v.app === 'web').map((v: any) => [v.environment, v.version])).toEqual([['envs/production', '1.3.0']]);
  });
});

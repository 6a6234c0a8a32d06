import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { apiServer } from '../support/api-server';
import { MARKER_READ, MARKER_REFUSED } from '../support/marker-cases';
import {
  Fleet, MARK, commits, fileAt, fleet, git, gitEnv, kustomization, params, promote, runStep, steps,
} from '../support/promote-steps';
import { tempDir } from '../util';

/**
 * The promote steps' real scripts, attacked: hostile YAML, hostile values and params, semantic-version edge
 * cases, git edge cases, hostile API answers and racing runs. They run as test/promotion.test.ts runs them:
 * under BusyBox (nothing else on PATH but git and curl), against bare repositories and a local API stand-in.
 */
jest.setTimeout(30_000);

const PROD = 'envs/production/kustomization.yaml';

/** Every document of a YAML text, parsed (for "the file means the same but for the value"). */
const docs = (text: string) => YAML.parseAllDocuments(text).map((d) => {
  if (d.errors.length) throw new Error(`not YAML: ${d.errors[0].message}`);
  return d.toJS();
});

describe('hostile YAML in the target: a marker is a `key: value` field or is refused with file and line', () => {
  test.each(MARKER_REFUSED)('%s: refused, nothing pushed', async (_, content, line, why) => {
    const f = fleet({ staging: '1.4.2' }, { [PROD]: content });
    const r = await promote(f);
    expect(r.commit!.code).toBe(1);
    expect(r.commit!.err).toContain(`${PROD}:${line}: `);
    expect(r.commit!.err).toContain(why);
    expect(commits(f)).toEqual(['seed']);
  });

  test.each(MARKER_READ)('%s: read as YAML and rewritten exactly, the file otherwise byte for byte the same', async (_, content) => {
    const f = fleet({ staging: '1.4.2' }, { [PROD]: content });
    const r = await promote(f);
    expect({ code: r.commit!.code, err: r.commit!.err }).toEqual({ code: 0, err: '' });
    const after = fileAt(f, PROD);
    expect(after).toBe(content.split('1.3.0').join('1.4.2'));
    expect(docs(after)).toEqual(docs(content.split('1.3.0').join('1.4.2')));
  });

  test('a value that ends in a colon, quoted in the source, is written quoted (plain, it would break the YAML)', async () => {
    const f = fleet({}, { 'envs/staging/app.yaml': `image: "web:1.4.2:" ${MARK}\n`, 'envs/production/app.yaml': `image: web:1.3.0 ${MARK}\n` });
    const r = await promote(f);
    expect({ code: r.commit!.code, err: r.commit!.err }).toEqual({ code: 0, err: '' });
    const after = fileAt(f, 'envs/production/app.yaml');
    expect(after).toBe(`image: "web:1.4.2:" ${MARK}\n`);
    expect(docs(after)[0].image).toBe('web:1.4.2:');
  });
});

describe('hostile file names in an environment folder', () => {
  test.each([
    ['a space', 'envs/production/my app.yaml'],
    ['an equals sign (awk would take `a=b` for an assignment)', 'envs/production/a=b.yaml'],
    ['a leading dash', 'envs/production/-n.yaml'],
    ['a folder with a space', 'envs/production/sub dir/x.yml'],
  ])('%s: the file is read and rewritten', async (_, name) => {
    const f = fleet({ staging: '1.4.2' }, { [name]: `newTag: 1.3.0 ${MARK}\n` });
    const r = await promote(f);
    expect({ code: r.commit!.code, err: r.commit!.err }).toEqual({ code: 0, err: '' });
    expect(fileAt(f, name)).toBe(`newTag: 1.4.2 ${MARK}\n`);
  });

  test.each([
    ['a line break that names a file at the repository root', 'envs/production/x\nroot.yaml'],
    ['a tab that forges a scan line', 'envs/production/a\t9\t6.6.6.yaml'],
  ])('%s: refused, no other file is read or written', async (_, name) => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' }, { [name]: 'a: 1\n', 'root.yaml': `newTag: 1.3.0 ${MARK}\n` });
    const r = await promote(f);
    expect(r.commit!.code).toBe(1);
    expect(r.commit!.err).toContain('a control character in its name');
    expect(fileAt(f, 'root.yaml')).toBe(`newTag: 1.3.0 ${MARK}\n`);
    expect(commits(f)).toEqual(['seed']);
  });

  test('a tab in a file name in the source cannot forge the version read', async () => {
    const f = fleet({ production: '1.3.0' }, { 'envs/staging/kustomization.yaml': `newTag: 1.4.2 ${MARK}\n`, 'envs/staging/a\t9\t6.6.6.yaml': `b: 1.0.0 ${MARK}\n` });
    const r = await promote(f);
    expect(r.read.code).toBe(1);
    expect(r.read.result('version')).toBe('');
    expect(r.read.err).toContain('a control character in its name');
  });

  test('a marker in a file that is not *.yaml or *.yml is refused, not silently left behind', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' }, { 'envs/production/Kustomization': `newTag: 1.3.0 ${MARK}\n` });
    const r = await promote(f);
    expect(r.commit!.code).toBe(1);
    expect(r.commit!.err).toContain('envs/production/Kustomization');
    expect(r.commit!.err).toContain('only *.yaml and *.yml');
    expect(commits(f)).toEqual(['seed']);
  });
});

describe('hostile values and params: never shell text, refused before use', () => {
  test.each([
    ['a command substitution', '"1.4.2$(touch /tmp/pwned-hostile)"'],
    ['backticks', '"1.4.2`id`"'],
    ['an inner quote', '\'1.4.2"x\''],
    ['a space', '"1.4.2 x"'],
  ])('a source value with %s is refused by the read step', async (_, value) => {
    const f = fleet({ production: '1.3.0' }, { 'envs/staging/kustomization.yaml': `newTag: ${value} ${MARK}\n` });
    const r = await promote(f);
    expect(r.read.code).toBe(1);
    expect(r.read.err).toContain('envs/staging/kustomization.yaml:1: the value');
    expect(r.read.result('version')).toBe('');
    expect(fs.existsSync('/tmp/pwned-hostile')).toBe(false);
  });

  test('a value with `../` is a string in a field, never a path: it is copied as text, no file outside is touched', async () => {
    const f = fleet({}, { 'envs/staging/app.yaml': `image: ../../etc/x:1.4.2 ${MARK}\n`, 'envs/production/app.yaml': `image: ../../etc/x:1.3.0 ${MARK}\n` });
    const r = await promote(f);
    expect(r.commit!.code).toBe(0);
    expect(fileAt(f, 'envs/production/app.yaml')).toBe(`image: ../../etc/x:1.4.2 ${MARK}\n`);
    expect(git(f.origin, 'show', '--name-only', '--format=', 'main')).toBe('envs/production/app.yaml');
  });

  test.each([
    ['version', { version: '1.4.2\nnewTag: 6.6.6' }, 'refusing to promote the malformed version'],
    ['version', { version: '$(id)' }, 'refusing to promote the malformed version'],
    ['app', { app: 'web"} #' }, "the app 'web\"} #'"],
    ['to (the request branch)', { to: 'x:refs/heads/main', mode: 'pull-request' }, "the environment name 'x:refs/heads/main'"],
    ['from', { from: 'a\nb' }, 'the environment name'],
    ['mode', { mode: 'force' }, "the mode 'force'"],
    ['to-path with a leading dash (an option to find)', { 'to-path': '-delete' }, "the environment path '-delete'"],
    ['to-path with ..', { 'to-path': 'envs/../envs/staging' }, "the environment path 'envs/../envs/staging'"],
    ['branch', { branch: '--upload-pack=touch /tmp/pwned-hostile' }, 'is not a valid branch name'],
    ['branch', { branch: 'main;id' }, 'is not a valid branch name'],
    ['branch (git\'s @{-1} shorthand)', { branch: '@{-1}' }, 'is not a valid branch name'],
  ])('a hostile %s param is refused by the commit step before any push', async (_, extra, why) => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' }, { '-delete/kustomization.yaml': kustomization('1.0.0') });
    const work = tempDir('hostile-work-');
    const r = await runStep(steps('web-promote')[0], params(f, { version: '1.4.2', ...extra }), work);
    expect(r.code).toBe(1);
    expect(r.err).toContain(why);
    expect(git(f.origin, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    expect(commits(f)).toEqual(['seed']);
    expect(fs.existsSync('/tmp/pwned-hostile')).toBe(false);
  });

  test('a commit that is not on the branch (another branch\'s) is refused by the read step', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    git(f.seed, 'checkout', '-qb', 'other');
    fs.writeFileSync(path.join(f.seed, 'envs/staging/kustomization.yaml'), kustomization('9.9.9'));
    git(f.seed, 'commit', '-qam', 'elsewhere');
    git(f.seed, 'push', '-q', 'origin', 'other');
    const elsewhere = git(f.seed, 'rev-parse', 'HEAD');
    const r = await promote({ ...f, revision: elsewhere });
    expect(r.read.code).toBe(1);
    expect(r.read.err).toContain(`${elsewhere} is not on main`);
    expect(r.read.result('version')).toBe('');
  });
});

describe('semantic versions: never backwards', () => {
  test.each([
    ['a prerelease under its release', '1.5.0-rc.1', '1.5.0'],
    ['rc.9 under rc.10 (numeric identifiers compare as numbers)', '1.5.0-rc.9', '1.5.0-rc.10'],
    ['a v prefix on one side only', '1.4.2', 'v1.5.0'],
    ['huge numbers', '1.4.99999999999999999999', '1.4.100000000000000000000'],
    ['leading zeros read as numbers', '1.4.09', '1.4.10'],
    ['alpha under alpha.1', '2.0.0-alpha', '2.0.0-alpha.1'],
    ['a numeric identifier under an alphanumeric one', '2.0.0-1', '2.0.0-alpha'],
    ['the same image, an older tag', 'ghcr.io/acme/web:1.4.2', 'ghcr.io/acme/web:1.10.0'],
  ])('%s: %s is not written over %s', async (_, older, newer) => {
    const image = older.includes(':');
    const field = (v: string) => (image ? `image: ${v} ${MARK}\n` : kustomization(v));
    const f = fleet({}, { 'envs/staging/k.yaml': field(older), 'envs/production/k.yaml': field(newer) });
    const r = await promote(f);
    expect(r.commit!.code).toBe(0);
    expect(r.commit!.out).toContain(`holds ${newer}, newer than ${older}: a promotion never lowers a version`);
    expect(commits(f)).toEqual(['seed']);
  });

  test.each([
    ['build metadata only (same precedence): the source\'s build is written', '1.4.2+b2', '1.4.2+b1'],
    ['a newer patch with build metadata', '1.4.3+b1', '1.4.2'],
    ['a release over its prerelease', '1.5.0', '1.5.0-rc.2'],
  ])('%s: %s replaces %s', async (_, source, target) => {
    const f = fleet({ staging: source, production: target });
    const r = await promote(f);
    expect({ code: r.commit!.code, err: r.commit!.err }).toEqual({ code: 0, err: '' });
    expect(fileAt(f, PROD)).toBe(kustomization(source));
  });
});

describe('git edge cases', () => {
  test.each([
    ['a file', { 'envs/production': `newTag: 1.3.0 ${MARK}\n` }, 'envs/production is not a folder of the repository'],
    ['a folder that differs only in case', { 'envs/Production/kustomization.yaml': kustomization('1.3.0') }, 'envs/production is not a folder of the repository'],
  ])('the target path is %s: refused', async (_, files, why) => {
    const f = fleet({ staging: '1.4.2' }, files);
    const r = await promote(f);
    expect(r.commit!.code).toBe(1);
    expect(r.commit!.err).toContain(why);
    expect(commits(f)).toEqual(['seed']);
  });

  test('the target path is a submodule: refused (its files are not in this repository)', async () => {
    const f = fleet({ staging: '1.4.2' });
    git(f.seed, 'update-index', '--add', '--cacheinfo', `160000,${f.revision},envs/production`);
    git(f.seed, 'commit', '-qm', 'a submodule');
    git(f.seed, 'push', '-q', 'origin', 'HEAD:main');
    const r = await promote(f);
    expect(r.commit!.code).toBe(1);
    expect(r.commit!.err).toContain('envs/production is a submodule');
    expect(commits(f)).toEqual(['a submodule', 'seed']);
  });

  test('a branch whose name ends like the request\'s branch does not confuse the pending-request check', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    git(f.seed, 'push', '-q', 'origin', 'HEAD:refs/heads/evil/refs/heads/promote/web/production');
    const r = await promote(f, { mode: 'pull-request' });
    expect({ code: r.commit!.code, err: r.commit!.err }).toEqual({ code: 0, err: '' });
    expect(fileAt(f, PROD, 'promote/web/production')).toBe(kustomization('1.4.2'));
    expect(fileAt(f, PROD, 'evil/refs/heads/promote/web/production')).toBe(kustomization('1.3.0'));
  });

  test('.gitattributes eol=crlf: the file is rewritten and committed without any other change', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' }, { '.gitattributes': '*.yaml text eol=crlf\n' });
    const r = await promote(f);
    expect({ code: r.commit!.code, err: r.commit!.err }).toEqual({ code: 0, err: '' });
    expect(fileAt(f, PROD)).toBe(kustomization('1.4.2'));
    expect(git(f.origin, 'show', '--name-only', '--format=', 'main')).toBe(PROD);
  });
});

describe('racing runs', () => {
  test('two pull-request runs of one version at once: one commit on the request\'s branch, both succeed', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const [a, b] = await Promise.all([promote(f, { mode: 'pull-request' }), promote(f, { mode: 'pull-request' })]);
    expect([a.commit!.code, b.commit!.code]).toEqual([0, 0]);
    expect(commits(f, 'promote/web/production')).toEqual(['promote web 1.4.2 from staging to production', 'seed']);
    expect(commits(f)).toEqual(['seed']);
  });

  test('three push runs of one version at once: one commit on main', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const rs = await Promise.all([promote(f), promote(f), promote(f)]);
    expect(rs.filter((r) => r.commit!.code !== 0).map((r) => r.commit!.err)).toEqual([]);
    expect(commits(f)).toEqual(['promote web 1.4.2 from staging to production', 'seed']);
  });

  test('an older version\'s run losing the race to a newer one\'s request branch never replaces it', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    // the hook lands a newer run's request branch (1.4.3) right after this run read that there is none
    const templates = tempDir('hostile-hooks-');
    fs.mkdirSync(path.join(templates, 'hooks'));
    const other = path.join(f.dir, 'other');
    execFileSync('git', ['clone', '-q', f.origin, other], { env: gitEnv });
    git(other, 'config', 'user.email', 'o@example.com');
    git(other, 'config', 'user.name', 'o');
    fs.writeFileSync(path.join(other, 'envs/production/kustomization.yaml'), kustomization('1.4.3'));
    git(other, 'commit', '-qam', 'promote web 1.4.3 from staging to production');
    fs.writeFileSync(path.join(templates, 'hooks', 'post-checkout'), `#!/bin/sh
[ "$(git rev-parse --abbrev-ref HEAD)" = promotion ] || exit 0
[ -f "${f.dir}/raced" ] && exit 0
touch "${f.dir}/raced"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
cd "${other}" && git push -q origin HEAD:refs/heads/promote/web/production
`, { mode: 0o755 });
    const r = await promote(f, { mode: 'pull-request' }, { GIT_TEMPLATE_DIR: templates });
    expect(r.commit!.code).toBe(0);
    expect(r.commit!.out).toContain('holds 1.4.3, newer than 1.4.2');
    expect(fileAt(f, PROD, 'promote/web/production')).toBe(kustomization('1.4.3'));
  });
});


const BRANCH = 'promote/web/production';
const branchSha = (f: Fleet, branch: string) => git(f.origin, 'rev-parse', `refs/heads/${branch}`);

/** The pull-request flow: read, commit (to the request's branch) and open-pull-request, against `api`. */
async function pullRequest(f: Fleet, api: string, provider: 'github' | 'gitlab', env: { [k: string]: string } = { TOKEN_VALUE: 's3cret' }) {
  const withApi = steps('web-promote').map((s: any) => ({
    ...s,
    env: s.env.map((e: any) => (e.name === 'API' ? { ...e, value: api } : e.name === 'PROVIDER' ? { ...e, value: provider } : e)),
  }));
  const work = tempDir('hostile-pr-');
  const read = await runStep(steps('web-read-version')[0], params(f), work);
  const p = params(f, { mode: 'pull-request', version: read.result('version') });
  const commit = await runStep(withApi[0], p, work);
  const pr = await runStep(withApi[1], p, work, { PROMOTION_HTTP_TIMEOUT: '2', ...env });
  return { commit, pr };
}

describe('hostile API answers: each classified by what it says', () => {
  type Answer = [number, any, string?];
  const github = (f: Fleet, over: (req: { method: string; url: string }) => Answer | undefined) => apiServer((req) => {
    const special = over(req);
    if (special) return special;
    if (req.method === 'GET' && req.url === `/repos/acme/fleet/git/ref/heads/${BRANCH}`) {
      return [200, { ref: `refs/heads/${BRANCH}`, object: { sha: branchSha(f, BRANCH), type: 'commit' } }];
    }
    if (req.method === 'POST') return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for acme:${BRANCH}.` }] }];
    if (req.method === 'GET' && req.url.startsWith('/repos/acme/fleet/pulls?')) return [200, [{ number: 7, head: { ref: BRANCH } }]];
    if (req.method === 'PATCH') return [200, { number: 7 }];
    return [404, { message: 'Not Found' }];
  });
  const isRef = (req: { method: string; url: string }) => req.method === 'GET' && req.url.includes('/git/ref/');
  const isList = (req: { method: string; url: string }) => req.method === 'GET' && req.url.includes('/pulls?');

  test.each<[string, (req: { method: string; url: string }) => Answer | undefined, string]>([
    ['HTML instead of JSON for the branch (a 200 from a proxy)', (r) => (isRef(r) ? [200, '<html><body>Sign in</body></html>', 'text/html'] : undefined),
      'the answer is not JSON: <html><body>Sign in</body></html>'],
    ['an empty 200 for the branch', (r) => (isRef(r) ? [200, ''] : undefined), 'names no commit'],
    ['the branch answer for another branch', (r) => (isRef(r) ? [200, { ref: 'refs/heads/main', object: { sha: 'a'.repeat(40) } }] : undefined),
      'is about refs/heads/main, not refs/heads/promote/web/production'],
    ['a redirect (never followed: the token would go along)', (r) => (isRef(r) ? [301, ''] : undefined), 'answered 301'],
    ['an empty 200 for the list', (r) => (isList(r) ? [200, ''] : undefined), 'lists none'],
    ['an object instead of the list', (r) => (isList(r) ? [200, { message: 'rate limited, maybe' }] : undefined), 'lists none'],
    ['an empty list', (r) => (isList(r) ? [200, []] : undefined), 'lists none'],
    ['a 422 "already exists" for another branch', (r) => (r.method === 'POST'
      ? [422, { message: 'Validation Failed', errors: [{ message: 'A pull request already exists for acme:other.' }] }] : undefined),
    'answered 422 to opening the pull request'],
    ['the "already exists" text outside a message', (r) => (r.method === 'POST'
      ? [422, { message: 'Validation Failed', documentation: `A pull request already exists for acme:${BRANCH}.` }] : undefined),
    'answered 422 to opening the pull request: Validation Failed'],
  ])('%s: the step fails, saying so', async (_, over, said) => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, over);
    try {
      const { commit, pr } = await pullRequest(f, api.url, 'github');
      expect(commit.code).toBe(0);
      expect(pr.code).toBe(1);
      expect(pr.err).toContain(said);
      expect(api.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    } finally {
      api.close();
    }
  });

  test('a list whose element names a milestone\'s number first: the request\'s own number is patched', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, (r) => (isList(r) ? [200, '[{"milestone": {"number": 1, "title": "x"}, "user": {"id": 3}, "number": 7, "head": {"ref": "promote/web/production"}}]'] : undefined));
    try {
      const { pr } = await pullRequest(f, api.url, 'github');
      expect({ code: pr.code, err: pr.err }).toEqual({ code: 0, err: '' });
      expect(api.requests.filter((r) => r.method === 'PATCH').map((r) => r.url)).toEqual(['/repos/acme/fleet/pulls/7']);
    } finally {
      api.close();
    }
  });

  test('a list whose request is for another branch is not patched', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, (r) => (isList(r) ? [200, [{ number: 9, head: { ref: 'someone-else' } }]] : undefined));
    try {
      const { pr } = await pullRequest(f, api.url, 'github');
      expect(pr.code).toBe(1);
      expect(pr.err).toContain('lists none');
      expect(api.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    } finally {
      api.close();
    }
  });

  test.each([
    ['JSON-escaped slashes', 'ab/cd+ef=gh12345', (t: string) => JSON.stringify(t).slice(1, -1).replace(/\//g, '\\/')],
    ['\\u escapes', 's3cretTokenValue1', (t: string) => t.split('').map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')],
    ['percent-encoding', 'ab/cd+ef=gh12345', (t: string) => encodeURIComponent(t)],
    ['base64 (after a prefix)', 's3cretTokenValue1', (t: string) => Buffer.from(`Bearer ${t}`).toString('base64')],
    ['base64 (alone)', 's3cretTokenValue1', (t: string) => Buffer.from(t).toString('base64')],
  ])('a message that reflects the token in %s never shows it', async (_, token, encode) => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await apiServer(() => [400, `{"message": "you sent ${encode(token)} here"}`]);
    try {
      const { pr } = await pullRequest(f, api.url, 'github', { TOKEN_VALUE: token });
      expect(pr.code).toBe(1);
      expect(pr.err).toContain('answered 400');
      expect(pr.err).toContain('you sent ');
      const shown = pr.err + pr.out;
      expect(shown).not.toContain(encode(token));
      expect(shown).not.toContain(token);
      expect(shown).not.toContain(Buffer.from(token).toString('base64').slice(4, -4));
    } finally {
      api.close();
    }
  });

  test('GitLab: a branch answer with nested objects before the commit id is read by its structure', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const encoded = encodeURIComponent(BRANCH);
    const api = await apiServer((req) => {
      if (req.method === 'GET' && req.url === `/projects/acme%2Ffleet/repository/branches/${encoded}`) {
        return [200, `{"name": "${BRANCH}", "commit": {"author": {"id": "deadbeef"}, "parent_ids": ["0000"], "id": "${branchSha(f, BRANCH)}"}}`];
      }
      if (req.method === 'POST') return [201, { iid: 4 }];
      return [404, { message: '404 Not Found' }];
    });
    try {
      const { pr } = await pullRequest(f, api.url, 'gitlab');
      expect({ code: pr.code, err: pr.err }).toEqual({ code: 0, err: '' });
      expect(pr.out).toContain('opened');
    } finally {
      api.close();
    }
  });

  test('GitLab: a base branch with + is sent encoded in the query (a + there reads as a space)', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    git(f.seed, 'push', '-q', 'origin', 'HEAD:refs/heads/release+1');
    const encoded = encodeURIComponent(BRANCH);
    const api = await apiServer((req) => {
      if (req.method === 'GET' && req.url === `/projects/acme%2Ffleet/repository/branches/${encoded}`) return [200, { name: BRANCH, commit: { id: branchSha(f, BRANCH) } }];
      if (req.method === 'POST') return [409, { message: ['Another open merge request already exists for this source branch: !3'] }];
      if (req.method === 'GET') return [200, [{ iid: 3, source_branch: BRANCH }]];
      if (req.method === 'PUT') return [200, { iid: 3 }];
      return [404, { message: '404 Not Found' }];
    });
    try {
      const withApi = steps('web-promote').map((s: any) => ({
        ...s, env: s.env.map((e: any) => (e.name === 'API' ? { ...e, value: api.url } : e.name === 'PROVIDER' ? { ...e, value: 'gitlab' } : e)),
      }));
      const work = tempDir('hostile-pr-');
      const p = params(f, { branch: 'release+1', mode: 'pull-request', version: '1.4.2' });
      expect((await runStep(withApi[0], p, work)).code).toBe(0);
      const pr = await runStep(withApi[1], p, work, { TOKEN_VALUE: 's3cret' });
      expect({ code: pr.code, err: pr.err }).toEqual({ code: 0, err: '' });
      expect(api.requests[2].url).toBe(`/projects/acme%2Ffleet/merge_requests?source_branch=${BRANCH}&target_branch=release%2B1&state=opened`);
      expect(api.requests[1].body.target_branch).toBe('release+1');
    } finally {
      api.close();
    }
  });
});

describe('Secret values', () => {
  test.each([
    ['a tab', 'ghp\tx'],
    ['a non-ASCII byte', 'ghp_é'],
    ['only a line break', '\n'],
  ])('a git token with %s is refused before any git call, without showing it', async (_, token) => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const r = await promote(f, {}, { GIT_TOKEN_VALUE: token });
    expect(r.read.code).toBe(1);
    expect(r.read.err).toMatch(/holds a character no token has|is empty/);
    expect(r.read.err).not.toContain('ghp');
  });

  test('the pull-request token\'s header file does not outlive the step', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await apiServer((req) => (req.method === 'GET' ? [200, { ref: `refs/heads/${BRANCH}`, object: { sha: branchSha(f, BRANCH) } }] : [201, { number: 1 }]));
    try {
      const withApi = steps('web-promote').map((s: any) => ({ ...s, env: s.env.map((e: any) => (e.name === 'API' ? { ...e, value: api.url } : e)) }));
      const work = tempDir('hostile-pr-');
      const read = await runStep(steps('web-read-version')[0], params(f), work);
      const p = params(f, { mode: 'pull-request', version: read.result('version') });
      expect((await runStep(withApi[0], p, work)).code).toBe(0);
      const pr = await runStep(withApi[1], p, work, { TOKEN_VALUE: 's3cret' });
      expect(pr.code).toBe(0);
      const holding = (fs.readdirSync(work, { recursive: true }) as string[])
        .filter((n) => fs.statSync(path.join(work, n)).isFile() && fs.readFileSync(path.join(work, n), 'utf8').includes('s3cret'));
      expect(holding).toEqual([]);
    } finally {
      api.close();
    }
  });
});

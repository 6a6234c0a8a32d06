import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { build } from '../../examples/promotion/app';
import { GitOpsApp, Kustomization, Promotion, PromotionEnvironment, PromotionMode, PromotionProps, PullRequestProvider } from '../../src';
import { apiServer } from '../support/api-server';
import { checkConformance, securityProblems } from '../support/conformance';
import { CrdSchemas } from '../support/crd-schemas';
import {
  Fleet, MARK, commits, fileAt, fleet, git, kustomization, objects, params, promote, runStep, steps,
} from '../support/promote-steps';
import { crdsDir, find, snapshotDir, tempDir } from '../util';

/**
 * The promote steps' real scripts (as the example synthesizes them), run as Tekton runs them — params in
 * their environment, result paths in the script — with the tools of their images: BusyBox's sh, awk, sed,
 * grep and find (alpine/git and curlimages/curl are Alpine images), and the real git and curl. Nothing else
 * is on PATH. They run against a bare repository in a temporary folder and a local stand-in for the GitHub
 * and GitLab APIs that records every request.
 */
/** Commits a change to the fleet's main (as a person or another promotion would); returns the new revision. */
function change(f: Fleet, files: { [file: string]: string }, message = 'a change') {
  git(f.seed, 'pull', '-q', 'origin', 'main');
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(f.seed, file), content);
  git(f.seed, 'add', '-A');
  git(f.seed, 'commit', '-qm', message);
  git(f.seed, 'push', '-q', 'origin', 'HEAD:main');
  return git(f.seed, 'rev-parse', 'HEAD');
}

const productionTag = (f: Fleet, ref = 'main') => /newTag: (\S+)/.exec(fileAt(f, 'envs/production/kustomization.yaml', ref))![1];

describe('promotion: the real promote scripts under BusyBox, against a git repository', () => {
  test('first promotion: staging\'s version goes to production in one commit that says what and where', async () => {
    const f = fleet({ dev: '1.5.0', staging: '1.4.2', production: '1.3.0' });
    const r = await promote(f);
    expect({ read: r.read.code, commit: r.commit!.code, err: r.commit!.err }).toEqual({ read: 0, commit: 0, err: '' });
    expect(r.version).toBe('1.4.2');
    expect(fileAt(f, 'envs/production/kustomization.yaml')).toBe(kustomization('1.4.2'));
    expect(commits(f)).toEqual(['promote web 1.4.2 from staging to production', 'seed']);
    expect(git(f.origin, 'log', '-1', '--format=%b', 'main')).toBe(`staging applied it at main@sha1:${f.revision}.`);
    expect(r.commit!.result('pushed')).toBe(git(f.origin, 'rev-parse', 'main'));
  });

  test('already promoted: no commit', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.4.2' });
    const r = await promote(f);
    expect(r.commit!.code).toBe(0);
    expect(r.commit!.out).toContain('production already runs 1.4.2: nothing to promote');
    expect(r.commit!.result('pushed')).toBe('none');
    expect(commits(f)).toEqual(['seed']);
  });

  test('never lowers: production at a 1.5.1 hotfix keeps it when staging promotes 1.4.2', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.5.1' });
    const r = await promote(f);
    expect(r.commit!.code).toBe(0);
    expect(r.commit!.out).toContain('production holds 1.5.1, newer than 1.4.2: a promotion never lowers a version');
    expect(r.commit!.result('pushed')).toBe('none');
    expect(commits(f)).toEqual(['seed']);
  });

  test.each([
    ['semantic versions', '1.4.2', '1.4.3'],
    ['digests (not comparable: the head decides)', `sha256:${'a'.repeat(64)}`, `sha256:${'b'.repeat(64)}`],
  ])('out of order (%s): the run for R1 finishing after R2\'s promotes nothing', async (_, v1, v2) => {
    const f = fleet({ staging: v1, production: '0.0.0' }, {});
    change(f, { 'envs/production/kustomization.yaml': kustomization(v1 === '1.4.2' ? '1.3.0' : `sha256:${'c'.repeat(64)}`) }, 'production before');
    const r1 = git(f.origin, 'rev-parse', 'main');
    const r2 = change(f, { 'envs/staging/kustomization.yaml': kustomization(v2) }, 'staging gets v2');
    const second = await promote({ ...f, revision: r2 });
    expect(second.commit!.code).toBe(0);
    expect(productionTag(f)).toBe(v2);
    const first = await promote({ ...f, revision: r1 });
    expect(first.version).toBe(v1);
    expect(first.commit!.code).toBe(0);
    expect(first.commit!.out).toContain(`staging runs ${v2} at the head of main, no longer ${v1}: nothing to promote`);
    expect(productionTag(f)).toBe(v2);
    expect(commits(f)[0]).toBe(`promote web ${v2} from staging to production`);
  });

  test('a concurrent push lands first: the promotion is redone on the new head, one commit', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    // a client-side hook that, the first time the script checks out the branch, lands another change first
    const templates = tempDir('hooks-');
    fs.mkdirSync(path.join(templates, 'hooks'));
    const other = path.join(f.dir, 'other');
    execFileSync('git', ['clone', '-q', f.origin, other]);
    git(other, 'config', 'user.email', 'o@example.com');
    git(other, 'config', 'user.name', 'o');
    fs.writeFileSync(path.join(templates, 'hooks', 'post-checkout'), `#!/bin/sh
[ "$(git rev-parse --abbrev-ref HEAD)" = promotion ] || exit 0
[ -f "${f.dir}/raced" ] && exit 0
touch "${f.dir}/raced"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
cd "${other}" && echo change > README && git add README && git commit -qm 'a concurrent change' && git push -q origin HEAD:main
`, { mode: 0o755 });
    const r = await promote(f, {}, { GIT_TEMPLATE_DIR: templates });
    expect(r.commit!.code).toBe(0);
    expect(r.commit!.err).toContain('was rejected (a change landed first): redoing it on the new head');
    expect(commits(f)).toEqual(['promote web 1.4.2 from staging to production', 'a concurrent change', 'seed']);
    expect(productionTag(f)).toBe('1.4.2');
  });

  test('YAML-aware: a quoted key, a quoted value, a list item\'s key and CRLF lines are rewritten exactly', async () => {
    const prod = [
      '"a:b": 1.3.0 ' + MARK,
      'images:',
      '  - newTag: "1.3.0" ' + MARK,
      '    name: web',
      'extra:',
      '  - script: |',
      '      echo hi',
      '    tag: \'1.3.0\' ' + MARK,
      '',
    ].join('\r\n');
    const f = fleet({ staging: '1.4.2' }, { 'envs/production/kustomization.yaml': prod });
    const r = await promote(f);
    expect({ code: r.commit!.code, err: r.commit!.err }).toEqual({ code: 0, err: '' });
    expect(fileAt(f, 'envs/production/kustomization.yaml')).toBe(prod.split('1.3.0').join('1.4.2'));
  });

  test('a value YAML would read as a number is written quoted', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3' });
    change(f, { 'envs/staging/kustomization.yaml': kustomization('1.10') });
    const r = await promote({ ...f, revision: git(f.origin, 'rev-parse', 'main') });
    expect(r.commit!.code).toBe(0);
    expect(fileAt(f, 'envs/production/kustomization.yaml')).toContain(`newTag: "1.10" ${MARK}`);
  });

  test('a whole image reference marked in both environments is copied whole', async () => {
    const img = (v: string) => `image: ghcr.io/acme/web:${v} ${MARK}\n`;
    const f = fleet({}, { 'envs/staging/app.yaml': img('1.4.2'), 'envs/production/app.yaml': img('1.3.0') });
    const r = await promote(f);
    expect(r.commit!.code).toBe(0);
    expect(fileAt(f, 'envs/production/app.yaml')).toBe(img('1.4.2'));
  });

  test('an image reference over a tag is refused: the kinds of field differ', async () => {
    const f = fleet({ staging: '1.4.2' }, { 'envs/production/app.yaml': `image: ghcr.io/acme/web:1.3.0 ${MARK}\n` });
    const r = await promote(f);
    expect(r.commit!.code).toBe(1);
    expect(r.commit!.err).toContain('production marks ghcr.io/acme/web:1.3.0 (a value of kind image), but staging\'s value 1.4.2 is of kind tag');
    expect(commits(f)).toEqual(['seed']);
  });

  test.each([
    ['a list item', `images:\n  - 1.3.0 ${MARK}\n`, 2, 'a list item or a value without a key'],
    ['a flow collection', `images: [{name: web, newTag: 1.3.0}] ${MARK}\n`, 1, 'a flow collection'],
    ['a block scalar', `config: |\n  newTag: 1.3.0 ${MARK}\nnewTag: 1.3.0 ${MARK}\n`, 2, 'the marker is inside a block scalar (opened on line 1)'],
    ['a list item\'s block scalar', `- |\n newTag: 1.3.0 ${MARK}\n`, 2, 'the marker is inside a block scalar'],
    ['a multi-line string', `note: "one\n  newTag: 1.3.0 ${MARK}\n  two"\n`, 2, 'the marker is inside a quoted string that spans lines'],
    ['the marker in a value', `note: 'see ${MARK}'\n`, 1, 'the marker is inside a value, not a comment'],
    ['a respaced marker', 'newTag: 1.3.0 #{"$promotion":"web"}\n', 1, 'the comment must be exactly'],
  ])('%s in the target is refused with the file and line, and nothing is pushed', async (_, content, line, why) => {
    const f = fleet({ staging: '1.4.2' }, { 'envs/production/kustomization.yaml': content });
    const r = await promote(f);
    expect(r.commit!.code).toBe(1);
    expect(r.commit!.err).toContain(`envs/production/kustomization.yaml:${line}: ${why}`);
    expect(commits(f)).toEqual(['seed']);
  });

  test('the read step refuses a marker inside a block scalar instead of taking it as the version', async () => {
    const f = fleet({ production: '1.3.0' }, { 'envs/staging/kustomization.yaml': `script: |\n  newTag: 6.6.6 ${MARK}\n` });
    const r = await promote(f);
    expect(r.read.code).toBe(1);
    expect(r.read.err).toContain('envs/staging/kustomization.yaml:2: the marker is inside a block scalar');
    expect(r.read.result('version')).toBe('');
  });

  test.each([
    ['a link inside the repository', (d: string) => fs.symlinkSync('../staging/kustomization.yaml', path.join(d, 'envs/production/linked.yaml'))],
    ['a link out of the repository', (d: string) => fs.symlinkSync('/etc/passwd', path.join(d, 'envs/production/outside.yaml'))],
    ['a folder that is a link', (d: string) => {
      fs.renameSync(path.join(d, 'envs/production'), path.join(d, 'envs/real-production'));
      fs.symlinkSync('real-production', path.join(d, 'envs/production'));
    }],
  ])('links are never followed: %s is refused, and nothing is pushed', async (_, plant) => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    plant(f.seed);
    const r2 = (git(f.seed, 'add', '-A'), git(f.seed, 'commit', '-qm', 'a link'), git(f.seed, 'push', '-q', 'origin', 'HEAD:main'), git(f.seed, 'rev-parse', 'HEAD'));
    const r = await promote({ ...f, revision: r2 });
    expect(r.commit!.code).toBe(1);
    expect(r.commit!.err).toMatch(/links are not followed|never follows links/);
    expect(commits(f)).toEqual(['a link', 'seed']);
  });

  test('a malformed version is refused, and nothing is pushed', async () => {
    const f = fleet({ staging: '1.4.2;touch${IFS}/tmp/x', production: '1.3.0' });
    const r = await promote(f);
    expect(r.read.code).not.toBe(0);
    expect(r.read.err).toContain('envs/staging/kustomization.yaml:5: the value 1.4.2;touch${IFS}/tmp/x is not a version');
    expect(commits(f)).toEqual(['seed']);
  });

  test.each([
    ['a line break and a header', 'ghp_x\nX-Injected: yes'],
    ['a carriage return', 'ghp_x\r'],
    ['a space', 'ghp x'],
  ])('a git token with %s is refused before any request, without showing it', async (_, token) => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const r = await promote(f, {}, { GIT_TOKEN_VALUE: token });
    expect(r.read.code).toBe(1);
    expect(r.read.err).toContain('the git token (key \'token\' of its Secret) holds a character no token has');
    expect(r.read.err + r.read.out).not.toContain('ghp');
  });

  test('a git server that never answers fails within the deadline', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => { sockets.push(s); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const f = fleet({ staging: '1.4.2' });
      const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/fleet.git`;
      const started = Date.now();
      const r = await runStep(steps('web-read-version')[0], params(f, { repository: url }), tempDir('hang-'), { PROMOTION_GIT_TIMEOUT: '2' });
      expect(r.code).toBe(1);
      expect(r.err).toContain(`could not clone ${url} (branch main) within 2s`);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      sockets.forEach((s) => s.destroy());
      server.close();
    }
  });
});


/** The pull-request flow: read, commit (to the request's branch) and open-pull-request, against `api`. */
async function pullRequest(f: Fleet, api: string, provider: 'github' | 'gitlab', env: { [k: string]: string } = { TOKEN_VALUE: 's3cret' }) {
  const withApi = steps('web-promote').map((s: any) => ({
    ...s,
    env: s.env.map((e: any) => (e.name === 'API' ? { ...e, value: api } : e.name === 'PROVIDER' ? { ...e, value: provider } : e)),
  }));
  const work = tempDir('promote-work-');
  const read = await runStep(steps('web-read-version')[0], params(f), work);
  const p = params(f, { mode: 'pull-request', version: read.result('version') });
  const commit = await runStep(withApi[0], p, work);
  const pr = await runStep(withApi[1], p, work, { PROMOTION_HTTP_TIMEOUT: '1', ...env });
  return { commit, pr };
}

const branchSha = (f: Fleet, branch: string) => git(f.origin, 'rev-parse', `refs/heads/${branch}`);
const BRANCH = 'promote/web/production';

describe('promotion by pull request: every API answer classified', () => {
  const github = (f: Fleet, post: [number, any], extra: (req: { method: string; url: string }) => [number, any] | undefined = () => undefined) =>
    apiServer((req) => {
      const special = extra(req);
      if (special) return special;
      if (req.method === 'GET' && req.url === `/repos/acme/fleet/git/ref/heads/${BRANCH}`) {
        return [200, { ref: `refs/heads/${BRANCH}`, object: { sha: branchSha(f, BRANCH), type: 'commit' } }];
      }
      if (req.method === 'POST') return post;
      if (req.method === 'GET' && req.url.startsWith('/repos/acme/fleet/pulls?')) return [200, [{ url: 'u', id: 99, number: 7, milestone: { number: 1 }, head: { ref: BRANCH } }]];
      if (req.method === 'PATCH') return [200, { number: 7 }];
      return [404, { message: 'Not Found' }];
    });

  test('a branch is pushed and the request opened: method, path, auth and body as GitHub expects', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, [201, { number: 7, html_url: 'https://github.com/acme/fleet/pull/7' }]);
    try {
      const { commit, pr } = await pullRequest(f, api.url, 'github');
      expect({ commit: commit.code, pr: pr.code, err: pr.err }).toEqual({ commit: 0, pr: 0, err: '' });
      expect(commits(f, BRANCH)[0]).toBe('promote web 1.4.2 from staging to production');
      expect(commits(f)).toEqual(['seed']); // main is untouched until the request is merged
      expect(api.requests).toEqual([
        { method: 'GET', url: `/repos/acme/fleet/git/ref/heads/${BRANCH}`, auth: 'Bearer s3cret', token: undefined, body: undefined },
        {
          method: 'POST',
          url: '/repos/acme/fleet/pulls',
          auth: 'Bearer s3cret',
          token: undefined,
          body: { title: 'promote web 1.4.2 from staging to production', head: BRANCH, base: 'main', body: `staging applied 1.4.2 at main@sha1:${f.revision}.` },
        },
      ]);
    } finally {
      api.close();
    }
  });

  test('a request open already (422 "already exists"): its title and body are brought to the new version', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for acme:${BRANCH}.` }] }]);
    try {
      const { pr } = await pullRequest(f, api.url, 'github');
      expect({ code: pr.code, out: pr.out }).toEqual({ code: 0, out: expect.stringContaining(`pull request #7 for ${BRANCH} is open already: its branch and title now say: promote web 1.4.2 from staging to production`) });
      expect(api.requests.slice(2).map((r) => [r.method, r.url, r.body])).toEqual([
        ['GET', `/repos/acme/fleet/pulls?head=acme:${BRANCH}&base=main&state=open`, undefined],
        ['PATCH', '/repos/acme/fleet/pulls/7', { title: 'promote web 1.4.2 from staging to production', body: `staging applied 1.4.2 at main@sha1:${f.revision}.` }],
      ]);
    } finally {
      api.close();
    }
  });

  test.each([
    ['422 of another kind (an invalid base)', [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'base', code: 'invalid' }] }], 'answered 422 to opening the pull request: Validation Failed'],
    ['409', [409, { message: 'Conflict' }], 'answered 409'],
    ['401', [401, { message: 'Bad credentials' }], 'answered 401 to opening the pull request: Bad credentials'],
    ['404', [404, { message: 'Not Found' }], 'answered 404'],
    ['500 three times', [500, { message: 'boom' }], 'answered 500'],
  ])('%s fails the step, saying what the API said', async (_, answer, said) => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, answer as [number, any]);
    try {
      const { pr } = await pullRequest(f, api.url, 'github');
      expect(pr.code).toBe(1);
      expect(pr.err).toContain(said);
      expect(pr.out).not.toContain('open already');
    } finally {
      api.close();
    }
  });

  test('a 502 then a 201: retried, opened', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    let posts = 0;
    const api = await github(f, [201, {}], (req) => (req.method === 'POST' && posts++ === 0 ? [502, { message: 'Bad Gateway' }] : undefined));
    try {
      const { pr } = await pullRequest(f, api.url, 'github');
      expect({ code: pr.code, out: pr.out }).toEqual({ code: 0, out: expect.stringContaining('opened: promote web 1.4.2') });
      expect(api.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    } finally {
      api.close();
    }
  });

  test('an API that never answers fails within the bound (3 tries of the timeout)', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, [201, {}], (req) => (req.method === 'GET' ? 'hang' as any : undefined));
    try {
      const started = Date.now();
      const { pr } = await pullRequest(f, api.url, 'github');
      expect(pr.code).toBe(1);
      expect(pr.err).toContain('did not answer within 1s (3 tries)');
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      api.close();
    }
  });

  test('a server that reflects the request\'s headers never gets the token printed; the answer is cut', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, [400, { message: `you sent Authorization: Bearer s3cret ${'x'.repeat(5000)}` }]);
    try {
      const { pr } = await pullRequest(f, api.url, 'github');
      expect(pr.code).toBe(1);
      expect(pr.err).toContain('you sent Authorization: Bearer ***');
      expect(pr.err + pr.out).not.toContain('s3cret');
      expect(pr.err.length).toBeLessThan(1000);
    } finally {
      api.close();
    }
  });

  test.each([
    ['a line break and a header', 's3cret\nX-Injected: yes'],
    ['a carriage return', 's3cret\r'],
  ])('a pull-request token with %s is refused before any request', async (_, token) => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, [201, {}]);
    try {
      const { pr } = await pullRequest(f, api.url, 'github', { TOKEN_VALUE: token });
      expect(pr.code).toBe(1);
      expect(pr.err).toContain('holds a character no token has');
      expect(api.requests).toEqual([]);
    } finally {
      api.close();
    }
  });

  test('a token with a trailing newline (as a file leaves it) is used without it', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, [201, {}]);
    try {
      const { pr } = await pullRequest(f, api.url, 'github', { TOKEN_VALUE: 's3cret\n' });
      expect(pr.code).toBe(0);
      expect(api.requests.map((r) => r.auth)).toEqual(['Bearer s3cret', 'Bearer s3cret']);
    } finally {
      api.close();
    }
  });

  test('the same version again (a later config commit): the pending branch is not pushed again', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, [422, { errors: [{ message: `A pull request already exists for acme:${BRANCH}.` }] }]);
    try {
      await pullRequest(f, api.url, 'github');
      const first = branchSha(f, BRANCH);
      const later = change(f, { README: 'unrelated' });
      const again = await pullRequest({ ...f, revision: later }, api.url, 'github');
      expect(again.commit.out).toContain(`the branch ${BRANCH} of a pending request carries 1.4.2 already: nothing to push`);
      expect(branchSha(f, BRANCH)).toBe(first);
      expect(again.pr.code).toBe(0);
    } finally {
      api.close();
    }
  });

  test('an older version never replaces the branch of a pending request for a newer one', async () => {
    const f = fleet({ staging: '1.4.3', production: '1.3.0' });
    const api = await github(f, [201, {}]);
    try {
      await pullRequest(f, api.url, 'github');
      const pending = branchSha(f, BRANCH);
      const older = change(f, { 'envs/staging/kustomization.yaml': kustomization('1.4.2') }, 'staging back to 1.4.2');
      const again = await pullRequest({ ...f, revision: older }, api.url, 'github');
      expect(again.commit.code).toBe(0);
      expect(again.commit.out).toContain(`the branch ${BRANCH} of a pending request holds 1.4.3, newer than 1.4.2`);
      expect(branchSha(f, BRANCH)).toBe(pending);
      expect(productionTag(f, BRANCH)).toBe('1.4.3');
    } finally {
      api.close();
    }
  });

  test('a newer version replaces the pending branch; the request step of the older run, finishing last, leaves the title alone', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const api = await github(f, [201, {}]);
    try {
      // the older run pushes its branch, but its request step runs only after the newer run's
      const work = tempDir('older-');
      const withApi = steps('web-promote').map((s: any) => ({ ...s, env: s.env.map((e: any) => (e.name === 'API' ? { ...e, value: api.url } : e)) }));
      const read = await runStep(steps('web-read-version')[0], params(f), work);
      const older = params(f, { mode: 'pull-request', version: read.result('version') });
      expect((await runStep(withApi[0], older, work)).code).toBe(0);
      const r2 = change(f, { 'envs/staging/kustomization.yaml': kustomization('1.4.3') }, 'staging gets 1.4.3');
      const newer = await pullRequest({ ...f, revision: r2 }, api.url, 'github');
      expect(newer.commit.out).toContain(`pushed 1.4.3 to ${BRANCH}`);
      const late = await runStep(withApi[1], older, work, { TOKEN_VALUE: 's3cret' });
      expect(late.code).toBe(0);
      expect(late.out).toContain('a newer promotion owns the request');
      expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.body.title)).toEqual(['promote web 1.4.3 from staging to production']);
      expect(productionTag(f, BRANCH)).toBe('1.4.3');
    } finally {
      api.close();
    }
  });

  test('GitLab: a merge request open already (409) is updated; the request speaks GitLab\'s API', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const encoded = encodeURIComponent(BRANCH);
    const api = await apiServer((req) => {
      if (req.method === 'GET' && req.url === `/projects/acme%2Ffleet/repository/branches/${encoded}`) {
        return [200, { name: BRANCH, commit: { id: branchSha(f, BRANCH), short_id: 'x' } }];
      }
      if (req.method === 'POST') return [409, { message: ['Another open merge request already exists for this source branch: !3'] }];
      if (req.method === 'GET') return [200, [{ id: 55, iid: 3, project_id: 1, source_branch: BRANCH }]];
      if (req.method === 'PUT') return [200, { iid: 3 }];
      return [404, { message: '404 Not Found' }];
    });
    try {
      const { pr } = await pullRequest(f, api.url, 'gitlab');
      expect({ code: pr.code, err: pr.err }).toEqual({ code: 0, err: '' });
      expect(pr.out).toContain(`merge request !3 for ${BRANCH} is open already`);
      expect(api.requests.map((r) => [r.method, r.url, r.token])).toEqual([
        ['GET', `/projects/acme%2Ffleet/repository/branches/${encoded}`, 's3cret'],
        ['POST', '/projects/acme%2Ffleet/merge_requests', 's3cret'],
        ['GET', `/projects/acme%2Ffleet/merge_requests?source_branch=${BRANCH}&target_branch=main&state=opened`, 's3cret'],
        ['PUT', '/projects/acme%2Ffleet/merge_requests/3', 's3cret'],
      ]);
      expect(api.requests[1].body).toEqual({ title: 'promote web 1.4.2 from staging to production', source_branch: BRANCH, target_branch: 'main', description: `staging applied 1.4.2 at main@sha1:${f.revision}.` });
    } finally {
      api.close();
    }
  });
});

describe('promotion: what it synthesizes', () => {
  test('a trigger per step (on the source environment\'s Kustomization), verify before promote, a finally report', () => {
    const pipeline = find(objects, 'Pipeline', 'web-to-production');
    // verify reads read-version's result (Tekton orders by it); promote runs after verify
    // (and the commit status's start task beside the first ones: staging reports as web/staging)
    expect(pipeline.spec.tasks.map((t: any) => [t.name, t.runAfter ?? []])).toEqual([
      ['read-version', []], ['verify-staging', ['read-version']], ['promote', ['read-version', 'verify-staging']], ['commit-status', []],
    ]);
    expect(pipeline.spec.tasks[1].params).toEqual([
      { name: 'environment', value: 'staging' }, { name: 'version', value: '$(tasks.read-version.results.version)' },
    ]);
    // a failed verify sets staging back (rollback-staging runs only then), the report, and the end status
    expect(pipeline.spec.finally.map((t: any) => t.name)).toEqual(['rollback-staging', 'report', 'commit-status-end']);
    // the steps join the namespace's listener: its one Alert lists each source environment's Kustomization
    const alert = find(objects, 'Alert', 'flux-events');
    expect(alert.metadata.namespace).toBe('ci');
    expect(alert.spec.eventSources).toEqual([
      { kind: 'Kustomization', name: 'web-dev', namespace: 'flux-system' }, { kind: 'Kustomization', name: 'web-staging', namespace: 'flux-system' },
      // production reports its own status (web/production): a step of its own on its events
      { kind: 'Kustomization', name: 'web-production', namespace: 'flux-system' },
    ]);
    const trigger = find(objects, 'Trigger', 'web-on-staging');
    expect(trigger.metadata.labels).toEqual(find(objects, 'EventListener', 'flux-events').spec.labelSelector.matchLabels);
    expect(trigger.spec.interceptors[0].params[0].value).toContain(
      "body.involvedObject.kind == 'Kustomization' && body.involvedObject.name == 'web-staging' && body.involvedObject.namespace == 'flux-system'");
    expect(trigger.spec.template).toEqual({ ref: 'web-on-staging' });
    const run = find(objects, 'TriggerTemplate', 'web-on-staging').spec.resourcetemplates[0];
    expect(run.metadata.labels).toEqual({
      'cdk8s-tekton-flux/app': 'web', 'cdk8s-tekton-flux/from': 'staging', 'cdk8s-tekton-flux/to': 'production', 'cdk8s-tekton-flux/soak-seconds': '3600',
    });
    // staging soaks for an hour: the run waits as an object until the soak clock starts it
    expect(run.spec.status).toBe('PipelineRunPending');
  });

  test('conforms like dist/ and is safe by default', () => {
    const report = checkConformance(objects, CrdSchemas.load(crdsDir()));
    expect({ schema: report.schema, unknownKinds: report.unknownKinds, names: report.names }).toEqual({ schema: [], unknownKinds: [], names: [] });
    expect(securityProblems(objects)).toEqual([]);
  });
});

describe('Promotion props: each mistake fails the synth with the construct path and the fix; dist/ untouched', () => {
  let ids = 0;
  const env = (s: Chart, name: string, extra: Partial<PromotionEnvironment> = {}): PromotionEnvironment => ({
    name, kustomization: Kustomization.fromKustomizationName(s, `k${ids++}`, `api-${name}`, { namespace: 'flux-system' }), path: `envs/${name}`, ...extra,
  });
  const base = (s: Chart): PromotionProps => ({ app: 'api', repositoryUrl: 'https://github.com/acme/fleet.git', environments: [env(s, 'staging'), env(s, 'production')] });
  const cases: Array<[string, (s: Chart) => void, string]> = [
    ['two environments on one Kustomization (one event would start both steps)', (s) => {
      const apps = Kustomization.fromKustomizationName(s, 'apps', 'apps', { namespace: 'flux-system' });
      new Promotion(s, 'p', { ...base(s), environments: ['dev', 'staging', 'production'].map((n) => ({ name: n, kustomization: apps, path: `envs/${n}` })) });
    }, "environments 'dev' and 'staging' are both deployed by Kustomization flux-system/apps"],
    ['two environments with one path', (s) => new Promotion(s, 'p', { ...base(s), environments: [env(s, 'staging'), env(s, 'production', { path: 'envs/staging' })] }),
      "environments 'staging' and 'production' share files ('envs/staging' and 'envs/staging')"],
    ['a path inside another', (s) => new Promotion(s, 'p', { ...base(s), environments: [env(s, 'staging', { path: 'envs' }), env(s, 'production')] }),
      "environments 'staging' and 'production' share files ('envs' and 'envs/production')"],
    ['a path ..', (s) => new Promotion(s, 'p', { ...base(s), environments: [env(s, 'staging'), env(s, 'production', { path: '..' })] }),
      "environment 'production': path '..' is not a relative folder of the repository: write e.g. 'envs/production'"],
    ['an empty path', (s) => new Promotion(s, 'p', { ...base(s), environments: [env(s, 'staging'), env(s, 'production', { path: '' })] }),
      "environment 'production': path '' is not a relative folder"],
    ['a path that starts with -', (s) => new Promotion(s, 'p', { ...base(s), environments: [env(s, 'staging'), env(s, 'production', { path: '-delete' })] }),
      "environment 'production': path '-delete' is not a relative folder"],
    ['an absolute path', (s) => new Promotion(s, 'p', { ...base(s), environments: [env(s, 'staging'), env(s, 'production', { path: '/etc' })] }),
      "environment 'production': path '/etc' is not a relative folder"],
    ['two Promotions of one app', (s) => {
      new Promotion(s, 'p', base(s));
      new Promotion(s, 'q', { ...base(s), environments: [env(s, 'qa'), env(s, 'live')] });
    }, "[bad/q] app 'api' is promoted by bad/p already"],
    ['an app that is no DNS label', (s) => new Promotion(s, 'p', { ...base(s), app: 'Web App' }), "app 'Web App' is not a valid DNS label"],
    ['an environment name that is no DNS label', (s) => new Promotion(s, 'p', { ...base(s), environments: [env(s, 'staging'), env(s, 'Prod_1', { path: 'envs/prod' })] }),
      "environment name 'Prod_1' is not a valid DNS label"],
    ['a branch that is an option', (s) => new Promotion(s, 'p', { ...base(s), branch: '--upload-pack=touch /tmp/x' }), "branch '--upload-pack=touch /tmp/x'"],
    ['an empty branch', (s) => new Promotion(s, 'p', { ...base(s), branch: '' }), "branch ''"],
    ['a branch with ..', (s) => new Promotion(s, 'p', { ...base(s), branch: 'a..b' }), "branch 'a..b'"],
    ['a branch with ;', (s) => new Promotion(s, 'p', { ...base(s), branch: 'main;id' }), "branch 'main;id'"],
    ['a token in the repository URL (it would be written into dist/)', (s) => new Promotion(s, 'p', { ...base(s), repositoryUrl: 'https://u:ghp_secret@github.com/acme/fleet.git' }),
      "repositoryUrl 'https://***@github.com/acme/fleet.git' holds credentials: remove them from the URL and give them in a Secret instead"],
    ['a repository URL over http', (s) => new Promotion(s, 'p', { ...base(s), repositoryUrl: 'http://github.com/acme/fleet.git' }), "repositoryUrl 'http://github.com/acme/fleet.git' is not an https URL"],
    ['an API URL over http (the token in clear)', (s) => new Promotion(s, 'p', {
      ...base(s),
      environments: [env(s, 'staging'), env(s, 'production', { mode: PromotionMode.PULL_REQUEST })],
      pullRequests: { provider: PullRequestProvider.GITHUB, project: 'acme/fleet', tokenSecretName: 'gh', apiUrl: 'http://github.example' },
    }), "pullRequests.apiUrl 'http://github.example' is not an https URL"],
    ['an API URL that is no URL', (s) => new Promotion(s, 'p', {
      ...base(s), pullRequests: { provider: PullRequestProvider.GITHUB, project: 'acme/fleet', tokenSecretName: 'gh', apiUrl: 'github' },
    }), "pullRequests.apiUrl 'github' is not an https URL"],
    ['an empty token Secret name', (s) => new Promotion(s, 'p', { ...base(s), gitTokenSecretName: '' }), "gitTokenSecretName '' is not a valid Secret name"],
    ['a project that is no path', (s) => new Promotion(s, 'p', { ...base(s), pullRequests: { provider: PullRequestProvider.GITHUB, project: 'acme', tokenSecretName: 'gh' } }),
      "pullRequests.project 'acme' is not a repository path"],
    ['a mode on the first environment', (s) => new Promotion(s, 'p', { ...base(s), environments: [env(s, 'staging', { mode: PromotionMode.PUSH }), env(s, 'production')] }),
      "environment 'staging' is the first: nothing is promoted to it, so its 'mode' has no effect: remove it"],
  ];

  const dist = tempDir();
  new GitOpsApp({ outdir: dist }).synth();
  build(new GitOpsApp({ outdir: dist })).synth();
  const before = snapshotDir(dist);

  test.each(cases)('%s', (_what, make, expected) => {
    const app = build(new GitOpsApp({ outdir: dist }));
    make(new Chart(app, 'bad', { namespace: 'ci' }));
    let message = '';
    try {
      app.synth();
    } catch (e: any) {
      message = e.message;
    }
    expect(message).toContain(expected);
    expect(message).toMatch(/\[bad\/[pq]\]/);
    expect(snapshotDir(dist)).toEqual(before);
  });
});

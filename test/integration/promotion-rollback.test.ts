import * as fs from 'fs';
import * as path from 'path';
import { apiServer } from '../support/api-server';
import {
  Fleet, MARK, commitTo, commits, fileAt, fleet, git, kustomization, params, rollback, rollbackSteps, runStep, steps,
} from '../support/promote-steps';
import { tempDir } from '../util';

/**
 * The rollback step's real script, the first hop (a build's result promoted by the promote step with no source
 * environment) and the promote step's refusal of a rolled-back version, run as test/integration/promotion.test.ts
 * runs the promote steps: under BusyBox (nothing else on PATH but git and curl), against bare repositories and a
 * local stand-in for the GitHub API.
 */
jest.setTimeout(60_000);

const STAGING = 'envs/staging/kustomization.yaml';
const tag = (f: Fleet, file = STAGING, ref = 'main') => /newTag: (\S+)/.exec(fileAt(f, file, ref))![1];
const message = (f: Fleet, ref = 'main') => git(f.origin, 'log', '-1', '--format=%B', ref);

/** staging ran 1.4.0, then 1.4.1, then 1.4.2 (each promoted from dev); production 1.3.0. */
function history() {
  const f = fleet({ staging: '1.4.0', production: '1.3.0' });
  commitTo(f, { [STAGING]: kustomization('1.4.1') }, 'promote web 1.4.1 from dev to staging');
  commitTo(f, { [STAGING]: kustomization('1.4.2') }, 'promote web 1.4.2 from dev to staging');
  // a change of the folder that is not of the version
  commitTo(f, { 'envs/staging/configmap.yaml': 'a: 1\n' }, 'a config change in staging');
  return f;
}

describe('rollback: a failed verification of V sets the environment back to the version it ran before V', () => {
  test('one commit restores the previous version, saying what and why; the same event again changes nothing', async () => {
    const f = history();
    const head = git(f.origin, 'rev-parse', 'main');
    const r = await rollback(f, '1.4.2');
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.result('rolled-back')).toBe('1.4.1');
    expect(fileAt(f, STAGING)).toBe(kustomization('1.4.1'));
    expect(commits(f).slice(0, 2)).toEqual(['rollback web in staging to 1.4.1', 'a config change in staging']);
    expect(message(f)).toBe('rollback web in staging to 1.4.1\n\n' +
      `staging's verification of 1.4.2 failed (at main@sha1:${head}): set back to 1.4.1, the version it ran before 1.4.2.\n\n` +
      'Promotion-Rollback: web staging 1.4.2');
    // git reads it as the message's trailer; only staging's marked file changed
    expect(git(f.origin, 'log', '-1', '--format=%(trailers:key=Promotion-Rollback,valueonly)', 'main')).toBe('web staging 1.4.2');
    expect(git(f.origin, 'show', '--name-only', '--format=', 'main')).toBe(STAGING);

    const again = await rollback(f, '1.4.2', { revision: `main@sha1:${head}` });
    expect(again.code).toBe(0);
    expect(again.out).toContain('staging runs 1.4.1 at the head of main, no longer 1.4.2: nothing to roll back');
    expect(again.result('rolled-back')).toBe('none');
    expect(commits(f)[0]).toBe('rollback web in staging to 1.4.1');
    expect(commits(f)).toHaveLength(5);
  });

  test('the restored version fails too: no further rollback (it needs a person), result none', async () => {
    const f = history();
    expect((await rollback(f, '1.4.2')).code).toBe(0);
    const restored = git(f.origin, 'rev-parse', 'main');
    const r = await rollback(f, '1.4.1');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`1.4.1 was restored by a rollback (${restored}); not rolling back further: fix staging by hand`);
    expect(r.result('rolled-back')).toBe('none');
    expect(git(f.origin, 'rev-parse', 'main')).toBe(restored);
    expect(tag(f)).toBe('1.4.1');
  });

  test('a version rolled back before that comes back (image automation writes it again) is not rolled back again: no loop', async () => {
    const f = fleet({ staging: '1.3.0', production: '1.2.0' });
    commitTo(f, { [STAGING]: kustomization('1.4.1') }, 'dev: web 1.4.1');
    expect((await rollback(f, '1.4.1')).result('rolled-back')).toBe('1.3.0');
    commitTo(f, { [STAGING]: kustomization('1.4.1') }, 'dev: web 1.4.1');
    const head = git(f.origin, 'rev-parse', 'main');
    const r = await rollback(f, '1.4.1');
    expect(r.code).toBe(0);
    expect(r.out).toContain('1.4.1 was rolled back out of staging before and is back (by image automation or by hand); not rolling back again');
    expect(r.result('rolled-back')).toBe('none');
    expect(git(f.origin, 'rev-parse', 'main')).toBe(head);
  });

  test('a version a rollback recorded as failed is skipped: the one before it is restored', async () => {
    const f = fleet({ staging: '1.3.0', production: '1.2.0' });
    commitTo(f, { [STAGING]: kustomization('1.4.1') }, 'promote web 1.4.1 from dev to staging');
    expect((await rollback(f, '1.4.1')).result('rolled-back')).toBe('1.3.0');
    // a person sets 1.4.1 again by hand, then 1.4.2 comes and fails (1.4.2 was never rolled back: it is)
    commitTo(f, { [STAGING]: kustomization('1.4.1') }, 'staging: 1.4.1 again, by hand');
    commitTo(f, { [STAGING]: kustomization('1.4.2') }, 'promote web 1.4.2 from dev to staging');
    const r = await rollback(f, '1.4.2');
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.result('rolled-back')).toBe('1.3.0');
    expect(tag(f)).toBe('1.3.0');
    expect(commits(f)[0]).toBe('rollback web in staging to 1.3.0');
    expect(message(f)).toContain('set back to 1.3.0, the version it ran before 1.4.2. Skipped: 1.4.1, which failed verification in staging before.');
    expect(message(f)).toMatch(/\n\nPromotion-Rollback: web staging 1\.4\.2$/);
  });

  test('a rollback recorded for another environment or app, or not on a line of its own, does not count', async () => {
    const f = fleet({ staging: '1.4.1', production: '1.3.0' });
    commitTo(f, {}, 'other records\n\nPromotion-Rollback: web production 1.4.1\nPromotion-Rollback: api staging 1.4.1\nsee Promotion-Rollback: web staging 1.4.1\nPromotion-Rollback: web staging 1.4.1x');
    commitTo(f, { [STAGING]: kustomization('1.4.2') }, 'promote web 1.4.2 from dev to staging');
    const r = await rollback(f, '1.4.2');
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.result('rolled-back')).toBe('1.4.1');
  });

  test.each([
    ['the version was the environment\'s first', () => fleet({ staging: '1.4.2' }), 'it runs 1.4.2 since', 'is the first commit of main'],
    ['the only earlier version failed before', () => {
      const f = fleet({ staging: '1.4.1' });
      commitTo(f, {}, 'a record\n\nPromotion-Rollback: web staging 1.4.1');
      commitTo(f, { [STAGING]: kustomization('1.4.2') }, 'staging gets 1.4.2');
      return f;
    }, 'and before it ran 1.4.1, which failed verification there', 'is the first commit of main'],
    ['the earlier marker cannot be read', () => {
      const f = fleet({ staging: '1.4.1' });
      commitTo(f, { [STAGING]: `newTag: 1.4.1 #${MARK.slice(1)} x\n` }, 'a broken marker');
      commitTo(f, { [STAGING]: kustomization('1.4.2') }, 'staging gets 1.4.2');
      return f;
    }, 'it runs 1.4.2 since', 'the comment must be exactly'],
  ])('no version left to restore (%s): exit 1, saying why, nothing pushed', async (_, make, says, why) => {
    const f = make();
    const before = git(f.origin, 'rev-parse', 'main');
    const r = await rollback(f, '1.4.2');
    expect(r.code).toBe(1);
    expect(r.err).toContain('no earlier version of web in staging passed verification: ');
    expect(r.err).toContain(says);
    expect(r.err).toContain(why);
    expect(r.result('rolled-back')).toBe('');
    expect(git(f.origin, 'rev-parse', 'main')).toBe(before);
  });

  test('a concurrent push lands first: the rollback is redone on the new head, one commit', async () => {
    const f = history();
    const templates = tempDir('hooks-');
    fs.mkdirSync(path.join(templates, 'hooks'));
    const other = path.join(f.dir, 'other');
    git(f.dir, 'clone', '-q', f.origin, other);
    git(other, 'config', 'user.email', 'o@example.com');
    git(other, 'config', 'user.name', 'o');
    fs.writeFileSync(path.join(templates, 'hooks', 'post-checkout'), `#!/bin/sh
[ "$(git rev-parse --abbrev-ref HEAD)" = promotion ] || exit 0
[ -f "${f.dir}/raced" ] && exit 0
touch "${f.dir}/raced"
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE
cd "${other}" && echo change > README && git add README && git commit -qm 'a concurrent change' && git push -q origin HEAD:main
`, { mode: 0o755 });
    const r = await rollback(f, '1.4.2', {}, { GIT_TEMPLATE_DIR: templates });
    expect(r.code).toBe(0);
    expect(r.err).toContain('was rejected (a change landed first): redoing it on the new head');
    expect(commits(f).slice(0, 3)).toEqual(['rollback web in staging to 1.4.1', 'a concurrent change', 'a config change in staging']);
    expect(tag(f)).toBe('1.4.1');
  });

  test.each([
    ['version with a line break (a forged trailer)', { version: '1.4.2\nPromotion-Rollback: web production 1.4.2' }, 'refusing to roll back the malformed version'],
    ['version', { version: '$(touch /tmp/pwned-rollback)' }, 'refusing to roll back the malformed version'],
    ['version (empty)', { version: '' }, 'refusing to roll back the malformed version'],
    ['environment (the request branch)', { environment: 'x:refs/heads/main', mode: 'pull-request' }, "the environment 'x:refs/heads/main' is not a DNS label"],
    ['environment', { environment: 'Staging' }, "the environment 'Staging' is not a DNS label"],
    ['environment', { environment: '-x' }, "the environment '-x' is not a DNS label"],
    ['revision with a line break (a forged trailer)', { revision: 'main@sha1:x\n\nPromotion-Rollback: web production 1.3.0' }, 'is not a revision'],
    ['path with a leading dash (an option to find)', { path: '-delete' }, "the environment path '-delete'"],
    ['path with ..', { path: 'envs/../envs/production' }, "the environment path 'envs/../envs/production'"],
    ['mode', { mode: 'force' }, "the mode 'force'"],
    ['app', { app: 'web"} #' }, "the app 'web\"} #'"],
    ['branch', { branch: 'main;id' }, 'is not a valid branch name'],
  ])('a hostile %s is refused before any push', async (_, extra, why) => {
    const f = history();
    const before = git(f.origin, 'rev-parse', 'main');
    const r = await rollback(f, '1.4.2', extra as { [k: string]: string });
    expect(r.code).toBe(1);
    expect(r.err).toContain(why);
    expect(git(f.origin, 'for-each-ref', '--format=%(refname) %(objectname)')).toBe(`refs/heads/main ${before}`);
    expect(fs.existsSync('/tmp/pwned-rollback')).toBe(false);
  });

  test('a git token with a line break is refused without showing it', async () => {
    const f = history();
    const r = await rollback(f, '1.4.2', {}, { GIT_TOKEN_VALUE: 'ghp_x\nX-Injected: yes' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('holds a character no token has');
    expect(r.err + r.out).not.toContain('ghp');
  });
});

describe('rollback by pull request: the branch rollback/<app>/<env> and its request', () => {
  const BRANCH = 'rollback/web/staging';
  const branchSha = (f: Fleet) => git(f.origin, 'rev-parse', `refs/heads/${BRANCH}`);
  const github = (f: Fleet) => apiServer((req) => {
    if (req.method === 'GET' && req.url === `/repos/acme/fleet/git/ref/heads/${BRANCH}`) {
      return [200, { ref: `refs/heads/${BRANCH}`, object: { sha: branchSha(f), type: 'commit' } }];
    }
    if (req.method === 'POST') return [201, { number: 8 }];
    return [404, { message: 'Not Found' }];
  });
  async function viaRequest(f: Fleet, api: string, provider = 'github') {
    const work = tempDir('rollback-pr-');
    const [git_, pr] = rollbackSteps(api, provider);
    const head = git(f.origin, 'rev-parse', 'main');
    const p = params(f, { version: '1.4.2', revision: `main@sha1:${head}`, mode: 'pull-request' });
    const commit = await runStep(git_, p, work);
    const request = await runStep(pr, p, work, { TOKEN_VALUE: 's3cret', PROMOTION_HTTP_TIMEOUT: '1' });
    return { commit, request, head };
  }

  test('the branch is pushed, the request opened with the rollback\'s title and message; main untouched; again: nothing pushed', async () => {
    const f = history();
    const api = await github(f);
    try {
      const { commit, request, head } = await viaRequest(f, api.url);
      expect({ commit: commit.code, pr: request.code, err: commit.err + request.err }).toEqual({ commit: 0, pr: 0, err: '' });
      expect(commit.result('rolled-back')).toBe('1.4.1');
      expect(commits(f, BRANCH)[0]).toBe('rollback web in staging to 1.4.1');
      expect(tag(f, STAGING, BRANCH)).toBe('1.4.1');
      expect(git(f.origin, 'rev-parse', 'main')).toBe(head);
      const posts = api.requests.filter((r) => r.method === 'POST');
      expect(posts.map((r) => [r.url, r.auth, r.body])).toEqual([['/repos/acme/fleet/pulls', 'Bearer s3cret', {
        title: 'rollback web in staging to 1.4.1',
        head: BRANCH,
        base: 'main',
        body: `staging's verification of 1.4.2 failed (at main@sha1:${head}): set back to 1.4.1, the version it ran before 1.4.2.\n\nPromotion-Rollback: web staging 1.4.2`,
      }]]);

      const pushed = branchSha(f);
      const again = await viaRequest(f, api.url);
      expect(again.commit.code).toBe(0);
      expect(again.commit.out).toContain(`the branch ${BRANCH} of a pending request sets staging back to 1.4.1 already: nothing to push`);
      expect(branchSha(f)).toBe(pushed);
    } finally {
      api.close();
    }
  });

  test('GitLab: the merge request\'s description is the rollback\'s message', async () => {
    const f = history();
    const api = await apiServer((req) => {
      if (req.method === 'GET' && req.url === `/projects/acme%2Ffleet/repository/branches/${encodeURIComponent(BRANCH)}`) {
        return [200, { name: BRANCH, commit: { id: branchSha(f) } }];
      }
      return req.method === 'POST' ? [201, { iid: 4 }] : [404, { message: '404 Not Found' }];
    });
    try {
      const { commit, request, head } = await viaRequest(f, api.url, 'gitlab');
      expect({ commit: commit.code, pr: request.code, err: commit.err + request.err }).toEqual({ commit: 0, pr: 0, err: '' });
      expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([{
        title: 'rollback web in staging to 1.4.1',
        source_branch: BRANCH,
        target_branch: 'main',
        description: `staging's verification of 1.4.2 failed (at main@sha1:${head}): set back to 1.4.1, the version it ran before 1.4.2.\n\nPromotion-Rollback: web staging 1.4.2`,
      }]);
    } finally {
      api.close();
    }
  });

  test('merged with a merge commit, the restored version failing is not rolled back further', async () => {
    const f = history();
    const api = await github(f);
    try {
      expect((await viaRequest(f, api.url)).commit.code).toBe(0);
    } finally {
      api.close();
    }
    git(f.seed, 'pull', '-q', '--ff-only', 'origin', 'main');
    git(f.seed, 'fetch', '-q', 'origin', BRANCH);
    git(f.seed, 'merge', '-q', '--no-ff', '-m', 'Merge pull request #8 from acme/rollback/web/staging', 'FETCH_HEAD');
    git(f.seed, 'push', '-q', 'origin', 'HEAD:main');
    expect(tag(f)).toBe('1.4.1');
    const merge = git(f.origin, 'rev-parse', 'main');
    const r = await rollback(f, '1.4.1');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`1.4.1 was restored by a rollback (${merge}); not rolling back further`);
    expect(git(f.origin, 'rev-parse', 'main')).toBe(merge);
  });
});

describe('promote never promotes a version a rollback took out of the target', () => {
  test('production rolled back from 1.4.2: staging\'s 1.4.2 is not promoted again; a newer one is', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const promoteStep = steps('web-promote')[0];
    const run = (version: string) => runStep(promoteStep, params(f, { version, revision: `main@sha1:${git(f.origin, 'rev-parse', 'main')}` }), tempDir('promote-'));
    expect((await run('1.4.2')).code).toBe(0);
    expect(tag(f, 'envs/production/kustomization.yaml')).toBe('1.4.2');
    const rolled = await rollback(f, '1.4.2', { environment: 'production', path: 'envs/production' });
    expect(rolled.result('rolled-back')).toBe('1.3.0');
    const undone = git(f.origin, 'rev-parse', 'main');

    const again = await run('1.4.2');
    expect(again.code).toBe(0);
    expect(again.out).toContain(`1.4.2 failed verification in production and was rolled back (commit ${undone}): not promoted again; promote a newer version`);
    expect(again.result('pushed')).toBe('none');
    expect(git(f.origin, 'rev-parse', 'main')).toBe(undone);

    commitTo(f, { [STAGING]: kustomization('1.4.3') }, 'staging gets 1.4.3');
    const newer = await run('1.4.3');
    expect(newer.code).toBe(0);
    expect(tag(f, 'envs/production/kustomization.yaml')).toBe('1.4.3');
  });

  test('a rollback recorded for another environment does not stop the promotion', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    commitTo(f, {}, 'a record\n\nPromotion-Rollback: web staging 1.4.2\nPromotion-Rollback: api production 1.4.2');
    const r = await runStep(steps('web-promote')[0], params(f, { version: '1.4.2' }), tempDir('promote-'));
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(tag(f, 'envs/production/kustomization.yaml')).toBe('1.4.2');
  });

  test('a revision with a line break (it would write a line of its own into the message) is refused', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const r = await runStep(steps('web-promote')[0], params(f, { version: '1.4.2', revision: 'x\n\nPromotion-Rollback: web production 1.5.0' }), tempDir('promote-'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not a revision');
    expect(commits(f)).toEqual(['seed']);
  });
});

describe('the first hop: a build promotes its own result into the first environment (promote with no source path)', () => {
  const DEV = 'envs/dev/kustomization.yaml';
  const entry = (f: Fleet, version: string, extra: { [k: string]: string } = {}) =>
    runStep(steps('web-promote')[0], params(f, { 'version': version, 'from': 'build', 'from-path': '', 'to': 'dev', 'to-path': 'envs/dev', 'revision': 'web-build-7', ...extra }), tempDir('entry-'));

  test('writes dev\'s marker in one commit that says it is a build\'s result; the same event twice: one commit', async () => {
    const f = fleet({ dev: '1.5.0', staging: '1.4.2' });
    const r = await entry(f, '1.6.0');
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(fileAt(f, DEV)).toBe(kustomization('1.6.0'));
    expect(commits(f)).toEqual(['promote web 1.6.0 from build to dev', 'seed']);
    expect(git(f.origin, 'log', '-1', '--format=%b', 'main')).toBe('1.6.0 is a build\'s result (build at web-build-7): promoted to dev, the first environment.');
    expect(git(f.origin, 'show', '--name-only', '--format=', 'main')).toBe(DEV);
    expect(r.result('pushed')).toBe(git(f.origin, 'rev-parse', 'main'));
    const again = await entry(f, '1.6.0');
    expect(again.code).toBe(0);
    expect(again.out).toContain('dev already runs 1.6.0: nothing to promote');
    expect(again.result('pushed')).toBe('none');
    expect(commits(f)).toHaveLength(2);
  });

  test('never lowers: dev at 1.7.0 keeps it when an older build finishes last', async () => {
    const f = fleet({ dev: '1.7.0' });
    const r = await entry(f, '1.6.0');
    expect(r.code).toBe(0);
    expect(r.out).toContain('dev holds 1.7.0, newer than 1.6.0: a promotion never lowers a version');
    expect(commits(f)).toEqual(['seed']);
  });

  test('a build\'s result a rollback took out of dev is not promoted again', async () => {
    const f = fleet({ dev: '1.5.0' });
    expect((await entry(f, '1.6.0')).code).toBe(0);
    expect((await rollback(f, '1.6.0', { environment: 'dev', path: 'envs/dev' })).result('rolled-back')).toBe('1.5.0');
    const r = await entry(f, '1.6.0');
    expect(r.code).toBe(0);
    expect(r.out).toContain('1.6.0 failed verification in dev and was rolled back');
    expect(fileAt(f, DEV)).toBe(kustomization('1.5.0'));
  });

  test('two builds of one version at once: one commit', async () => {
    const f = fleet({ dev: '1.5.0' });
    const runs = await Promise.all([entry(f, '1.6.0'), entry(f, '1.6.0'), entry(f, '1.6.0')]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(commits(f)).toEqual(['promote web 1.6.0 from build to dev', 'seed']);
  });

  test('by pull request: the branch promote/<app>/dev, and a request that says it is a build\'s result', async () => {
    const f = fleet({ dev: '1.5.0' });
    const BRANCH = 'promote/web/dev';
    const api = await apiServer((req) => {
      if (req.method === 'GET' && req.url === `/repos/acme/fleet/git/ref/heads/${BRANCH}`) {
        return [200, { ref: `refs/heads/${BRANCH}`, object: { sha: git(f.origin, 'rev-parse', `refs/heads/${BRANCH}`), type: 'commit' } }];
      }
      return req.method === 'POST' ? [201, { number: 3 }] : [404, { message: 'Not Found' }];
    });
    try {
      const work = tempDir('entry-pr-');
      const withApi = steps('web-promote').map((st: any) => ({ ...st, env: st.env.map((e: any) => (e.name === 'API' ? { ...e, value: api.url } : e)) }));
      const p = params(f, { 'version': '1.6.0', 'from': 'build', 'from-path': '', 'to': 'dev', 'to-path': 'envs/dev', 'revision': 'web-build-7', 'mode': 'pull-request' });
      const commit = await runStep(withApi[0], p, work);
      const pr = await runStep(withApi[1], p, work, { TOKEN_VALUE: 's3cret', PROMOTION_HTTP_TIMEOUT: '1' });
      expect({ commit: commit.code, pr: pr.code, err: commit.err + pr.err }).toEqual({ commit: 0, pr: 0, err: '' });
      expect(fileAt(f, DEV, BRANCH)).toBe(kustomization('1.6.0'));
      expect(commits(f)).toEqual(['seed']);
      expect(api.requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
        { title: 'promote web 1.6.0 from build to dev', head: BRANCH, base: 'main', body: '1.6.0 is a build\'s result (build at web-build-7).' },
      ]);
    } finally {
      api.close();
    }
  });

  test.each([
    ['from that is no DNS label', { from: 'Build Pipeline' }, "the environment name 'Build Pipeline'"],
    ['a malformed version', { version: '1.6.0\nx' }, 'refusing to promote the malformed version'],
    ['a value of another kind', { version: 'ghcr.io/acme/web:1.6.0' }, 'of kind tag'],
  ])('%s is refused', async (_, extra, why) => {
    const f = fleet({ dev: '1.5.0' });
    const r = await entry(f, '1.6.0', extra as { [k: string]: string });
    expect(r.code).toBe(1);
    expect(r.err).toContain(why);
    expect(commits(f)).toEqual(['seed']);
  });
});

describe('Flux\'s image policy marker with the promotion marker in one comment', () => {
  const combined = (version: string, policyFirst: boolean, policy = 'flux-system:web:tag') => `images:\n  - name: ghcr.io/acme/web\n    newTag: ${version} ` +
    (policyFirst ? `# {"$imagepolicy": "${policy}", "$promotion": "web"}\n` : `# {"$promotion": "web", "$imagepolicy": "${policy}"}\n`);

  test('read in the source, written in the target with the comment kept byte for byte (either order)', async () => {
    const f = fleet({}, {
      'envs/staging/kustomization.yaml': combined('1.4.2', true),
      'envs/production/kustomization.yaml': combined('1.3.0', false, 'flux-system:web-production'),
    });
    const read = await runStep(steps('web-read-version')[0], params(f), tempDir('read-'));
    expect({ code: read.code, err: read.err, version: read.result('version') }).toEqual({ code: 0, err: '', version: '1.4.2' });
    const r = await runStep(steps('web-promote')[0], params(f, { version: '1.4.2' }), tempDir('promote-'));
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(fileAt(f, 'envs/production/kustomization.yaml')).toBe(combined('1.4.2', false, 'flux-system:web-production'));
  });

  test('the first hop and a rollback write it too', async () => {
    const f = fleet({}, { 'envs/dev/kustomization.yaml': combined('1.5.0', true) });
    const r = await runStep(steps('web-promote')[0], params(f, { 'version': '1.6.0', 'from': 'build', 'from-path': '', 'to': 'dev', 'to-path': 'envs/dev' }), tempDir('entry-'));
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(fileAt(f, 'envs/dev/kustomization.yaml')).toBe(combined('1.6.0', true));
    const back = await rollback(f, '1.6.0', { environment: 'dev', path: 'envs/dev' });
    expect({ code: back.code, err: back.err }).toEqual({ code: 0, err: '' });
    expect(fileAt(f, 'envs/dev/kustomization.yaml')).toBe(combined('1.5.0', true));
  });
});

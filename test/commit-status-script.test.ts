/**
 * The commit status step's real script, run as Tekton runs it (params in its environment) with the tools of its
 * image (BusyBox and curl), against a local stand-in for GitHub's, GitLab's and Gitea's APIs that records every
 * request: method, path, auth header and JSON body.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Construct } from 'constructs';
import { CommitStatus, FluxTriggeredPipeline, GitRepository, Pipeline, Task } from '../src';
import { apiServer } from './support/api-server';
import { runStep } from './support/promote-steps';
import { find, synth, tempDir } from './util';

const SHA = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const TOKEN = 'ghp_s3cretT0ken';
const RUN_URL = 'https://tekton.example.com/#/namespaces/ci/pipelineruns/ci-4b825dc642cb';

/** The status step of a pipeline `ci` (tasks build, test) reporting with `status`. */
function statusStep(status: (api: string) => CommitStatus, api: string) {
  const objects = synth((s: Construct) => {
    const task = new Task(s, 'build');
    task.addStep({ name: 'build', image: 'busybox:1.36', script: '#!/bin/sh\necho build' });
    const p = new Pipeline(s, 'ci');
    p.addTask('build', { task });
    const repo = new GitRepository(s, 'app', { url: 'https://github.com/acme/app.git', branch: 'main', namespace: 'flux-system' });
    new FluxTriggeredPipeline(s, 'on-push', { source: repo, pipeline: p, status: status(api) });
  });
  return find(objects, 'Task', 'ci-commit-status').spec.steps[0];
}

const github = (extra: { required?: boolean } = {}) => (api: string) =>
  CommitStatus.github({ repository: 'acme/app', tokenSecretName: 'github-status', apiUrl: api, ...extra });

/** Runs the step for one phase; `tasks` as the finally task gets them. */
async function post(step: any, params: { [k: string]: string }, env: { [k: string]: string } = { TOKEN_VALUE: TOKEN }) {
  const work = tempDir('status-work-');
  const r = await runStep(step, { 'commit': SHA, 'target-url': RUN_URL, 'aggregate': '', 'tasks': '', ...params }, work,
    { PROMOTION_HTTP_TIMEOUT: '2', PROMOTION_RETRY_DELAY: '0', TMPDIR: work, ...env });
  // nothing the step wrote outlives it: the header file with the token is gone
  const left = fs.readdirSync(work, { recursive: true }).map(String).filter((f) => !f.endsWith('.sh') && f !== 'results');
  return { ...r, left };
}

const created: [number, any] = [201, { id: 1, state: 'pending' }];

describe('commit status: each request as GitHub expects it', () => {
  test.each([
    ['start', { phase: 'start' }, 'pending', 'ci is running'],
    ['all tasks succeeded', { phase: 'end', aggregate: 'Succeeded', tasks: 'build=Succeeded/Succeeded test=Succeeded/Succeeded' }, 'success', 'ci succeeded'],
    ['a task skipped', { phase: 'end', aggregate: 'Completed', tasks: 'build=Succeeded/Succeeded deploy=None/' }, 'success', 'ci succeeded'],
    ['a task failed', { phase: 'end', aggregate: 'Failed', tasks: 'build=Succeeded/Succeeded test=Failed/Failed lint=Failed/Failed docs=None/' }, 'failure', 'ci failed: test, lint'],
    ['a task timed out', { phase: 'end', aggregate: 'Failed', tasks: 'build=Failed/TaskRunTimeout' }, 'failure', 'ci failed: build (timed out)'],
    ['a failure onError: continue ignores', { phase: 'end', aggregate: 'Failed', tasks: 'build=Succeeded/Succeeded lint=Failed/FailureIgnored' }, 'success', 'ci succeeded'],
    ['the run was cancelled', { phase: 'end', aggregate: 'None', tasks: 'build=Failed/TaskRunCancelled test=None/' }, 'error', 'ci was cancelled'],
    ['the run did not finish', { phase: 'end', aggregate: 'None', tasks: 'build=None/' }, 'error', 'ci did not finish'],
  ])('%s: %s', async (_, params, state, description) => {
    const api = await apiServer(() => created);
    try {
      const r = await post(statusStep(github(), api.url), params);
      expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
      expect(api.requests).toEqual([{
        method: 'POST',
        url: `/repos/acme/app/statuses/${SHA}`,
        auth: `Bearer ${TOKEN}`,
        token: undefined,
        body: { state, description, context: 'ci/ci', target_url: RUN_URL },
      }]);
      expect(r.out + r.err).not.toContain(TOKEN);
      expect(r.left).toEqual([]);
    } finally {
      api.close();
    }
  });

  test('no run URL: no target_url', async () => {
    const api = await apiServer(() => created);
    try {
      await post(statusStep(github(), api.url), { 'phase': 'start', 'target-url': '' });
      expect(api.requests[0].body).toEqual({ state: 'pending', description: 'ci is running', context: 'ci/ci' });
    } finally {
      api.close();
    }
  });
});

describe('commit status: GitLab and Gitea', () => {
  test.each([
    ['start', { phase: 'start' }, 'running'],
    ['failed', { phase: 'end', aggregate: 'Failed', tasks: 'build=Failed/Failed' }, 'failed'],
    ['cancelled', { phase: 'end', aggregate: 'None', tasks: 'build=Failed/TaskRunCancelled' }, 'canceled'],
    ['succeeded', { phase: 'end', aggregate: 'Succeeded', tasks: 'build=Succeeded/Succeeded' }, 'success'],
  ])('GitLab %s: %s, its path, header and field names', async (_, params, state) => {
    const api = await apiServer(() => created);
    try {
      const step = statusStep((url) => CommitStatus.gitlab({ project: 'acme/group/app', tokenSecretName: 't', apiUrl: url, context: 'tekton/ci' }), api.url);
      const r = await post(step, params);
      expect(r.code).toBe(0);
      expect(api.requests).toEqual([{
        method: 'POST',
        url: `/projects/acme%2Fgroup%2Fapp/statuses/${SHA}`,
        auth: undefined,
        token: TOKEN,
        body: expect.objectContaining({ state, name: 'tekton/ci', target_url: RUN_URL }),
      }]);
    } finally {
      api.close();
    }
  });

  test('GitLab: a state it is in already (a second delivery) is done', async () => {
    const api = await apiServer(() => [400, { message: 'Cannot transition status via :run from :running' }]);
    try {
      const step = statusStep((url) => CommitStatus.gitlab({ project: 'acme/app', tokenSecretName: 't', apiUrl: url }), api.url);
      const r = await post(step, { phase: 'start' });
      expect({ code: r.code, out: r.out, err: r.err }).toEqual({ code: 0, out: expect.stringContaining('running as \'ci/ci\' already'), err: '' });
    } finally {
      api.close();
    }
  });

  test('Gitea: its token header', async () => {
    const api = await apiServer(() => created);
    try {
      const step = statusStep((url) => CommitStatus.gitea({ repository: 'acme/app', tokenSecretName: 't', apiUrl: url }), api.url);
      await post(step, { phase: 'end', aggregate: 'Failed', tasks: 'build=Failed/TaskRunCancelled' });
      expect(api.requests).toEqual([expect.objectContaining({
        url: `/repos/acme/app/statuses/${SHA}`,
        auth: `token ${TOKEN}`,
        body: expect.objectContaining({ state: 'error', description: 'ci was cancelled' }),
      })]);
    } finally {
      api.close();
    }
  });
});

describe('commit status: a status that cannot be posted is logged, and fails the run only when required', () => {
  test.each([
    ['401', [401, { message: 'Bad credentials' }], 1, 'the github API answered 401 to posting pending for'],
    ['404', [404, { message: 'Not Found' }], 1, 'answered 404'],
    ['422', [422, { message: 'Validation Failed', errors: [{ message: 'No commit found for SHA' }] }], 1, 'Validation Failed; No commit found for SHA'],
    ['500, three times', [500, { message: 'boom' }], 3, 'answered 500'],
    ['503 with an HTML page', [503, '<html>down</html>', 'text/html'], 3, 'the answer is not JSON: <html>down</html>'],
  ])('%s', async (_, answer, tries, said) => {
    const api = await apiServer(() => answer as [number, any, string?]);
    try {
      const optional = await post(statusStep(github(), api.url), { phase: 'start' });
      expect(optional.code).toBe(0);
      expect(optional.err).toContain('commit status not posted: ');
      expect(optional.err).toContain(said);
      expect(optional.err).toContain("the run's result stands");
      expect(api.requests).toHaveLength(tries);
      const required = await post(statusStep(github({ required: true }), api.url), { phase: 'start' });
      expect(required.code).toBe(1);
      expect(required.err).toContain(said);
      expect(optional.left).toEqual([]);
    } finally {
      api.close();
    }
  });

  test('an API that does not answer: each try is bounded, three tries in all', async () => {
    const api = await apiServer(() => 'hang');
    try {
      const r = await post(statusStep(github(), api.url), { phase: 'start' }, { TOKEN_VALUE: TOKEN, PROMOTION_HTTP_TIMEOUT: '1' });
      expect(r.code).toBe(0);
      expect(r.err).toContain('did not answer within 1s (3 tries)');
      expect(api.requests).toHaveLength(3);
    } finally {
      api.close();
    }
  });

  test('a missing token: nothing is sent, the run goes on', async () => {
    const api = await apiServer(() => created);
    try {
      const r = await post(statusStep(github(), api.url), { phase: 'start' }, {});
      expect(r.code).toBe(0);
      expect(r.err).toContain("commit status not posted: the status token (key 'token' of its Secret) is empty");
      expect(api.requests).toEqual([]);
    } finally {
      api.close();
    }
  });

  test('an answer that reflects the token shows it masked', async () => {
    const api = await apiServer(() => [401, { message: `token ${TOKEN} is not valid`, documentation_url: 'x' }]);
    try {
      const r = await post(statusStep(github(), api.url), { phase: 'start' });
      expect(r.err).toContain('token *** is not valid');
      expect(r.out + r.err).not.toContain(TOKEN);
    } finally {
      api.close();
    }
  });
});

describe('commit status: hostile values never change the request', () => {
  test.each([
    ['a command substitution', `$(touch PWNED)${SHA}`],
    ['a quote and a command', `${SHA}"; touch PWNED; "`],
    ['a newline', `${SHA}\nX-Evil: 1`],
    ['an upper-case hash', SHA.toUpperCase()],
    ['too short', SHA.slice(0, 12)],
  ])('a commit that is no commit (%s) is refused: nothing is sent', async (_, commit) => {
    const api = await apiServer(() => created);
    try {
      const work = tempDir('status-hostile-');
      const r = await runStep(statusStep(github(), api.url), { 'phase': 'start', commit, 'target-url': RUN_URL, 'aggregate': '', 'tasks': '' }, work,
        { TOKEN_VALUE: TOKEN, TMPDIR: work });
      expect(r.code).toBe(0);
      expect(r.err).toContain('is not a commit');
      expect(api.requests).toEqual([]);
      expect(fs.existsSync(path.join(work, 'PWNED'))).toBe(false);
    } finally {
      api.close();
    }
  });

  test('quotes, backslashes, $(…) and newlines in the link and the task words stay data: one valid JSON body', async () => {
    const api = await apiServer(() => created);
    try {
      const work = tempDir('status-hostile-');
      const url = 'https://x/"}, "state": "success\\" $(touch PWNED)\nnext';
      const r = await runStep(statusStep(github(), api.url), {
        'phase': 'end',
        'commit': SHA,
        'target-url': url,
        'aggregate': 'Failed',
        'tasks': 'build=Failed/Failed "$(touch=PWNED)/x" `touch`=Failed/Failed *=Failed/Failed',
      }, work, { TOKEN_VALUE: TOKEN, TMPDIR: work });
      expect(r.code).toBe(0);
      expect(api.requests).toHaveLength(1);
      const body = api.requests[0].body;
      expect(body.state).toBe('failure');
      expect(body.target_url).toBe('https://x/"}, "state": "success\\" $(touch PWNED) next');
      expect(body.description).toBe('ci failed: build, `touch`, *');
      expect(Object.keys(body).sort()).toEqual(['context', 'description', 'state', 'target_url']);
      expect(fs.existsSync(path.join(work, 'PWNED'))).toBe(false);
    } finally {
      api.close();
    }
  });
});

import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { App } from 'cdk8s';
import { build } from '../examples/promotion/app';
import { promotionMarker } from '../src';
import { checkConformance, securityProblems } from './support/conformance';
import { CrdSchemas } from './support/crd-schemas';
import { crdsDir, find, tempDir } from './util';

/**
 * The promote steps' real scripts (as the example synthesizes them), run with real git, sh, awk and curl —
 * what alpine/git and curlimages/curl provide — against a bare repository in a temporary folder, as Tekton
 * would run them: params substituted into their environment, result paths into the script.
 */
const objects = build(new App()).charts.flatMap((c) => c.toJson());
const steps = (task: string) => find(objects, 'Task', task).spec.steps;
const MARK = promotionMarker('web');
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TEMPLATE_DIR: '' } }).trim();

function fleet(versions: { [env: string]: string }) {
  const dir = tempDir('fleet-');
  const origin = path.join(dir, 'origin.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  const seed = path.join(dir, 'seed');
  execFileSync('git', ['clone', '-q', origin, seed]);
  git(seed, 'config', 'user.email', 't@example.com');
  git(seed, 'config', 'user.name', 't');
  for (const [env, version] of Object.entries(versions)) {
    fs.mkdirSync(path.join(seed, 'envs', env), { recursive: true });
    fs.writeFileSync(path.join(seed, 'envs', env, 'kustomization.yaml'),
      `resources:\n  - ../../base\nimages:\n  - name: ghcr.io/acme/web\n    newTag: ${version} ${MARK}\n`);
  }
  git(seed, 'add', '.');
  git(seed, 'commit', '-qm', 'seed');
  git(seed, 'push', '-q', 'origin', 'HEAD:main');
  return { dir, origin, seed, revision: git(seed, 'rev-parse', 'HEAD') };
}

/** Runs one step: its env with params substituted, its results written to files; resolves with the outcome. */
function runStep(step: any, params: { [name: string]: string }, work: string, extraEnv: { [k: string]: string } = {}) {
  const env: { [k: string]: string } = { PATH: process.env.PATH!, HOME: work, PROMOTION_WORKDIR: work, GIT_TEMPLATE_DIR: '', ...extraEnv };
  for (const e of step.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value).replace(/\$\(params\.([a-z-]+)\)/g, (_: string, p: string) => params[p] ?? '');
    else if (e.valueFrom?.secretKeyRef?.key === 'token' && extraEnv.TOKEN_VALUE) env[e.name] = extraEnv.TOKEN_VALUE;
  }
  const results = path.join(work, 'results');
  fs.mkdirSync(results, { recursive: true });
  const script = String(step.script).replace(/\$\(results\.([a-z-]+)\.path\)/g, (_: string, r: string) => path.join(results, r));
  expect(script).not.toContain('$(params.');
  const file = path.join(work, `${step.name}.sh`);
  fs.writeFileSync(file, script, { mode: 0o755 });
  return new Promise<{ code: number; out: string; err: string; result: (name: string) => string }>((resolve) => {
    execFile('sh', [file], { env, cwd: work }, (error, out, err) => resolve({
      code: error ? (error as any).code ?? 1 : 0,
      out,
      err,
      result: (name) => (fs.existsSync(path.join(results, name)) ? fs.readFileSync(path.join(results, name), 'utf8') : ''),
    }));
  });
}

const params = (f: ReturnType<typeof fleet>, extra: { [k: string]: string } = {}) => ({
  'repository': f.origin,
  'branch': 'main',
  'app': 'web',
  'commit': f.revision,
  'revision': `main@sha1:${f.revision}`,
  'path': 'envs/staging',
  'environment': 'staging',
  'from': 'staging',
  'to': 'production',
  'to-path': 'envs/production',
  'mode': 'push',
  ...extra,
});

async function promote(f: ReturnType<typeof fleet>, extra: { [k: string]: string } = {}, env: { [k: string]: string } = {}) {
  const work = tempDir('promote-work-');
  const read = await runStep(steps('web-read-version')[0], params(f, extra), work, env);
  if (read.code !== 0) return { read, version: '' };
  const version = read.result('version');
  const commit = await runStep(steps('web-promote')[0], params(f, { ...extra, version }), work, env);
  return { read, version, commit, work };
}

const productionTag = (f: ReturnType<typeof fleet>) => {
  const check = tempDir('check-');
  execFileSync('git', ['clone', '-q', f.origin, check]);
  return /newTag: (\S+)/.exec(fs.readFileSync(path.join(check, 'envs/production/kustomization.yaml'), 'utf8'))![1];
};
const commits = (f: ReturnType<typeof fleet>) => git(f.origin, 'log', '--format=%s', 'main').split('\n');

describe('promotion: the real promote scripts against a git repository', () => {
  test('first promotion: staging\'s version goes to production in one commit that says what and where', async () => {
    const f = fleet({ dev: '1.5.0', staging: '1.4.2', production: '1.3.0' });
    const r = await promote(f);
    expect({ read: r.read.code, commit: r.commit!.code, err: r.commit!.err }).toEqual({ read: 0, commit: 0, err: '' });
    expect(r.version).toBe('1.4.2');
    expect(productionTag(f)).toBe('1.4.2');
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

  test('by pull request: a branch is pushed and the API receives the request', async () => {
    const f = fleet({ staging: '1.4.2', production: '1.3.0' });
    const requests: Array<{ method: string; url: string; auth: string; body: any }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        requests.push({ method: req.method!, url: req.url!, auth: String(req.headers.authorization), body: JSON.parse(body) });
        res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"number": 7}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const api = `http://127.0.0.1:${(server.address() as any).port}`;
    try {
      const withApi = steps('web-promote').map((s: any) => ({ ...s, env: s.env.map((e: any) => (e.name === 'API' ? { ...e, value: api } : e)) }));
      const work = tempDir('promote-work-');
      const read = await runStep(steps('web-read-version')[0], params(f), work);
      const p = params(f, { mode: 'pull-request', version: read.result('version') });
      const commit = await runStep(withApi[0], p, work);
      const pr = await runStep(withApi[1], p, work, { TOKEN_VALUE: 's3cret' });
      expect({ commit: commit.code, pr: pr.code, err: pr.err }).toEqual({ commit: 0, pr: 0, err: '' });
      expect(git(f.origin, 'log', '-1', '--format=%s', 'promote/web/production')).toBe('promote web 1.4.2 from staging to production');
      expect(commits(f)).toEqual(['seed']); // main is untouched until the request is merged
      expect(requests).toEqual([{
        method: 'POST',
        url: '/repos/acme/fleet/pulls',
        auth: 'Bearer s3cret',
        body: { title: 'promote web 1.4.2 from staging to production', head: 'promote/web/production', base: 'main', body: `staging applied 1.4.2 at main@sha1:${f.revision}.` },
      }]);
    } finally {
      server.close();
    }
  });

  test('a malformed version is refused, and nothing is pushed', async () => {
    const f = fleet({ staging: '1.4.2;touch${IFS}/tmp/x', production: '1.3.0' });
    const r = await promote(f);
    expect(r.read.code).not.toBe(0);
    expect(r.read.err).toContain("refusing to promote the malformed version '1.4.2;touch${IFS}/tmp/x'");
    expect(commits(f)).toEqual(['seed']);
  });
});

describe('promotion: what it synthesizes', () => {
  test('a trigger per step (on the source environment\'s Kustomization), verify before promote, a finally report', () => {
    const pipeline = find(objects, 'Pipeline', 'web-to-production');
    // verify reads read-version's result (Tekton orders by it); promote runs after verify
    expect(pipeline.spec.tasks.map((t: any) => [t.name, t.runAfter ?? []])).toEqual([
      ['read-version', []], ['verify-staging', ['read-version']], ['promote', ['read-version', 'verify-staging']],
    ]);
    expect(pipeline.spec.tasks[1].params).toEqual([
      { name: 'environment', value: 'staging' }, { name: 'version', value: '$(tasks.read-version.results.version)' },
    ]);
    expect(pipeline.spec.finally.map((t: any) => t.name)).toEqual(['report']);
    const alert = find(objects, 'Alert', 'web-on-staging');
    expect(alert.spec.eventSources).toEqual([{ kind: 'Kustomization', name: 'web-staging', namespace: 'flux-system' }]);
    const run = find(objects, 'TriggerTemplate', 'web-on-staging').spec.resourcetemplates[0];
    expect(run.metadata.labels).toEqual({ 'cdk8s-tekton-flux/app': 'web', 'cdk8s-tekton-flux/from': 'staging', 'cdk8s-tekton-flux/to': 'production' });
  });

  test('conforms like dist/ and is safe by default', () => {
    const report = checkConformance(objects, CrdSchemas.load(crdsDir()));
    expect({ schema: report.schema, unknownKinds: report.unknownKinds, names: report.names }).toEqual({ schema: [], unknownKinds: [], names: [] });
    expect(securityProblems(objects)).toEqual([]);
  });
});

import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { busyboxPath } from './busybox';
import { build } from '../../examples/promotion/app';
import { promotionMarker } from '../../src';
import { openPullRequestScript, rollbackScript } from '../../src/patterns/promotion-scripts';
import { find, tempDir } from '../util';

/**
 * What the promotion scripts' tests share: the example's synthesized steps, a config repository in a temporary
 * folder, and a runner that executes one step as Tekton would (params in its environment, result paths in the
 * script) with BusyBox's applets and the real git and curl as the only tools on PATH.
 */
export const objects = build(new App()).charts.flatMap((c) => c.toJson());
export const steps = (task: string) => find(objects, 'Task', task).spec.steps;
export const MARK = promotionMarker('web');
export const gitEnv = { ...process.env, GIT_TEMPLATE_DIR: '' };
export const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv }).trim();
export const kustomization = (version: string) => `resources:\n  - ../../base\nimages:\n  - name: ghcr.io/acme/web\n    newTag: ${version} ${MARK}\n`;

export type Fleet = ReturnType<typeof fleet>;

/** A config repository with one folder per environment; `files` overrides or adds files (path → content). */
export function fleet(versions: { [env: string]: string }, files: { [file: string]: string } = {}) {
  const dir = tempDir('fleet-');
  const origin = path.join(dir, 'origin.git');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin], { env: gitEnv });
  const seed = path.join(dir, 'seed');
  execFileSync('git', ['clone', '-q', origin, seed], { env: gitEnv, stdio: 'ignore' });
  git(seed, 'config', 'user.email', 't@example.com');
  git(seed, 'config', 'user.name', 't');
  git(seed, 'config', 'core.autocrlf', 'false');
  for (const [env, version] of Object.entries(versions)) {
    fs.mkdirSync(path.join(seed, 'envs', env), { recursive: true });
    fs.writeFileSync(path.join(seed, 'envs', env, 'kustomization.yaml'), kustomization(version));
  }
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(seed, file)), { recursive: true });
    fs.writeFileSync(path.join(seed, file), content);
  }
  git(seed, 'add', '-A');
  git(seed, 'commit', '-qm', 'seed');
  git(seed, 'push', '-q', 'origin', 'HEAD:main');
  return { dir, origin, seed, revision: git(seed, 'rev-parse', 'HEAD') };
}

export interface Outcome { code: number; out: string; err: string; result: (name: string) => string }

/** Runs one step: its env with params substituted, its results written to files; resolves with the outcome. */
export function runStep(step: any, params: { [name: string]: string }, work: string, extraEnv: { [k: string]: string } = {}) {
  const { TOKEN_VALUE: token, GIT_TOKEN_VALUE: gitToken, ...rest } = extraEnv;
  const env: { [k: string]: string } = { PATH: busyboxPath(), HOME: work, PROMOTION_WORKDIR: work, GIT_TEMPLATE_DIR: '', ...rest };
  for (const e of step.env ?? []) {
    if (e.value !== undefined) env[e.name] = String(e.value).replace(/\$\(params\.([a-z-]+)\)/g, (_: string, p: string) => params[p] ?? '');
    else if (e.name === 'TOKEN' && token !== undefined) env[e.name] = token;
    else if (e.name === 'GIT_TOKEN' && gitToken !== undefined) env[e.name] = gitToken;
  }
  const results = path.join(work, 'results');
  fs.mkdirSync(results, { recursive: true });
  const script = String(step.script).replace(/\$\(results\.([a-z-]+)\.path\)/g, (_: string, r: string) => path.join(results, r));
  expect(script).not.toContain('$(params.');
  const file = path.join(work, `${step.name}.sh`);
  fs.writeFileSync(file, script, { mode: 0o755 });
  return new Promise<Outcome>((resolve) => {
    execFile(path.join(busyboxPath(), 'sh'), [file], { env, cwd: work, timeout: 60_000 }, (error, out, err) => resolve({
      code: error ? (error as any).code ?? 1 : 0,
      out,
      err,
      result: (name) => (fs.existsSync(path.join(results, name)) ? fs.readFileSync(path.join(results, name), 'utf8') : ''),
    }));
  });
}

export const params = (f: Fleet, extra: { [k: string]: string } = {}) => ({
  'repository': f.origin,
  'branch': 'main',
  'app': 'web',
  'commit': f.revision,
  'revision': `main@sha1:${f.revision}`,
  'path': 'envs/staging',
  'environment': 'staging',
  'from': 'staging',
  'from-path': 'envs/staging',
  'to': 'production',
  'to-path': 'envs/production',
  'mode': 'push',
  ...extra,
});

/** read-version at the event's revision, then the commit step, as the pipeline runs them. */
export async function promote(f: Fleet, extra: { [k: string]: string } = {}, env: { [k: string]: string } = {}) {
  const work = tempDir('promote-work-');
  const read = await runStep(steps('web-read-version')[0], params(f, extra), work, env);
  if (read.code !== 0) return { read, version: '', commit: undefined as Outcome | undefined, work };
  const version = read.result('version');
  const commit = await runStep(steps('web-promote')[0], params(f, { ...extra, version }), work, env);
  return { read, version, commit, work };
}

export const fileAt = (f: Fleet, file: string, ref = 'main') => execFileSync('git', ['show', `${ref}:${file}`], { cwd: f.origin, encoding: 'utf8' });
export const commits = (f: Fleet, ref = 'main') => git(f.origin, 'log', '--format=%s', ref).split('\n');

/** Commits files (path → content) to the fleet's main, as a person or another run would; returns the new revision. */
export function commitTo(f: Fleet, files: { [file: string]: string }, message = 'a change') {
  git(f.seed, 'pull', '-q', '--ff-only', 'origin', 'main');
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(f.seed, file)), { recursive: true });
    fs.writeFileSync(path.join(f.seed, file), content);
  }
  git(f.seed, 'add', '-A');
  git(f.seed, 'commit', '-q', '--allow-empty', '-m', message);
  git(f.seed, 'push', '-q', 'origin', 'HEAD:main');
  return git(f.seed, 'rev-parse', 'HEAD');
}

const fromParams = (names: { [variable: string]: string }) => Object.entries(names).map(([name, p]) => ({ name, value: `$(params.${p})` }));

/**
 * The rollback step and the request step after it, made from the scripts as a Task's steps are: params in their
 * environment (`environment`, `path`, `version`: the environment whose verification failed, its folder, the
 * version that failed; `revision`, `mode`), the result path in the script.
 */
export function rollbackSteps(api = 'https://api.github.com', provider = 'github') {
  return [
    {
      name: 'rollback',
      script: rollbackScript('$(results.rolled-back.path)'),
      env: [
        { name: 'GIT_TOKEN', valueFrom: { secretKeyRef: { name: 'fleet-git', key: 'token' } } },
        ...fromParams({ REPOSITORY: 'repository', BRANCH: 'branch', APP: 'app', ENVIRONMENT: 'environment', ENV_PATH: 'path', VERSION: 'version', REVISION: 'revision', MODE: 'mode' }),
      ],
    },
    {
      name: 'open-pull-request',
      script: openPullRequestScript(),
      env: [
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'fleet-github', key: 'token' } } },
        { name: 'API', value: api },
        { name: 'PROJECT', value: 'acme/fleet' },
        { name: 'PROVIDER', value: provider },
        ...fromParams({ BRANCH: 'branch', APP: 'app' }),
      ],
    },
  ];
}

/** Runs the rollback step for `version` failing in staging (or `extra`'s environment) at the fleet's head. */
export function rollback(f: Fleet, version: string, extra: { [k: string]: string } = {}, env: { [k: string]: string } = {}, work = tempDir('rollback-work-')) {
  const head = git(f.origin, 'rev-parse', 'main');
  return runStep(rollbackSteps()[0], params(f, { version, revision: `main@sha1:${head}`, ...extra }), work, env);
}

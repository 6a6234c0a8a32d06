import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { GitOpsApp, Task } from '../src';
import { publish } from '../src/publish';
import { publishProblems, variantFiles } from './support/publish-variants';
import { snapshotDir, tempDir } from './util';

const CHILD = path.join(__dirname, 'support/publish-child.ts');
const root = path.resolve(__dirname, '..');

/** Runs a publish in its own process; resolves when it exits. */
function child(dir: string, variant: 'a' | 'b', killAt = -1, times = 1): ChildProcess {
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD, dir, variant, String(killAt), String(times)], {
    cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.dev.json' },
  });
}

function runChild(dir: string, variant: 'a' | 'b', killAt = -1) {
  return spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD, dir, variant, String(killAt), '1'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.dev.json' },
  });
}

/** A git repository with a published folder of variant a, committed. */
function repoWithDist(): { repo: string; dist: string } {
  const repo = tempDir('publish-repo-');
  execFileSync('git', ['init', '-q', repo]);
  const dist = path.join(repo, 'dist');
  publish(dist, variantFiles('a'));
  return { repo, dist };
}

const gitStatus = (repo: string) => execFileSync('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' });

describe('publishing cannot lose dist/', () => {
  test('killed before each file operation: every file is whole (old or new), nothing is left where git looks, the next publish finishes', () => {
    // a → b is: write+rename three files, remove one: 7 steps
    for (let killAt = 0; killAt < 7; killAt++) {
      const { repo, dist } = repoWithDist();
      const r = runChild(dist, 'b', killAt);
      expect({ killAt, signal: r.signal }).toEqual({ killAt, signal: 'SIGKILL' });
      expect({ killAt, problems: publishProblems(snapshotDir(dist)) }).toEqual({ killAt, problems: [] });
      expect({ killAt, status: gitStatus(repo).split('\n').filter((l) => l && !l.includes('dist/')) }).toEqual({ killAt, status: [] });
      publish(dist, variantFiles('b'));
      expect(snapshotDir(dist)).toEqual(Object.fromEntries(variantFiles('b')));
      expect(fs.readdirSync(path.join(repo, '.git/cdk8s-tekton-flux'))).toEqual([]);
    }
  });

  test('killed at random moments while publishing again and again, and two publishes at once: dist/ is always whole', async () => {
    const { dist } = repoWithDist();
    const problems: string[] = [];
    // a snapshot the publish did not change while it was taken (listing and reading are two steps)
    const snapshot = () => {
      for (;;) {
        const names = fs.readdirSync(dist).sort();
        const out: { [name: string]: string } = {};
        try {
          for (const f of names) out[f] = fs.readFileSync(path.join(dist, f), 'utf8');
        } catch (e: any) {
          if (e.code === 'ENOENT') continue;
          throw e;
        }
        if (JSON.stringify(fs.readdirSync(dist).sort()) === JSON.stringify(names)) return out;
      }
    };
    const watch = () => {
      const p = publishProblems(snapshot());
      if (p.length) problems.push(...p);
    };
    for (let round = 0; round < 4; round++) {
      const procs = [child(dist, 'b', -1, 40), child(dist, 'a', -1, 40)];
      await new Promise<void>((resolve) => {
        const timer = setInterval(watch, 1);
        setTimeout(() => {
          procs[round % 2].kill('SIGKILL');
          let done = 0;
          for (const p of procs) {
            if (p.exitCode !== null || p.signalCode !== null) done++;
            else p.once('exit', () => { if (++done === 2) { clearInterval(timer); resolve(); } });
          }
          if (done === 2) { clearInterval(timer); resolve(); }
        }, 300 + 200 * round);
      });
      watch();
    }
    expect([...new Set(problems)]).toEqual([]);
  }, 120_000);
});

describe('GitOpsApp refuses a folder it does not own, and deletes nothing', () => {
  function app(outdir: string) {
    const a = new GitOpsApp({ outdir });
    const t = new Task(new Chart(a, 'ci', { namespace: 'ci' }), 'hello');
    t.addStep({ name: 'hello', image: 'busybox:1.36', script: 'echo hello' });
    return a;
  }
  const cases: Array<[string, (dir: string) => string, RegExp]> = [
    ["'.'", () => '.', /outdir '.*' is the working folder or one above it: .*set GitOpsApp's outdir to a folder of its own/],
    ["''", () => '', /is the working folder or one above it/],
    ["'/'", () => '/', /outdir '\/' is the working folder or one above it/],
    ['a file', (dir) => { fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine'); return path.join(dir, 'notes.txt'); }, /is a file, not a folder/],
    ['a folder with .git', (dir) => { fs.mkdirSync(path.join(dir, 'out/.git'), { recursive: true }); return path.join(dir, 'out'); }, /holds \.git, which GitOpsApp did not write/],
    ['a folder with a file it did not write', (dir) => {
      fs.mkdirSync(path.join(dir, 'out'));
      fs.writeFileSync(path.join(dir, 'out/README.md'), 'mine');
      fs.writeFileSync(path.join(dir, 'out/ci.k8s.yaml'), 'old');
      return path.join(dir, 'out');
    }, /holds README\.md, which GitOpsApp did not write .*move it out/],
  ];
  test.each(cases)('%s', (_name, setUp, message) => {
    const dir = tempDir('owner-');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const outdir = setUp(dir);
      const before = snapshotDir(dir);
      expect(() => app(outdir).synth()).toThrow(message);
      expect(snapshotDir(dir)).toEqual(before);
    } finally {
      process.chdir(cwd);
    }
  });

  test("under cdk8s synth with cdk8s.yaml's output set to dist: fails before writing, with the line to change", () => {
    const dir = tempDir('cli-');
    const dist = path.join(dir, 'dist');
    process.env.CDK8S_OUTDIR = dist;
    try {
      expect(() => app(dist).synth()).toThrow(/In cdk8s\.yaml set `output: \.cdk8s-staging\/cli`.*git checkout -- /);
    } finally {
      delete process.env.CDK8S_OUTDIR;
    }
    expect(fs.existsSync(dist)).toBe(false);
  });
});

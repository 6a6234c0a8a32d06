import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Chart } from 'cdk8s';
import { GitOpsApp, Task } from '../../src';
import { lockFile, publish, setBeforeStep } from '../../src/app/publish';
import { publishProblems, variantFiles } from '../support/publish-variants';
import { snapshotDir, tempDir } from '../util';

const CHILD = path.join(__dirname, '../support/publish-child.ts');
const LOCK_CHILD = path.join(__dirname, '../support/publish-lock-child.ts');
const root = path.resolve(__dirname, '../..');

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

/** The files beside the lock file of `dir` (its pid files, claims…), and the lock file itself when it is there. */
function lockFiles(dir: string): string[] {
  const base = path.basename(lockFile(dir));
  return fs.readdirSync(path.dirname(lockFile(dir))).filter((f) => f === base || f.startsWith(`${base}.`)).map((f) => f.slice(base.length)).sort();
}

function removeLockFiles(dir: string) {
  const base = path.basename(lockFile(dir));
  for (const f of fs.readdirSync(path.dirname(lockFile(dir)))) if (f === base || f.startsWith(`${base}.`)) fs.rmSync(path.join(path.dirname(lockFile(dir)), f), { force: true });
}

/** An error as the file system throws it. */
const ioError = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

describe('a publish that fails part-way leaves every file as it was', () => {
  afterEach(() => setBeforeStep(() => {}));

  test('an I/O error before each file operation (write, rename, removal): all files are the old ones, byte for byte', () => {
    const steps: string[] = [];
    const first = repoWithDist().dist;
    setBeforeStep((s) => steps.push(s));
    publish(first, variantFiles('b'));
    setBeforeStep(() => {});
    expect(steps).toEqual(['write ci.k8s.yaml', 'write flux-system.k8s.yaml', 'write new.k8s.yaml',
      'rename ci.k8s.yaml', 'rename flux-system.k8s.yaml', 'rename new.k8s.yaml', 'remove old.k8s.yaml']);
    for (const [k, failing] of steps.entries()) {
      const { repo, dist } = repoWithDist();
      const code = k % 2 ? 'EIO' : 'ENOSPC';
      setBeforeStep((s) => {
        if (s === failing) throw ioError(code);
      });
      let error: any;
      try {
        publish(dist, variantFiles('b'));
      } catch (e) {
        error = e;
      }
      setBeforeStep(() => {});
      expect({ failing, message: error?.message, code: error?.code }).toEqual({
        failing,
        message: `publishing into '${dist}' failed (${failing}: ${code}: injected); every file in it is as it was before this synth: ` +
          'fix the cause (e.g. free disk space) and synth again',
        code,
      });
      expect({ failing, same: JSON.stringify(snapshotDir(dist)) === JSON.stringify(Object.fromEntries(variantFiles('a'))) }).toEqual({ failing, same: true });
      expect({ failing, work: fs.readdirSync(path.join(repo, '.git/cdk8s-tekton-flux')) }).toEqual({ failing, work: [] });
      expect({ failing, status: gitStatus(repo).split('\n').filter((l) => l && !l.includes('dist/')) }).toEqual({ failing, status: [] });
      expect({ failing, lock: lockFiles(dist) }).toEqual({ failing, lock: [] });
      publish(dist, variantFiles('b')); // and the next synth works
      expect(snapshotDir(dist)).toEqual(Object.fromEntries(variantFiles('b')));
    }
  });

  test('into an empty folder: a failed rename removes the new files renamed before it', () => {
    const repo = tempDir('publish-repo-');
    execFileSync('git', ['init', '-q', repo]);
    const dist = path.join(repo, 'dist');
    setBeforeStep((s) => {
      if (s === 'rename new.k8s.yaml') throw ioError('ENOSPC');
    });
    expect(() => publish(dist, variantFiles('b'))).toThrow(/every file in it is as it was before this synth/);
    expect(fs.readdirSync(dist)).toEqual([]);
  });

  test('when putting the old files back fails too, the error says so, and every file is still whole', () => {
    const { repo, dist } = repoWithDist();
    setBeforeStep((s) => {
      if (s !== 'remove old.k8s.yaml') return;
      // the kept old version of ci.k8s.yaml is lost: it cannot be put back
      const work = path.join(repo, '.git/cdk8s-tekton-flux');
      fs.rmSync(path.join(work, fs.readdirSync(work).find((f) => f.endsWith('-old-ci.k8s.yaml'))!));
      throw ioError('EIO');
    });
    expect(() => publish(dist, variantFiles('b'))).toThrow(new RegExp('failed \\(remove old\\.k8s\\.yaml: EIO: injected\\), and putting the old files back failed too .*' +
      `every file in it is whole, some of them new; synth again .*git checkout -- '${dist}'`));
    expect(publishProblems(snapshotDir(dist))).toEqual([]);
    expect(snapshotDir(dist)['ci.k8s.yaml']).toBe(variantFiles('b').get('ci.k8s.yaml'));
    expect(snapshotDir(dist)['flux-system.k8s.yaml']).toBe(variantFiles('a').get('flux-system.k8s.yaml'));
  });

  test('.git on another file system (EXDEV): the work files go beside the folder, and nothing is left there', () => {
    const { repo, dist } = repoWithDist();
    let failed = 0;
    setBeforeStep((s) => {
      if (s === 'rename ci.k8s.yaml' && !failed++) throw ioError('EXDEV');
    });
    publish(dist, variantFiles('b'));
    expect(failed).toBe(2);
    expect(snapshotDir(dist)).toEqual(Object.fromEntries(variantFiles('b')));
    expect(fs.readdirSync(repo).filter((f) => f !== '.git' && f !== 'dist')).toEqual([]);
    expect(fs.readdirSync(path.join(repo, '.git/cdk8s-tekton-flux'))).toEqual([]);
  });
});

describe('the publish lock', () => {
  const deadPid = () => {
    const r = spawnSync(process.execPath, ['-e', '']);
    expect(r.status).toBe(0);
    return r.pid!;
  };

  const takenOver: Array<[string, (file: string) => void]> = [
    ['an empty lock file (e.g. left after ENOSPC)', (file) => {
      fs.writeFileSync(file, '');
      fs.utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    }],
    ['an empty lock file written just now (after a second)', (file) => fs.writeFileSync(file, '')],
    ['a lock file of garbage', (file) => fs.writeFileSync(file, 'garbage\u0000\n')],
    ['the lock of a synth that is gone (a dead pid)', (file) => fs.writeFileSync(file, String(deadPid()))],
  ];
  test.each(takenOver)('%s is taken over', (_name, setUp) => {
    const { dist } = repoWithDist();
    try {
      setUp(lockFile(dist));
      const start = Date.now();
      publish(dist, variantFiles('b'), 10_000);
      expect(Date.now() - start).toBeLessThan(5_000);
      expect(snapshotDir(dist)).toEqual(Object.fromEntries(variantFiles('b')));
      expect(lockFiles(dist).filter((f) => !f.startsWith('.takeover-'))).toEqual([]);
    } finally {
      removeLockFiles(dist);
    }
  });

  test('a live holder: the publish waits, then fails naming the lock file and what to do, and dist/ is unchanged', async () => {
    const { dist } = repoWithDist();
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(lockFile(dist), `${holder.pid}\n`);
      const before = snapshotDir(dist);
      const file = lockFile(dist);
      expect(() => publish(dist, variantFiles('b'), 300)).toThrow(`another synth (pid ${holder.pid}) holds the publish lock '${file}' for '${dist}' ` +
        `and did not finish in 0.3s: wait for it, or stop it; if no synth is running (its pid was reused), remove '${file}' and synth again`);
      expect(snapshotDir(dist)).toEqual(before);
      expect(fs.readFileSync(file, 'utf8')).toBe(`${holder.pid}\n`);
    } finally {
      holder.kill('SIGKILL');
      removeLockFiles(dist);
    }
  });

  test('a lock path that is not a file: the error names it', () => {
    const { dist } = repoWithDist();
    fs.mkdirSync(lockFile(dist));
    try {
      expect(() => publish(dist, variantFiles('b'), 300)).toThrow(`the publish lock '${lockFile(dist)}' is not a file: remove it (no synth uses it), then synth again`);
      expect(snapshotDir(dist)).toEqual(Object.fromEntries(variantFiles('a')));
    } finally {
      fs.rmdirSync(lockFile(dist));
    }
  });

  test('synths that find the lock stale at once take it over one at a time, and the lock file is never seen empty', async () => {
    const dir = path.join(tempDir('publish-lock-'), 'dist');
    const marker = path.join(path.dirname(dir), 'holder');
    const go = path.join(path.dirname(dir), 'go');
    const dead = String(deadPid());
    const procs = [0, 1, 2, 3].map(() => spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', LOCK_CHILD, dir, marker, '24', go, dead], {
      cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.dev.json' },
    }));
    const stderr = procs.map(() => '');
    const seen = new Set<string>();
    try {
      await Promise.all(procs.map((p, i) => new Promise<void>((resolve) => {
        p.stderr!.on('data', (d) => (stderr[i] += d));
        p.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
      })));
      fs.writeFileSync(go, '');
      const watcher = setInterval(() => {
        try {
          const content = fs.readFileSync(lockFile(dir), 'utf8');
          seen.add(/^\d+$/.test(content) ? (content === dead ? 'dead pid' : 'pid') : JSON.stringify(content));
        } catch (e: any) {
          if (e.code !== 'ENOENT') throw e;
        }
      }, 1);
      const codes = await Promise.all(procs.map((p) => new Promise<number | null>((resolve) => {
        if (p.exitCode !== null) resolve(p.exitCode);
        else p.once('exit', (code) => resolve(code));
      })));
      clearInterval(watcher);
      expect({ codes, stderr }).toEqual({ codes: [0, 0, 0, 0], stderr: ['', '', '', ''] });
      expect(seen.has('""')).toBe(false);
      expect(seen.has('pid')).toBe(true);
      // each of the 4 × 12 stale locks was taken over once (one claim each, kept for a while), and nothing else is left
      expect(lockFiles(dir).filter((f) => /^\.takeover-\d+-[0-9a-f]+$/.test(f))).toHaveLength(48);
      expect(lockFiles(dir).filter((f) => !/^\.takeover-\d+-[0-9a-f]+$/.test(f))).toEqual([]);
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      removeLockFiles(dir);
    }
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

  /** Synthesizes `app(dist)` with CDK8S_OUTDIR set to `cli`. */
  function synthUnderCli(dist: string, cli: string) {
    process.env.CDK8S_OUTDIR = cli;
    try {
      app(dist).synth();
    } finally {
      delete process.env.CDK8S_OUTDIR;
    }
  }

  const overlapping: Array<[string, (dir: string) => { dist: string; cli: string }, RegExp]> = [
    ["cdk8s.yaml's `output: dist` with `outdir: 'dist/prod'` (the CLI empties dist/)", (dir) => ({ dist: path.join(dir, 'dist/prod'), cli: path.join(dir, 'dist') }),
      /cdk8s-cli's output folder '.*\/dist' holds '.*\/dist\/prod', the folder this app publishes: .*would leave the published folder empty or gone\. In cdk8s\.yaml set `output: \.cdk8s-staging\/cli` .*git checkout -- /],
    ['a folder above it', (dir) => ({ dist: path.join(dir, 'repo/dist'), cli: dir }), /holds '.*', the folder this app publishes/],
    ['a folder inside it', (dir) => ({ dist: path.join(dir, 'dist'), cli: path.join(dir, 'dist/cli') }),
      /cdk8s-cli's output folder '.*\/dist\/cli' is inside '.*\/dist', the folder this app publishes: .*a folder of copies.*In cdk8s\.yaml set `output: \.cdk8s-staging\/cli`.*then remove /],
    ['the same folder through a symbolic link', (dir) => {
      fs.mkdirSync(path.join(dir, 'real'));
      fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
      return { dist: path.join(dir, 'real/dist'), cli: path.join(dir, 'link') };
    }, /cdk8s-cli's output folder '.*\/link' holds '.*\/real\/dist'/],
  ];
  test.each(overlapping)("under cdk8s synth, cdk8s-cli's output folder holding or inside the published one: %s is refused before anything is written", (_name, setUp, message) => {
    const dir = tempDir('cli-');
    const { dist, cli } = setUp(dir);
    fs.mkdirSync(dist, { recursive: true });
    fs.writeFileSync(path.join(dist, 'ci.k8s.yaml'), 'old');
    const before = snapshotDir(dir);
    expect(() => synthUnderCli(dist, cli)).toThrow(message);
    expect(snapshotDir(dir)).toEqual(before);
  });

  test("under cdk8s synth, a sibling with a common prefix (dist2 beside dist) is cdk8s-cli's own: allowed", () => {
    const dir = tempDir('cli-');
    synthUnderCli(path.join(dir, 'dist'), path.join(dir, 'dist2'));
    expect(snapshotDir(path.join(dir, 'dist2'))).toEqual(snapshotDir(path.join(dir, 'dist')));
    expect(Object.keys(snapshotDir(path.join(dir, 'dist')))).toContain('ci.k8s.yaml');
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

/**
 * Publishing into the folder Flux reconciles, so that it can never be lost or half-written:
 * - the folder is never removed; each file is written in full elsewhere on the same file system, flushed,
 *   and renamed over its old version (atomic), then files of charts that no longer exist are removed: at
 *   every instant each file is complete, old or new;
 * - work files live where git never picks them up: in the repository's `.git/` folder (else beside the
 *   folder, outside any repository), and the next publish removes what a killed one left;
 * - one publish at a time per folder (a lock in the OS temp folder, taken over from a dead holder).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The files a publish writes: name → content. */
export type Files = Map<string, string>;

const WORK_PREFIX = '.cdk8s-tekton-flux-';

/**
 * Why GitOpsApp must not publish into `dir`, or undefined. It owns a folder that does not exist, is empty,
 * or holds only `*.yaml` files (what it writes); never the working folder or one above it, one holding
 * `.git`, or a file.
 */
export function ownershipProblem(dir: string): string | undefined {
  const cwd = process.cwd();
  const fix = "set GitOpsApp's outdir to a folder of its own, e.g. { outdir: 'dist' }";
  if (cwd === dir || cwd.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)) {
    return `outdir '${dir}' is the working folder or one above it: publishing there would delete everything in it; ${fix}`;
  }
  if (!fs.existsSync(dir)) return undefined;
  const stat = fs.lstatSync(dir);
  if (!stat.isDirectory()) return `outdir '${dir}' is a file, not a folder: ${fix}`;
  const foreign = fs.readdirSync(dir).filter((f) => {
    if (f === '.git') return true;
    const s = fs.lstatSync(path.join(dir, f));
    return !(s.isFile() && f.endsWith('.yaml'));
  });
  if (foreign.length) {
    return `outdir '${dir}' holds ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}, which GitOpsApp did not write ` +
      `(it owns the folder and removes what it did not write): move ${foreign.length > 1 ? 'them' : 'it'} out, or ${fix}`;
  }
  return undefined;
}

/** Where the work files of a publish into `dir` go: `.git/` of the repository holding it, else its parent. */
function workDir(dir: string): string {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const git = path.join(d, '.git');
    if (fs.existsSync(git) && fs.statSync(git).isDirectory()) return path.join(git, 'cdk8s-tekton-flux');
    if (path.dirname(d) === d) return path.dirname(dir);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: any) {
    return e.code === 'EPERM';
  }
}

function lock(dir: string, timeoutMs: number): () => void {
  const file = path.join(os.tmpdir(), `cdk8s-tekton-flux-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.lock`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(file, { force: true });
    } catch (e: any) {
      if (e.code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(file, 'utf8').trim() || NaN);
      if (!Number.isNaN(holder) && !alive(holder)) {
        fs.rmSync(file, { force: true }); // a publish that was killed: take over
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`another synth (pid ${holder}) is publishing into '${dir}' and did not finish in ${timeoutMs / 1000}s: wait for it, or stop it`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
}

/** A hook for the fault-injection tests: called before each file operation of a publish. @internal */
export let beforeStep: (step: string) => void = () => {};

/** Sets `beforeStep` (tests only). @internal */
export function setBeforeStep(hook: (step: string) => void): void {
  beforeStep = hook;
}

function writeAndRename(tmp: string, content: string, target: string) {
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  beforeStep(`rename ${path.basename(target)}`);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Makes `dir` hold exactly `files` (of the `*.yaml` files), safely (see the module doc). */
export function publish(dir: string, files: Files, lockTimeoutMs = 60_000): void {
  const release = lock(dir, lockTimeoutMs);
  try {
    const work = workDir(dir);
    fs.mkdirSync(work, { recursive: true });
    // what a killed publish left
    for (const f of fs.readdirSync(work)) {
      const pid = Number(/^\.cdk8s-tekton-flux-(\d+)-/.exec(f)?.[1]);
      if (f.startsWith(WORK_PREFIX) && !(pid && alive(pid) && pid !== process.pid)) fs.rmSync(path.join(work, f), { force: true });
    }
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, content] of files) {
      const target = path.join(dir, name);
      if (fs.existsSync(target) && fs.readFileSync(target, 'utf8') === content) continue;
      beforeStep(`write ${name}`);
      try {
        writeAndRename(path.join(work, `${WORK_PREFIX}${process.pid}-${name}`), content, target);
      } catch (e: any) {
        if (e.code !== 'EXDEV') throw e;
        // .git on another file system (a rare mount): the work file goes beside the folder instead
        writeAndRename(path.join(path.dirname(dir), `${WORK_PREFIX}${process.pid}-${name}`), content, target);
      }
    }
    for (const f of fs.readdirSync(dir)) {
      if (f.endsWith('.yaml') && !files.has(f)) {
        beforeStep(`remove ${f}`);
        fs.rmSync(path.join(dir, f), { force: true });
      }
    }
    try {
      const dfd = fs.openSync(dir, 'r');
      fs.fsyncSync(dfd);
      fs.closeSync(dfd);
    } catch {
      // a folder cannot be flushed on every platform; the renames are atomic regardless
    }
  } finally {
    release();
  }
}

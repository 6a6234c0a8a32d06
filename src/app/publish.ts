/**
 * Publishing into the folder Flux reconciles, so that it can never be lost or half-written:
 * - all or nothing: every new file is first written in full elsewhere on the same file system and flushed,
 *   and each old file it replaces (or that is removed, its chart gone) is kept there as a hard link (or a
 *   copy); only then are the new files renamed over the old ones (each rename atomic) and the stale ones
 *   removed. When an operation fails (ENOSPC, EIO…), those already done are undone from the kept old
 *   versions, so a synth that fails leaves every file as it was, byte for byte;
 * - a synth killed part-way (where nothing can be undone) leaves every file complete, old or new, and the
 *   next publish finishes the job;
 * - work files live where git never picks them up: in the repository's `.git/` folder (else beside the
 *   folder, outside any repository), and the next publish removes what a killed one left;
 * - one publish at a time per folder: a lock file in the OS temp folder, created whole (the pid written to a
 *   file of its own, then hard-linked to the lock's name: atomic, and the lock never exists empty). A lock
 *   whose holder is gone (its pid dead, or the file empty, unreadable or garbage, e.g. after ENOSPC) is taken
 *   over; two synths taking over at once cannot both win (see `takeOver`). Every lock error names the file.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareCodePoints } from '../internal/sort';

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
  const foreign = foreignEntries(dir, '');
  if (foreign.length) {
    return `outdir '${dir}' holds ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}, which GitOpsApp did not write ` +
      `(it owns the folder and removes what it did not write): move ${foreign.length > 1 ? 'them' : 'it'} out, or ${fix}`;
  }
  return undefined;
}

/**
 * What in `dir` GitOpsApp did not write and must not own: at its top, anything but `*.yaml` files and folders
 * (clusters'); a symbolic link anywhere. Inside the folders, what is not a `*.k8s.yaml` file (e.g. the
 * `flux-system/` that `flux bootstrap --path` commits into a cluster's folder) is left alone, never removed.
 */
function foreignEntries(dir: string, rel: string): string[] {
  return fs.readdirSync(path.join(dir, rel)).sort(compareCodePoints).flatMap((f) => {
    const name = rel ? `${rel}/${f}` : f;
    if (f === '.git') return [name];
    const s = fs.lstatSync(path.join(dir, name));
    if (s.isSymbolicLink()) return [name];
    if (s.isDirectory()) return foreignEntries(dir, name);
    return s.isFile() && (rel || f.endsWith('.yaml')) ? [] : [name];
  });
}

/**
 * The files below `dir` that GitOpsApp owns, as paths relative to it with '/': the `*.yaml` files at its top, and
 * the `*.k8s.yaml` files (what it writes) in the folders below, at any depth (cluster folders).
 */
function ownedFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) return ownedFiles(dir, name);
    return e.isFile() && e.name.endsWith(rel ? '.k8s.yaml' : '.yaml') ? [name] : [];
  });
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
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}

// ---------------------------------------------------------------------------------------------------------
// The lock

/** The lock file of publishes into `dir`. @internal */
export function lockFile(dir: string): string {
  return path.join(os.tmpdir(), `cdk8s-tekton-flux-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.lock`);
}

/** An empty lock file younger than this may be one that an older version of this library is still writing. */
const EMPTY_LOCK_GRACE_MS = 1_000;
/** Takeover claims are kept this long (a synth that judged the same stale lock earlier must not claim it again). */
const CLAIM_TTL_MS = 10 * 60_000;

/** A lock file as read: its inode, modification time and content, and the pid in it when it holds one. */
interface LockState {
  readonly ino: number;
  readonly mtimeMs: number;
  readonly content: string;
  readonly pid?: number;
}

const unique = () => `${process.pid}-${randomBytes(6).toString('hex')}`;

/**
 * Reads the lock file (undefined when there is none): inode, time and content of one and the same file (read
 * through one descriptor, while the name may be given to another file at any moment); a file that cannot be
 * read has content `<unreadable: CODE>`.
 */
function readLock(file: string): LockState | undefined {
  const notAFile = () => new Error(`the publish lock '${file}' is not a file: remove it (no synth uses it), then synth again`);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_NOFOLLOW ?? 'r'); // read-only (O_RDONLY is 0), not through a symbolic link
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    if (errno(e) === 'ELOOP') throw notAFile();
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch (e2) {
      if (errno(e2) === 'ENOENT') return undefined;
      throw e2;
    }
    if (!st.isFile()) throw notAFile();
    return { ino: st.ino, mtimeMs: st.mtimeMs, content: `<unreadable: ${errno(e) ?? messageOf(e)}>` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notAFile();
    let content: string;
    try {
      content = fs.readFileSync(fd, 'utf8');
    } catch (e) {
      content = `<unreadable: ${errno(e) ?? messageOf(e)}>`;
    }
    const pid = /^\s*([1-9]\d{0,9})\s*$/.exec(content)?.[1];
    return { ino: st.ino, mtimeMs: st.mtimeMs, content, pid: pid === undefined ? undefined : Number(pid) };
  } finally {
    fs.closeSync(fd);
  }
}

/** Why the lock in `state` has no live holder (then it may be taken over), or undefined when it is held. */
function staleness(state: LockState): string | undefined {
  if (state.pid !== undefined) return alive(state.pid) ? undefined : `its synth (pid ${state.pid}) is gone`;
  if (state.content === '') {
    return Date.now() - state.mtimeMs > EMPTY_LOCK_GRACE_MS ? 'it is empty (e.g. left by a full disk)' : undefined;
  }
  return state.content.startsWith('<unreadable') ? `it cannot be read (${state.content})` : 'it holds no pid';
}

/** The name of the claim to take over the lock file `file` in state `seen`: one per stale lock (its inode, time and content). */
function claimName(file: string, seen: LockState): string {
  return `${file}.takeover-${seen.ino}-${createHash('sha256').update(`${seen.mtimeMs}\n${seen.content}`).digest('hex').slice(0, 16)}`;
}

const sameLock = (a: LockState | undefined, b: LockState) => a !== undefined && a.ino === b.ino && a.content === b.content && a.mtimeMs === b.mtimeMs;

/**
 * Removes the stale lock `seen` from `file` unless another synth does; true when it did. Synths that judged
 * the same lock stale all get here: each tries to claim the takeover of that very lock (a file named after it,
 * created by hard-linking `mine`, the claimant's pid file), and only the one that got the claim renames the
 * lock file away. A claim whose synth died before it finished is broken while the stale lock is still there.
 * The rename moves whatever is at `file` at that instant, so the claimant checks that it moved the stale lock
 * (same inode, time and content: a fresh lock always holds a live pid), and links a fresh one back.
 * Claims are kept (removed after `CLAIM_TTL_MS`), so that a synth that judged the lock stale long ago cannot
 * claim it again.
 */
function takeOver(file: string, seen: LockState, mine: string): boolean {
  const claim = claimName(file, seen);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.linkSync(mine, claim);
      break;
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw e;
    }
    const claimant = readLock(claim);
    if (attempt > 0 || (claimant && (claimant.pid === undefined || alive(claimant.pid)))) return false; // being taken over
    if (!sameLock(readLock(file), seen)) return false; // taken over already
    // its claimant died while taking it over: break the claim (checking, as below, that it is that claim)
    const broken = `${claim}.broken-${unique()}`;
    try {
      fs.renameSync(claim, broken);
    } catch (e) {
      if (errno(e) === 'ENOENT') continue;
      throw e;
    }
    const moved = readLock(broken);
    if (claimant && !sameLock(moved, claimant)) {
      try {
        fs.linkSync(broken, claim); // a fresh claim: put it back
      } catch (e) {
        if (errno(e) !== 'EEXIST') throw e;
      }
      fs.rmSync(broken, { force: true });
      return false;
    }
    fs.rmSync(broken, { force: true });
  }
  const moved = `${file}.stale-${unique()}`;
  try {
    fs.renameSync(file, moved);
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
  if (sameLock(readLock(moved), seen)) {
    fs.rmSync(moved, { force: true });
    return true;
  }
  try {
    fs.linkSync(moved, file);
  } catch (e) {
    throw new Error(`the publish lock '${file}' was taken by two synths at once while a stale lock was taken over (${errno(e) ?? messageOf(e)}): ` +
      'stop the synths that are running, then synth again');
  } finally {
    fs.rmSync(moved, { force: true });
  }
  return false;
}

/** Removes what killed synths left beside the lock (pid files never linked, stale locks moved away) and old claims. */
function removeLockLeftovers(file: string): void {
  const base = path.basename(file);
  for (const f of fs.readdirSync(path.dirname(file))) {
    if (!f.startsWith(`${base}.`)) continue;
    const full = path.join(path.dirname(file), f);
    const pid = Number(/^\.(?:pid|stale|takeover-\d+-[0-9a-f]+\.broken)-(\d+)-/.exec(f.slice(base.length))?.[1]);
    try {
      if (pid ? !alive(pid) : /^\.takeover-\d+-[0-9a-f]+$/.test(f.slice(base.length)) && Date.now() - fs.lstatSync(full).mtimeMs > CLAIM_TTL_MS) {
        fs.rmSync(full, { force: true });
      }
    } catch {
      // another synth removed it
    }
  }
}

/**
 * Takes the lock of publishes into `dir`, waiting up to `timeoutMs` for a live holder; returns its release.
 * @internal
 */
export function lock(dir: string, timeoutMs: number): () => void {
  const file = lockFile(dir);
  const fail = (e: unknown): never => {
    throw new Error(`cannot take the publish lock '${file}' for '${dir}': ${messageOf(e)}: ` +
      `make room or fix permissions in ${path.dirname(file)} (or remove the lock file if no synth is running), then synth again`);
  };
  // the lock, complete before it has its name
  const mine = `${file}.pid-${unique()}`;
  let ino: number;
  try {
    const fd = fs.openSync(mine, 'wx');
    try {
      fs.writeSync(fd, String(process.pid));
      fs.fsyncSync(fd);
      ino = fs.fstatSync(fd).ino;
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    fs.rmSync(mine, { force: true });
    return fail(e);
  }
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        fs.linkSync(mine, file);
        break;
      } catch (e) {
        if (errno(e) !== 'EEXIST') fail(e);
      }
      let state: LockState | undefined;
      let stale: string | undefined;
      try {
        state = readLock(file);
        if (!state) continue; // released just now
        stale = staleness(state);
        if (stale && takeOver(file, state, mine)) continue;
      } catch (e) {
        if (errno(e)) fail(e); // an error of the file system (e.g. EPERM on another user's lock)
        throw e;
      }
      if (Date.now() > deadline) {
        const seconds = `${timeoutMs / 1000}s`;
        if (stale) {
          throw new Error(`the publish lock '${file}' for '${dir}' is stale (${stale}), but another synth has been taking it over for more than ` +
            `${seconds}: if no synth is running, remove '${file}' and '${file}.takeover-*', then synth again`);
        }
        const holder = state.pid !== undefined ? `another synth (pid ${state.pid})` : 'another synth (its lock file is still being written)';
        throw new Error(`${holder} holds the publish lock '${file}' for '${dir}' and did not finish in ${seconds}: ` +
          `wait for it, or stop it; if no synth is running (its pid was reused), remove '${file}' and synth again`);
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  } finally {
    fs.rmSync(mine, { force: true });
  }
  try {
    removeLockLeftovers(file);
  } catch {
    // only tidying
  }
  return () => {
    try {
      if (fs.lstatSync(file).ino === ino) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}

// ---------------------------------------------------------------------------------------------------------
// The publish

/** A hook for the fault-injection tests: called before each file operation of a publish. @internal */
export let beforeStep: (step: string) => void = () => {};

/** Sets `beforeStep` (tests only). @internal */
export function setBeforeStep(hook: (step: string) => void): void {
  beforeStep = hook;
}

/** Writes `content` into a new file and flushes it. */
function writeFlushed(file: string, content: string): void {
  const fd = fs.openSync(file, 'wx');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Keeps the file `target` as `backup`: a hard link (no copy, and exactly its bytes), else a flushed copy. */
function keep(target: string, backup: string): void {
  try {
    fs.linkSync(target, backup);
  } catch (e) {
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(errno(e) ?? '')) throw e;
    writeFlushed(backup, fs.readFileSync(target, 'utf8')); // a file system without hard links
  }
}

function flushFolder(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // a folder cannot be flushed on every platform; the renames are atomic regardless
  }
}

/** Removes the work files in `work` that no live publish (but this one) is using: what a killed publish left. */
function removeWorkLeftovers(work: string): void {
  if (!fs.existsSync(work)) return;
  for (const f of fs.readdirSync(work)) {
    const pid = Number(/^\.cdk8s-tekton-flux-(\d+)-/.exec(f)?.[1]);
    if (f.startsWith(WORK_PREFIX) && !(pid && alive(pid) && pid !== process.pid)) fs.rmSync(path.join(work, f), { force: true });
  }
}

class PublishError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/**
 * One attempt to publish with work files in `work`. Throws `{ exdev: true }` when `work` is on another file
 * system than `dir` and nothing in `dir` was changed (the caller tries again with work files beside `dir`).
 */
function publishVia(dir: string, work: string, files: Files): void {
  const tag = `${WORK_PREFIX}${process.pid}-`;
  const created: string[] = []; // work files, removed at the end whatever happens
  const changes: Array<{ name: string; next: string; old?: string }> = [];
  const stale: Array<{ name: string; old: string }> = [];
  const done: Array<() => void> = []; // how to undo each operation done in `dir`, in order
  let step = '';
  try {
    // 1. everything new written and flushed, everything old kept: nothing in `dir` changes yet
    for (const [name, content] of files) {
      const target = path.join(dir, name);
      const exists = fs.existsSync(target);
      if (exists && fs.readFileSync(target, 'utf8') === content) continue;
      step = `write ${name}`;
      beforeStep(step);
      const change: { name: string; next: string; old?: string } = { name, next: path.join(work, `${tag}new-${flat(name)}`) };
      created.push(change.next);
      writeFlushed(change.next, content);
      if (exists) {
        change.old = path.join(work, `${tag}old-${flat(name)}`);
        created.push(change.old);
        keep(target, change.old);
      }
      changes.push(change);
    }
    for (const f of ownedFiles(dir)) {
      if (!files.has(f)) {
        step = `keep ${f}`;
        const old = path.join(work, `${tag}old-${flat(f)}`);
        created.push(old);
        keep(path.join(dir, f), old);
        stale.push({ name: f, old });
      }
    }
    // 2. the new files renamed in, the stale ones removed
    for (const { name, next, old } of changes) {
      step = `rename ${name}`;
      beforeStep(step);
      const target = path.join(dir, name);
      fs.mkdirSync(path.dirname(target), { recursive: true }); // a cluster's folder (left in place if undone: empty, harmless)
      fs.renameSync(next, target);
      done.push(old ? () => fs.renameSync(old, target) : () => fs.rmSync(target, { force: true }));
    }
    for (const { name, old } of stale) {
      step = `remove ${name}`;
      beforeStep(step);
      const target = path.join(dir, name);
      fs.rmSync(target);
      done.push(() => fs.renameSync(old, target));
    }
    for (const folder of new Set([...changes, ...stale].map((c) => path.dirname(path.join(dir, c.name))))) {
      if (fs.existsSync(folder)) flushFolder(folder);
    }
    flushFolder(dir);
    removeEmptyFolders(dir);
  } catch (e) {
    if (errno(e) === 'EXDEV' && !done.length) throw Object.assign(new Error(messageOf(e)), { exdev: true });
    const undone = undo(done);
    if (undone) {
      throw new PublishError(`publishing into '${dir}' failed (${step}: ${messageOf(e)}), and putting the old files back failed too ` +
        `(${undone.message}): every file in it is whole, some of them new; synth again once the cause is fixed (it finishes the job), ` +
        `or restore the folder from git: git checkout -- '${dir}'`, errno(e));
    }
    throw new PublishError(`publishing into '${dir}' failed (${step}: ${messageOf(e)}); every file in it is as it was before this synth: ` +
      'fix the cause (e.g. free disk space) and synth again', errno(e));
  } finally {
    for (const f of created) {
      try {
        fs.rmSync(f, { force: true });
      } catch {
        // the next publish removes it
      }
    }
  }
}

/** A relative path as one short file name (work files live in one flat folder): a hash of it, and its base name. */
function flat(name: string): string {
  if (!name.includes('/')) return name;
  return `${createHash('sha256').update(name).digest('hex').slice(0, 16)}-${path.basename(name).slice(0, 100)}`;
}

/** Removes the folders below `dir` that hold nothing (a cluster that is gone): best effort, once all is published. */
function removeEmptyFolders(dir: string, rel = ''): void {
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const name = rel ? `${rel}/${e.name}` : e.name;
    removeEmptyFolders(dir, name);
    try {
      fs.rmdirSync(path.join(dir, name));
    } catch {
      // not empty
    }
  }
}

/** Undoes the operations in `done`, the last first; returns the first failure (after trying all), or undefined. */
function undo(done: Array<() => void>): Error | undefined {
  let failure: Error | undefined;
  for (const op of [...done].reverse()) {
    try {
      op();
    } catch (e) {
      failure ??= e as Error;
    }
  }
  return failure;
}

/** Makes `dir` hold exactly `files` (of the `*.yaml` files), all or nothing (see the module doc). */
export function publish(dir: string, files: Files, lockTimeoutMs = 60_000): void {
  const release = lock(dir, lockTimeoutMs);
  try {
    const work = workDir(dir);
    const beside = path.dirname(dir);
    fs.mkdirSync(work, { recursive: true });
    removeWorkLeftovers(work);
    if (work !== beside) removeWorkLeftovers(beside);
    fs.mkdirSync(dir, { recursive: true });
    try {
      publishVia(dir, work, files);
    } catch (e) {
      if (!(e as { exdev?: boolean }).exdev) throw e;
      // .git on another file system (a rare mount): the work files go beside the folder instead
      publishVia(dir, beside, files);
    }
  } finally {
    release();
  }
}

/** The code of a Node.js system error (`ENOENT`, `EEXIST`, …) that `fs` threw; undefined for anything else. */
function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** What an error says (its message; the value itself for a throw of something else). */
function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

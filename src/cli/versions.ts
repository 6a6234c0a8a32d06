/**
 * `cdk8s-tekton-flux versions [config-repo-dir]`: which version of each app each environment of a config
 * repository runs, as its promotion markers say, and the commit that set it.
 *
 * One definition of a marker: the lines are read by the promotion steps' own scanner (patterns/promotion-scripts/
 * scan.awk, `SCAN_MODE=scan`), run with awk as the steps run it, so a marker the steps refuse is refused here
 * with the same words, and one they read is read the same. The repository is read at a commit (`HEAD`, or `--ref`)
 * with git, never the working tree: what Flux applies is what is committed.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { compareCodePoints } from '../internal/sort';
import { problem } from '../problems';

/** The promotion steps' marker scanner. */
const SCAN_AWK = path.join(__dirname, '..', 'patterns', 'promotion-scripts', 'scan.awk');
/** Every git call ends within this (a repository on a stalled network file system must not hang the command). */
const GIT_TIMEOUT_MS = 120_000;
/** Every scan of one file ends within this. */
const AWK_TIMEOUT_MS = 30_000;
/** The most output read from one git or awk call. */
const MAX_BUFFER = 256 * 1024 * 1024;
/** The marker's key, as the scanner finds it (`"$promotion"` and the app's quoted name on one line). */
const KEY = '"$promotion"';
/** An app's name: a DNS label, as `Promotion` and the steps check it. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A commit, as `git blame` names it. */
export interface MarkerCommit {
  /** The full object name. */
  readonly sha: string;
  /** The author's name. */
  readonly author: string;
  /** The author's email address. */
  readonly email: string;
  /** The author date, ISO 8601 in UTC. */
  readonly date: string;
  /** The first line of the message. */
  readonly subject: string;
}

/** One marked field. */
export interface Marker {
  /** Its file, relative to the repository's root. */
  readonly file: string;
  /** Its line (1-based). */
  readonly line: number;
  /** The commit that last changed the line (its full object name). */
  readonly commit: string;
}

/** The version one app runs in one environment. */
export interface EnvironmentVersion {
  /** The app (the marker's name). */
  readonly app: string;
  /** The environment: the folder of the marked files, relative to the repository's root (`.` for the root). */
  readonly environment: string;
  /** The marked value. */
  readonly version: string;
  /** The commit that set it: the newest of its markers' commits. */
  readonly commit: MarkerCommit;
  /** Every marked field of the app in the environment (all hold the version). */
  readonly markers: Marker[];
}

/** What `versions` read. */
export interface VersionsReport {
  /** The repository's root folder. */
  readonly repository: string;
  /** The commit read (the full object name of `--ref`). */
  readonly commit: string;
  /** One entry per app and environment, by app and environment. */
  readonly versions: EnvironmentVersion[];
  /** Markers that are malformed or ambiguous, as `file:line: what is wrong` (empty when the report holds). */
  readonly problems: string[];
}

/** Why `versions` cannot read the repository at all (not a repository, an unknown ref, no git). */
export class VersionsError extends Error {}

interface Options {
  /**
   * The commit to read.
   * @default 'HEAD'
   */
  readonly ref?: string;
}

/** Reads the marked versions of the repository that holds `dir` (only below `dir`) at `ref`. */
export function readVersions(dir: string, options: Options = {}): VersionsReport {
  const ref = options.ref ?? 'HEAD';
  // eslint-disable-next-line no-control-regex
  if (ref.startsWith('-') || /[\x00-\x20\x7f]/.test(ref)) throw new VersionsError(`--ref '${printable(ref)}' is not a commit: give e.g. HEAD, main or a commit's hash`);
  let root: string;
  let prefix: string;
  try {
    [root, prefix] = git(dir, ['rev-parse', '--show-toplevel', '--show-prefix']).toString('utf8').split('\n');
  } catch (e) {
    throw new VersionsError(`${dir} is not in a git repository (${gitMessage(e)}): give the folder of a clone of the config repository`);
  }
  let commit: string;
  try {
    commit = git(root, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).toString('utf8').trim();
  } catch (e) {
    throw new VersionsError(`${printable(ref)} is not a commit of ${root} (${gitMessage(e) || 'unknown revision'})`);
  }
  const problems: string[] = [];
  const files = markedFiles(root, commit, prefix);
  const contents = blobs(root, commit, files.filter((f) => !badName(f)));
  /** The well-formed markers: app → folder → markers with their values. */
  const found = new Map<string, Map<string, Array<{ file: string; line: number; value: string }>>>();
  /** Files that are not *.yaml or *.yml and name an app's marker: refused inside that app's environments. */
  const others: Array<{ file: string; line: number; app: string }> = [];
  for (const file of files) {
    if (badName(file)) {
      problems.push(problem('invalid-path', `${JSON.stringify(file)}: a file name with a control character: rename it (promotion refuses such names too)`));
      continue;
    }
    const content = contents.get(file)!;
    const yaml = /\.ya?ml$/.test(file);
    // a file that is not YAML (a README that explains the marker) is no manifest: its mentions are problems only
    // where they sit in an environment of the app they name (below)
    const apps = appsOf(file, content, yaml ? problems : []);
    if (!yaml) {
      for (const [app, line] of apps) others.push({ file, line, app });
      continue;
    }
    for (const app of new Set(apps.map(([a]) => a))) {
      for (const scanned of scan(file, content, app)) {
        if (scanned.kind === 'E') {
          problems.push(problem('malformed-marker', `${file}:${scanned.line}: ${scanned.text}`));
          continue;
        }
        const folder = path.posix.dirname(file);
        const byFolder = found.get(app) ?? new Map();
        found.set(app, byFolder);
        byFolder.set(folder, [...(byFolder.get(folder) ?? []), { file, line: scanned.line, value: scanned.text }]);
      }
    }
  }
  for (const o of others) {
    const env = [...(found.get(o.app)?.keys() ?? [])].find((folder) => folder === '.' || o.file.startsWith(`${folder}/`));
    if (env !== undefined) {
      problems.push(problem('ignored-marker', `${o.file}:${o.line}: marks '${o.app}' in environment ${env}, but only *.yaml and *.yml files are read (promotion ` +
        'would leave it behind): rename the file, or remove the marker'));
    }
  }
  for (const [app, byFolder] of found) {
    for (const [folder, markers] of byFolder) {
      const values = [...new Set(markers.map((m) => m.value))];
      if (values.length > 1) {
        problems.push(problem('conflicting-versions', `${folder}: app '${app}' has ${values.length} different marked values (` +
          `${markers.map((m) => `${m.value} at ${m.file}:${m.line}`).join(', ')}): promotion wants exactly one per environment; set them all to one`));
      }
    }
  }
  if (found.size === 0 && problems.length === 0) {
    problems.push(problem('no-markers', `${prefix ? prefix.replace(/\/$/, '') : root}: no field is marked # {"$promotion": "<app>"} at ${printable(ref)} ` +
      '(mark the field each environment\'s version is in, e.g. `newTag: 1.4.2 # {"$promotion": "web"}`)'));
  }
  if (problems.length) return { repository: root, commit, versions: [], problems };

  const commits = blame(root, commit, [...found.values()].flatMap((byFolder) => [...byFolder.values()].flat()));
  const versions: EnvironmentVersion[] = [];
  for (const app of [...found.keys()].sort(compareCodePoints)) {
    const byFolder = found.get(app)!;
    for (const folder of [...byFolder.keys()].sort(compareCodePoints)) {
      const markers = byFolder.get(folder)!.map((m) => ({ file: m.file, line: m.line, commit: commits.get(`${m.file}:${m.line}`)!.commit.sha }));
      const newest = byFolder.get(folder)!.map((m) => commits.get(`${m.file}:${m.line}`)!).sort((a, b) => b.time - a.time)[0];
      versions.push({ app, environment: folder, version: byFolder.get(folder)![0].value, commit: newest.commit, markers });
    }
  }
  return { repository: root, commit, versions, problems };
}

/** The report as a table: app, environment, version, and the commit that set it. */
export function versionsTable(report: VersionsReport): string {
  const rows = [['APP', 'ENVIRONMENT', 'VERSION', 'COMMIT', 'DATE', 'AUTHOR', 'SUBJECT'], ...report.versions.map((v) => [
    v.app, v.environment, v.version, v.commit.sha.slice(0, 12), v.commit.date.slice(0, 10), v.commit.author, v.commit.subject,
  ].map(printable))];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

/** A name the scan cannot take (a line break would split it, a tab would forge a field of the scanner's output). */
function badName(file: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(file);
}

/** Text with control characters shown as `?` (names and subjects come from the repository: no terminal escapes). */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f\x9b]/g, '?');
}

/** Runs git in `cwd` with a deadline; stdout. */
function git(cwd: string, args: string[], input?: string): Buffer {
  return execFileSync('git', ['-c', 'core.fsmonitor=false', ...args], {
    cwd,
    input,
    timeout: GIT_TIMEOUT_MS,
    maxBuffer: MAX_BUFFER,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' },
  });
}

/** What a failed git call said (its first line of stderr), or why it did not run. */
function gitMessage(e: unknown): string {
  const error = e as { code?: string; signal?: string; stderr?: Buffer };
  if (error.code === 'ENOENT') return 'git is not installed';
  if (error.signal === 'SIGTERM') return `git did not finish within ${GIT_TIMEOUT_MS / 1000} s`;
  return printable(error.stderr?.toString('utf8').trim().split('\n')[0] ?? String(e));
}

/** The files of `commit` below `prefix` that mention the marker's key. */
function markedFiles(root: string, commit: string, prefix: string): string[] {
  let out: Buffer;
  try {
    out = git(root, ['grep', '-z', '-l', '-F', '-e', KEY, commit, '--', ...(prefix ? [`:(top,literal)${prefix}`] : [])]);
  } catch (e) {
    if ((e as { status?: number }).status === 1) return []; // no match
    throw new VersionsError(`git grep in ${root}: ${gitMessage(e)}`);
  }
  return out.toString('utf8').split('\0').filter((f) => f !== '').map((f) => f.slice(commit.length + 1));
}

/** The files' bytes at `commit` (one `git cat-file --batch`). */
function blobs(root: string, commit: string, files: string[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (files.length === 0) return out;
  let batch: Buffer;
  try {
    batch = git(root, ['cat-file', '--batch'], files.map((f) => `${commit}:${f}\n`).join(''));
  } catch (e) {
    throw new VersionsError(`git cat-file in ${root}: ${gitMessage(e)}`);
  }
  let at = 0;
  for (const file of files) {
    const end = batch.indexOf(0x0a, at);
    const header = batch.subarray(at, end).toString('utf8');
    const m = /^[0-9a-f]+ blob (\d+)$/.exec(header);
    if (!m) throw new VersionsError(`git cat-file in ${root}: ${file} is not a file at ${commit} (${printable(header)})`);
    out.set(file, batch.subarray(end + 1, end + 1 + Number(m[1])));
    at = end + 1 + Number(m[1]) + 1;
  }
  return out;
}

/**
 * The apps whose marker a file's lines name (`[app, line]` per mention); a line with the key but no app, or an
 * app that is no DNS label, is a problem.
 */
function appsOf(file: string, content: Buffer, problems: string[]): Array<[string, number]> {
  const apps: Array<[string, number]> = [];
  // bytes as latin1: one character per byte, so the line numbers and the scanner's agree
  content.toString('latin1').split('\n').forEach((text, i) => {
    if (!text.includes(KEY)) return;
    const named = [...text.matchAll(/"\$promotion"\s*:\s*"([^"]*)"/g)].map((m) => m[1]);
    if (named.length === 0) {
      problems.push(problem('malformed-marker', `${file}:${i + 1}: mentions "$promotion" but names no app: the marker is exactly # {"$promotion": "<app>"}`));
    }
    for (const app of named) {
      if (DNS_LABEL.test(app)) apps.push([app, i + 1]);
      else problems.push(problem('invalid-name', `${file}:${i + 1}: the app '${printable(app)}' is not a DNS label (lowercase letters, digits and '-')`));
    }
  });
  return apps;
}

/** The scanner's findings for one app in one file: `V` (a value) or `E` (why the marker is refused), by line. */
function scan(file: string, content: Buffer, app: string): Array<{ kind: 'V' | 'E'; line: number; text: string }> {
  let out: string;
  try {
    out = execFileSync('awk', ['-f', SCAN_AWK], {
      input: content,
      timeout: AWK_TIMEOUT_MS,
      maxBuffer: MAX_BUFFER,
      stdio: ['pipe', 'pipe', 'pipe'],
      // the scanner's input is its environment (never -v, which would interpret backslashes); the file is named '-'
      // here, so that no name can forge a field of its output; C locale, as the steps run it (bytes, not characters)
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', SCAN_MODE: 'scan', SCAN_FILE: '-', APP: app, MARKER: `# {"$promotion": "${app}"}` },
    }).toString('latin1');
  } catch (e) {
    const error = e as { code?: string; signal?: string; stderr?: Buffer };
    const why = error.code === 'ENOENT' ? 'awk is not installed' : error.signal === 'SIGTERM' ? `it took longer than ${AWK_TIMEOUT_MS / 1000} s`
      : printable(error.stderr?.toString('utf8').trim() ?? String(e));
    throw new VersionsError(`could not scan ${file}: ${why}`);
  }
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const [kind, , line, ...text] = l.split('\t');
    if ((kind !== 'V' && kind !== 'E') || !/^[0-9]+$/.test(line)) throw new VersionsError(`could not scan ${file}: unexpected scanner output`);
    return { kind, line: Number(line), text: text.join('\t') };
  });
}

/** The commit that last changed each marked line (`file:line` → commit), by `git blame --porcelain` per file. */
function blame(root: string, commit: string, markers: Array<{ file: string; line: number }>): Map<string, { commit: MarkerCommit; time: number }> {
  const byFile = new Map<string, number[]>();
  for (const m of markers) byFile.set(m.file, [...(byFile.get(m.file) ?? []), m.line]);
  const out = new Map<string, { commit: MarkerCommit; time: number }>();
  for (const [file, lines] of byFile) {
    let porcelain: string;
    try {
      porcelain = git(root, ['blame', '--porcelain', ...lines.flatMap((n) => ['-L', `${n},${n}`]), commit, '--', file]).toString('utf8');
    } catch (e) {
      throw new VersionsError(`git blame ${file}: ${gitMessage(e)}`);
    }
    const commits = new Map<string, Map<string, string>>();
    let current: Map<string, string> | undefined;
    let finalLine = 0;
    let sha = '';
    for (const text of porcelain.split('\n')) {
      const header = /^([0-9a-f]{40,64}) \d+ (\d+)(?: \d+)?$/.exec(text);
      if (header) {
        sha = header[1];
        finalLine = Number(header[2]);
        current = commits.get(sha) ?? new Map<string, string>();
        commits.set(sha, current);
      } else if (text.startsWith('\t')) {
        const info = commits.get(sha)!;
        const time = Number(info.get('committer-time') ?? 0);
        out.set(`${file}:${finalLine}`, {
          time,
          commit: {
            sha,
            author: info.get('author') ?? '',
            email: (info.get('author-mail') ?? '').replace(/^<|>$/g, ''),
            date: new Date(Number(info.get('author-time') ?? 0) * 1000).toISOString().replace(/\.000Z$/, 'Z'),
            subject: info.get('summary') ?? '',
          },
        });
      } else if (current) {
        const space = text.indexOf(' ');
        if (space > 0) current.set(text.slice(0, space), text.slice(space + 1));
      }
    }
  }
  return out;
}

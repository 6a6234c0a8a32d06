import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The tools the promotion scripts use from their images (alpine/git, curlimages/curl): BusyBox applets. */
const APPLETS = ['sh', 'awk', 'sed', 'grep', 'find', 'sort', 'head', 'tr', 'cut', 'cat', 'rm', 'mkdir', 'mv', 'cp', 'base64',
  'timeout', 'sleep', 'mktemp', 'printf', 'pwd', 'echo', 'test', '[', 'wc', 'uniq', 'env', 'ls', 'touch', 'basename', 'dirname', 'expr', 'true', 'false'];

let cached: string | undefined;

/**
 * A folder to use as the only PATH of a script under test: BusyBox's applets (the tools of the Alpine-based
 * images the steps run in), and the real `git` and `curl` (which those images ship). No GNU tool is on it, so
 * a script that relies on one fails here as it would in the pod. BusyBox must be installed: it is, by
 * `apt-get install busybox` (CI installs it; see the README's commands).
 */
export function busyboxPath(): string {
  if (cached) return cached;
  const busybox = which('busybox');
  if (!busybox) {
    throw new Error('BusyBox is not installed: the promotion scripts are tested with the tools of the images they run in. ' +
      'Install it (Debian/Ubuntu: apt-get install -y busybox) and run the tests again');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'busybox-path-'));
  const available = new Set(execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n'));
  for (const applet of APPLETS) {
    if (!available.has(applet)) throw new Error(`this BusyBox has no '${applet}' applet, which the images' BusyBox has`);
    fs.symlinkSync(busybox, path.join(dir, applet));
  }
  for (const tool of ['git', 'curl']) {
    const real = which(tool);
    if (!real) throw new Error(`'${tool}' is not installed: the promotion tests run the real one, as the images ship it`);
    fs.symlinkSync(real, path.join(dir, tool));
  }
  cached = dir;
  return dir;
}

function which(tool: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(d, tool);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

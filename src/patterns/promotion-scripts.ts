/**
 * The scripts of the steps this library writes (promotion, commit status). They live as files beside this module (`promotion-scripts/`), so that they
 * read as the shell they are, and are put together here into each step's `script`: a shebang, the result
 * paths (Tekton's own, substituted as text), what every step shares, and the step's own part. The tests run
 * exactly these scripts under BusyBox, the tools of the images they run in.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The images the scripts run in, pinned: git and BusyBox (read, promote); curl and BusyBox (pull requests, commit statuses). */
export const GIT_IMAGE = 'alpine/git:2.45.2';
export const CURL_IMAGE = 'curlimages/curl:8.10.1';

const DIR = path.join(__dirname, 'promotion-scripts');
const part = (name: string) => fs.readFileSync(path.join(DIR, name), 'utf8');

/** The marker scanner as a shell function that writes it to a file (a quoted heredoc: nothing is expanded in it). */
function scanner(): string {
  const awk = part('scan.awk');
  if (awk.split('\n').includes('SCAN_AWK')) throw new Error('scan.awk holds its own heredoc delimiter');
  return `write_scanner() {\n  cat > "$1" <<'SCAN_AWK'\n${awk.endsWith('\n') ? awk : `${awk}\n`}SCAN_AWK\n}\n`;
}

/** A step's script: `results` maps shell variables to the result paths the step writes. */
function script(parts: string[], results: { [variable: string]: string }): string {
  const paths = Object.entries(results).map(([v, p]) => `${v}=${p}\n`).join('');
  return ['#!/bin/sh\n', paths, ...parts.map(part)].join('');
}

/** The script that reads the version an environment runs at a revision (alpine/git). */
export function readVersionScript(versionPath: string): string {
  return script(['common.sh'], { VERSION_RESULT: versionPath }) + scanner() + part('git.sh') + part('read-version.sh');
}

/** The script that writes a version into an environment's markers and pushes it (alpine/git). */
export function promoteScript(pushedPath: string): string {
  return script(['common.sh'], { PUSHED_RESULT: pushedPath }) + scanner() + part('git.sh') + part('promote.sh');
}

/**
 * The script that sets an environment back to the version it ran before the one whose verification failed, and
 * pushes it (or the branch of a request), or does nothing when that is not safe (alpine/git).
 */
export function rollbackScript(rolledBackPath: string): string {
  return script(['common.sh'], { ROLLED_BACK_RESULT: rolledBackPath }) + scanner() + part('git.sh') + part('rollback.sh');
}

/** The script that opens or updates the pull request for the pushed branch (curlimages/curl). */
export function openPullRequestScript(): string {
  return script(['common.sh', 'http.sh', 'open-pull-request.sh'], {});
}

/** The script that posts a run's commit status (curlimages/curl). */
export function commitStatusScript(): string {
  return script(['common.sh', 'http.sh', 'commit-status.sh'], {});
}

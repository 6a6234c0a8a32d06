import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SOAK_CLOCK_SCRIPT } from '../../src/patterns/soak-clock';
import { tempDir } from '../util';

/**
 * The soak clock's real script under BusyBox (the flux-cli image is Alpine: BusyBox's sh, awk and date), with
 * `kubectl` played by a small script that answers the `get` with the runs given and records each `patch`. Under
 * the real API server and Tekton's controller, `npm run e2e` (TestPromotionGates) runs the same script.
 */
function clockPath(): string {
  const dir = tempDir('soak-clock-path-');
  const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
  for (const applet of ['sh', 'awk', 'date', 'printf', 'cat', 'echo']) fs.symlinkSync(busybox, path.join(dir, applet));
  fs.writeFileSync(path.join(dir, 'kubectl'), [
    '#!/bin/sh',
    'shift # --cache-dir',
    'case "$1" in',
    '  get) printf \'%s\\n\' "$*" >> "$LOG"; cat "$RUNS" ;;',
    '  patch) printf \'%s\\n\' "$*" >> "$LOG"; exit "${PATCH_EXIT:-0}" ;;',
    '  *) echo "unexpected kubectl $*" >&2; exit 2 ;;',
    'esac',
    '',
  ].join('\n'), { mode: 0o755 });
  return dir;
}

const PATH = clockPath();

/** Runs the clock with these runs (name|created|spec.status lines); returns its output and the kubectl calls. */
function tick(runs: string[], env: { [name: string]: string } = {}) {
  const dir = tempDir('soak-clock-');
  const runsFile = path.join(dir, 'runs');
  const log = path.join(dir, 'log');
  fs.writeFileSync(runsFile, runs.join('\n'));
  fs.writeFileSync(log, '');
  const r = spawnSync(path.join(PATH, 'sh'), ['-c', SOAK_CLOCK_SCRIPT], {
    encoding: 'utf8',
    env: {
      PATH,
      RUNS: runsFile,
      LOG: log,
      SOAK: '3600',
      FROM: 'staging',
      STEP: 'staging to production',
      SELECTOR: 'cdk8s-tekton-flux/app=web,cdk8s-tekton-flux/from=staging',
      ...env,
    },
  });
  const calls = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { status: r.status, out: r.stdout + r.stderr, calls, patched: calls.filter((c) => c.startsWith('patch')).map((c) => c.split(' ')[2]) };
}

/** An RFC 3339 UTC time `seconds` ago, as the API server writes creationTimestamp. */
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

describe('soak clock: starts exactly the pending runs whose soak is over', () => {
  test('a run pending for longer than the soak is started by one guarded JSON patch; a younger one waits, and says how long', () => {
    const r = tick([`due|${ago(3700)}|PipelineRunPending`, `young|${ago(600)}|PipelineRunPending`]);
    expect(r.status).toBe(0);
    expect(r.patched).toEqual(['due']);
    expect(r.calls[0]).toBe('get pipelineruns -l cdk8s-tekton-flux/app=web,cdk8s-tekton-flux/from=staging -o ' +
      'jsonpath={range .items[*]}{.metadata.name}{"|"}{.metadata.creationTimestamp}{"|"}{.spec.status}{"\\n"}{end}');
    // the patch tests the field first: a run cancelled (or started) meanwhile is not touched
    expect(r.calls[1]).toBe('patch pipelinerun due --type=json -p ' +
      '[{"op":"test","path":"/spec/status","value":"PipelineRunPending"},{"op":"remove","path":"/spec/status"}]');
    expect(r.out).toContain('due: staging has run its version for 3600 s: started');
    const left = Number(/young waits (\d+) s more/.exec(r.out)?.[1]);
    expect(left).toBeGreaterThanOrEqual(2990);
    expect(left).toBeLessThanOrEqual(3010);
  });

  test('started, cancelled and finished runs are left alone; nothing pending says so', () => {
    const r = tick([`started|${ago(7200)}|`, `cancelled|${ago(7200)}|CancelledRunFinally`, `stopped|${ago(7200)}|Cancelled`]);
    expect(r.patched).toEqual([]);
    expect(r.out).toContain('no run of staging to production is waiting out its soak');
  });

  test('a soak interrupted by a newer revision does not promote the older version: its run, cancelled by the newer, is never started', () => {
    // the newer revision's run was created pending; its canceller set the older (waiting) run CancelledRunFinally
    const r = tick([`older|${ago(7200)}|CancelledRunFinally`, `newer|${ago(600)}|PipelineRunPending`]);
    expect(r.patched).toEqual([]);
    expect(r.out).toMatch(/newer waits \d+ s more/);
    // once the newer run's own soak is over, it (and only it) starts
    expect(tick([`older|${ago(7200)}|CancelledRunFinally`, `newer|${ago(3700)}|PipelineRunPending`]).patched).toEqual(['newer']);
  });

  test('the date arithmetic holds across leap days, month and year ends (BusyBox awk against the real clock)', () => {
    for (const created of ['2024-02-29T23:59:59Z', '2023-12-31T23:59:59Z', '2024-03-01T00:00:00Z', '2000-02-29T12:00:00Z', '2026-01-01T00:00:00Z']) {
      const age = Math.floor((Date.now() - Date.parse(created)) / 1000);
      // the soak ends 100 s from now: waits, ~100 s; ends 100 s ago: started
      const waiting = tick([`r|${created}|PipelineRunPending`], { SOAK: String(age + 100) });
      const left = Number(/r waits (\d+) s more/.exec(waiting.out)?.[1]);
      expect([created, left >= 95 && left <= 101]).toEqual([created, true]);
      expect(tick([`r|${created}|PipelineRunPending`], { SOAK: String(age - 100) }).patched).toEqual(['r']);
    }
  });

  test('a patch that fails (the run finished meanwhile) is reported, not an error', () => {
    const r = tick([`due|${ago(3700)}|PipelineRunPending`], { PATCH_EXIT: '1' });
    expect(r.status).toBe(0);
    expect(r.out).toContain('due was cancelled or started meanwhile: left as it is');
  });

  test('a creation time that is not RFC 3339 UTC is never taken for due; a soak that is no number fails', () => {
    expect(tick(['odd|2026-12-02 10:00:00|PipelineRunPending', 'odd2|$(id)|PipelineRunPending']).patched).toEqual([]);
    const bad = tick([], { SOAK: '1h' });
    expect(bad.status).toBe(1);
    expect(bad.out).toContain("SOAK '1h' is not a number of seconds");
  });
});

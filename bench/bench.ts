/**
 * `npm run bench`: what synthesizing costs, and how it grows. Each case runs in a fresh child process
 * (so its peak RSS is its own); the parent prints a table and writes bench/RESULTS.md.
 *
 *   ours(N):     N FluxTriggeredPipelines (GitRepository + 6-task pipeline with results, retries and a
 *                finally task), each with a listener of its own, synthesized by GitOpsApp (validation, lazy
 *                rendering, stage and swap).
 *   baseline(N): the identical objects as plain cdk8s ApiObjects built from precomputed JSON, synthesized
 *                by a plain cdk8s App: what cdk8s alone costs.
 *   shared(N):   the same N pipelines on their namespace's FluxListener (the default: a Trigger each), against
 *                their own baseline.
 *   cli:         the whole `cdk8s synth` command of the example app (compiled JS) next to an empty app.
 *   hostile:     the CLI on hostile input (loops, FIFOs, devices, huge and many files, alias bombs, deep
 *                nesting, backtracking patterns): each within 5 s and 300 MiB (bench/hostile.ts).
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hostileCases, hostileSection } from './hostile';

const ROOT = path.resolve(__dirname, '..');
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);

interface Sample { wallMs: number; cpuMs: number; objects: number; bytes: number; listenerBytes: number; peakRssMiB: number }

function child(mode: string, n: number): Sample {
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'case.ts'), mode, String(n)], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.dev.json') }, maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** Runs ours and the baseline alternately (so a busy moment hits both), REPEAT times; keeps each one's fastest. */
function measure(n: number, suffix = ''): { ours: Sample; base: Sample; spread: string } {
  const ours: Sample[] = [];
  const base: Sample[] = [];
  for (let i = 0; i < REPEAT; i++) {
    ours.push(child(`ours${suffix}`, n));
    base.push(child(`baseline${suffix}`, n));
  }
  const fastest = (xs: Sample[]) => xs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
  const range = (xs: Sample[]) => `${Math.min(...xs.map((x) => x.wallMs)).toFixed(0)}–${Math.max(...xs.map((x) => x.wallMs)).toFixed(0)}`;
  return { ours: fastest(ours), base: fastest(base), spread: `ours ${range(ours)}, baseline ${range(base)}` };
}

function timeCommand(cwd: string, args: string[]): number {
  const times: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(path.join(ROOT, 'node_modules/.bin/cdk8s'), args, { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cdk8s ${args.join(' ')} failed in ${cwd}: ${r.stderr}`);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return Math.min(...times);
}

function cliCase(): { emptyMs: number; exampleMs: number } {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-empty-'));
  fs.writeFileSync(path.join(empty, 'main.js'),
    `const { App, Chart } = require(${JSON.stringify(path.join(ROOT, 'node_modules/cdk8s'))});\nconst app = new App();\nnew Chart(app, 'empty');\napp.synth();\n`);
  fs.writeFileSync(path.join(empty, 'cdk8s.yaml'), 'language: typescript\napp: node main.js\noutput: out\n');
  const example = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-example-'));
  fs.writeFileSync(path.join(example, 'cdk8s.yaml'), `language: typescript\napp: node ${path.join(ROOT, 'lib/app/main.js')}\noutput: staging\n`);
  const args = ['synth', '--no-check-upgrade'];
  const result = { emptyMs: timeCommand(empty, args), exampleMs: timeCommand(example, args) };
  fs.rmSync(empty, { recursive: true, force: true });
  fs.rmSync(example, { recursive: true, force: true });
  return result;
}

function sharedSummary(rows: Array<{ n: number; ours: Sample; base: Sample }>): string[] {
  const at = (n: number) => rows.find((r) => r.n === n);
  const ratio = at(1000) && at(1000)!.ours.wallMs / at(1000)!.base.wallMs;
  const growth = at(1000) && at(100) && at(1000)!.ours.wallMs / at(100)!.ours.wallMs;
  return [
    `- on one listener, ours / baseline at N = 1000: **${ratio?.toFixed(2) ?? 'n/a'}** (target ≤ 1.0)`,
    `- growth time(1000) / time(100): **${growth?.toFixed(1) ?? 'n/a'}×** (target ≤ 10×); peak RSS at N = 1000: ` +
      `**${at(1000)?.ours.peakRssMiB.toFixed(0) ?? 'n/a'} MiB** (target ≤ 400 MiB); the EventListener at N = 1000: ` +
      `**${at(1000)?.ours.listenerBytes ?? 'n/a'} bytes** (etcd's limit: 1.5 MiB)`,
  ];
}

function main() {
  const rows: Array<{ n: number; ours: Sample; base: Sample; spread: string }> = [];
  for (const n of SIZES) {
    rows.push({ n, ...measure(n) });
    const r = rows[rows.length - 1];
    console.log(`N=${n}: ours ${r.ours.wallMs.toFixed(0)} ms, baseline ${r.base.wallMs.toFixed(0)} ms, ${r.ours.objects} objects (runs: ${r.spread} ms)`);
  }
  const shared: typeof rows = [];
  for (const n of SIZES) {
    shared.push({ n, ...measure(n, '-shared') });
    const r = shared[shared.length - 1];
    console.log(`N=${n} on one listener: ours ${r.ours.wallMs.toFixed(0)} ms, baseline ${r.base.wallMs.toFixed(0)} ms, ${r.ours.objects} objects`);
  }
  const cli = cliCase();
  const hostile = hostileCases();
  const at = (n: number) => rows.find((r) => r.n === n);
  const ratio = at(1000) && at(1000)!.ours.wallMs / at(1000)!.base.wallMs;
  const growth = at(1000) && at(100) && at(1000)!.ours.wallMs / at(100)!.ours.wallMs;
  const nodeVersion = process.version;
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const lines = [
    '# Benchmark results',
    '',
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores (${cpu}), ` +
      `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, Node.js ${nodeVersion}, ${os.platform()} ${os.arch()}. ` +
      `Each figure is the fastest of ${REPEAT} runs, each in a fresh process, ours and the baseline alternating; ` +
      'CPU is user + system time of the same run (above the wall time where V8 collects garbage on the second core).',
    '',
    '| N pipelines (a listener each) | objects | bytes written | ours (ms) | baseline (ms) | ours / baseline | CPU ours / baseline (ms) | peak RSS ours (MiB) | peak RSS baseline (MiB) | all runs (ms) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.n} | ${r.ours.objects} | ${r.ours.bytes} | ${r.ours.wallMs.toFixed(0)} | ${r.base.wallMs.toFixed(0)} | ` +
      `${(r.ours.wallMs / r.base.wallMs).toFixed(2)} | ${r.ours.cpuMs.toFixed(0)} / ${r.base.cpuMs.toFixed(0)} | ` +
      `${r.ours.peakRssMiB.toFixed(0)} | ${r.base.peakRssMiB.toFixed(0)} | ${r.spread} |`),
    '',
    `- ours / baseline at N = 1000: **${ratio?.toFixed(2) ?? 'n/a'}** (target ≤ 1.2)`,
    `- growth time(1000) / time(100): **${growth?.toFixed(1) ?? 'n/a'}×** (target ≤ 10×)`,
    `- peak RSS at N = 1000: **${at(1000)?.ours.peakRssMiB.toFixed(0) ?? 'n/a'} MiB** (target ≤ 400 MiB)`,
    '',
    '### On one listener (the default: every pipeline joins its namespace\'s `FluxListener`, a Trigger each)',
    '',
    '| N pipelines | objects | bytes written | EventListener (bytes) | ours (ms) | baseline (ms) | ours / baseline | CPU ours / baseline (ms) | ' +
      'peak RSS ours (MiB) | peak RSS baseline (MiB) | all runs (ms) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...shared.map((r) => `| ${r.n} | ${r.ours.objects} | ${r.ours.bytes} | ${r.ours.listenerBytes} | ${r.ours.wallMs.toFixed(0)} | ` +
      `${r.base.wallMs.toFixed(0)} | ${(r.ours.wallMs / r.base.wallMs).toFixed(2)} | ${r.ours.cpuMs.toFixed(0)} / ${r.base.cpuMs.toFixed(0)} | ` +
      `${r.ours.peakRssMiB.toFixed(0)} | ${r.base.peakRssMiB.toFixed(0)} | ${r.spread} |`),
    '',
    ...sharedSummary(shared),
    '',
    `- \`cdk8s synth\` of an empty cdk8s app: ${cli.emptyMs.toFixed(0)} ms; of the example app (compiled): ${cli.exampleMs.toFixed(0)} ms; ` +
      `the library adds **${(cli.exampleMs - cli.emptyMs).toFixed(0)} ms** (target ≤ 500 ms)`,
    '',
    ...hostileSection(hostile),
  ];
  const notes = path.join(__dirname, 'NOTES.md');
  if (fs.existsSync(notes)) lines.push(fs.readFileSync(notes, 'utf8'));
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), lines.join('\n'));
  console.log(lines.join('\n'));
}

main();

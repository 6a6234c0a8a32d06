/**
 * The CLI on hostile input: each case runs the compiled CLI (lib/src/cli/bin.js) in a fresh process and
 * records its wall time, peak RSS (read by a preloaded hook at exit), exit code and first line of stderr.
 * The target for every case: an answer (a result or a clear error) within 5 s and 300 MiB.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'lib/src/cli/bin.js');
const EVENTS = path.join(ROOT, 'test/fixtures/flux-events');
const DIST = path.join(ROOT, 'dist');
export const HOSTILE_TARGET = { ms: 5000, mib: 300 };

export interface HostileResult { name: string; ms: number; mib: number; code: number | null; answer: string }

interface Case { name: string; args: (dir: string) => string[]; setUp?: (dir: string) => void }

const event = (name = 'gitrepository-new-artifact.json') => path.join(EVENTS, name);
const copyDist = (dir: string) => {
  for (const f of fs.readdirSync(DIST)) fs.copyFileSync(path.join(DIST, f), path.join(dir, f));
};
/** A ConfigMap document of about 1 KiB. */
const configMap = (i: number) => `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\n  namespace: ci\ndata:\n  v: "${'x'.repeat(960)}"\n`;

const CASES: Case[] = [
  { name: 'a folder with a link to itself (`self → .`)', setUp: (d) => { copyDist(d); fs.symlinkSync('.', path.join(d, 'self')); }, args: (d) => ['simulate', '--event', event(), d] },
  { name: 'a FIFO as the manifests', setUp: (d) => execFileSync('mkfifo', [path.join(d, 'pipe.yaml')]), args: (d) => ['simulate', '--event', event(), path.join(d, 'pipe.yaml')] },
  { name: 'a FIFO as the event', setUp: (d) => execFileSync('mkfifo', [path.join(d, 'event.json')]), args: (d) => ['simulate', '--event', path.join(d, 'event.json'), DIST] },
  { name: 'a link to /dev/zero among the manifests', setUp: (d) => { copyDist(d); fs.symlinkSync('/dev/zero', path.join(d, 'zero.yaml')); }, args: (d) => ['simulate', '--event', event(), d] },
  { name: '/dev/zero as the event', args: () => ['simulate', '--event', '/dev/zero', DIST] },
  {
    name: 'a 31 MiB manifest file (just under the 32 MiB read)',
    setUp: (d) => { copyDist(d); writeLarge(path.join(d, 'large.yaml'), 31 * 1024 * 1024); },
    args: (d) => ['simulate', '--event', event(), d],
  },
  { name: 'a 33 MiB manifest file (over the limit)', setUp: (d) => writeLarge(path.join(d, 'large.yaml'), 33 * 1024 * 1024), args: (d) => ['graph', d] },
  {
    name: '10,000 manifest files (the most read)',
    setUp: (d) => { copyDist(d); for (let i = 0; i < 10_000 - fs.readdirSync(DIST).length; i++) fs.writeFileSync(path.join(d, `f${i}.yaml`), configMap(i)); },
    args: (d) => ['simulate', '--event', event(), d],
  },
  { name: '10,001 manifest files', setUp: (d) => { for (let i = 0; i < 10_001; i++) fs.writeFileSync(path.join(d, `f${i}.yaml`), configMap(i)); }, args: (d) => ['graph', d] },
  {
    name: 'a YAML alias bomb (9 levels of 9 aliases)',
    setUp: (d) => {
      const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
      for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
      fs.writeFileSync(path.join(d, 'bomb.yaml'), `${lines.join('\n')}\n`);
    },
    args: (d) => ['graph', d],
  },
  { name: 'YAML nested 100,000 deep', setUp: (d) => fs.writeFileSync(path.join(d, 'deep.yaml'), `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), args: (d) => ['graph', d] },
  {
    name: 'an event nested 400,000 deep',
    setUp: (d) => fs.writeFileSync(path.join(d, 'event.json'), `{"involvedObject": ${'['.repeat(400_000)}${']'.repeat(400_000)}}`),
    args: (d) => ['simulate', '--event', path.join(d, 'event.json'), DIST],
  },
  {
    name: 'an Alert pattern `^(a+)+$` on a 512 KiB message',
    setUp: (d) => {
      fs.writeFileSync(path.join(d, 'ci.k8s.yaml'), fs.readFileSync(path.join(DIST, 'ci.k8s.yaml'), 'utf8')
        .split('eventSeverity: info').join('eventSeverity: info\n  inclusionList:\n    - "^(a+)+$"'));
      fs.copyFileSync(path.join(DIST, 'flux-system.k8s.yaml'), path.join(d, 'flux-system.k8s.yaml'));
      const e = JSON.parse(fs.readFileSync(event(), 'utf8'));
      e.message = `${'a'.repeat(512 * 1024)}!`;
      fs.writeFileSync(path.join(d, 'event.json'), JSON.stringify(e));
    },
    args: (d) => ['simulate', '--event', path.join(d, 'event.json'), d],
  },
];

function writeLarge(file: string, bytes: number) {
  const fd = fs.openSync(file, 'w');
  const chunk = Array.from({ length: 1024 }, (_, i) => configMap(i)).join('');
  for (let written = 0; written < bytes; written += Buffer.byteLength(chunk)) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
}

/** Runs every case; a case that exceeds 60 s is killed and reported as such. */
export function hostileCases(): HostileResult[] {
  const hook = path.join(os.tmpdir(), `bench-rss-hook-${process.pid}.js`);
  fs.writeFileSync(hook, "process.on('exit', () => require('fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n");
  const results: HostileResult[] = [];
  for (const c of CASES) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hostile-'));
    const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}`);
    fs.rmSync(rssFile, { force: true });
    c.setUp?.(dir);
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['-r', hook, CLI, ...c.args(dir)], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, BENCH_RSS_FILE: rssFile } });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const mib = fs.existsSync(rssFile) ? Number(fs.readFileSync(rssFile, 'utf8')) / 1024 : NaN;
    const answer = r.error ? `killed after 60 s (${r.error.message})` : (r.stderr.trim().split('\n')[0] || `${r.stdout.split('\n---').length} document(s) printed`);
    results.push({ name: c.name, ms, mib, code: r.status, answer: answer.replace(new RegExp(dir, 'g'), '<dir>').replace(ROOT, '.').slice(0, 160) });
    console.log(`hostile: ${c.name}: ${ms.toFixed(0)} ms, ${mib.toFixed(0)} MiB, exit ${r.status}: ${results[results.length - 1].answer}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.rmSync(hook, { force: true });
  return results;
}

/** The RESULTS.md section. */
export function hostileSection(results: HostileResult[]): string[] {
  const within = results.filter((r) => r.ms <= HOSTILE_TARGET.ms && r.mib <= HOSTILE_TARGET.mib).length;
  return [
    '## The CLI on hostile input',
    '',
    `Each case runs \`cdk8s-tekton-flux\` (compiled) once in a fresh process; target: an answer within ${HOSTILE_TARGET.ms / 1000} s ` +
      `and ${HOSTILE_TARGET.mib} MiB. **${within} of ${results.length} cases within the target.**`,
    '',
    '| case | wall (ms) | peak RSS (MiB) | exit | answer (first line of stderr) |',
    '| --- | ---: | ---: | ---: | --- |',
    ...results.map((r) => `| ${r.name} | ${r.ms.toFixed(0)} | ${r.mib.toFixed(0)} | ${r.code ?? 'killed'} | ${r.answer.replace(/\|/g, '\\|')} |`),
    '',
  ];
}

if (require.main === module) hostileCases();

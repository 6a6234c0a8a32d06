/**
 * One measured case, in its own process: `case.ts ours|baseline|ours-shared|baseline-shared N` (`-shared`: the N
 * pipelines join their namespace's listener, the default; otherwise each has a listener of its own). Prints a
 * JSON sample as its last line.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, YamlOutputType } from 'cdk8s';
import { addCase } from './fixture';
import { lib } from './lib';

const { GitOpsApp } = lib;

const [mode, nText] = process.argv.slice(2);
const n = Number(nText);
// BENCH_KEEP=<folder>: write the output there and keep it (to compare two builds' output byte for byte)
const keep = process.env.BENCH_KEEP;
const outdir = keep ? path.resolve(keep) : fs.mkdtempSync(path.join(os.tmpdir(), `bench-${mode}-`));

function build(app: App) {
  const ci = new Chart(app, 'ci', { namespace: 'ci' });
  const flux = new Chart(app, 'flux-system', { namespace: 'flux-system' });
  const shared = mode.endsWith('-shared');
  for (let i = 0; i < n; i++) addCase(ci, flux, i, shared);
  return app;
}

let wallMs: number;
let cpu: NodeJS.CpuUsage;
if (mode.startsWith('ours')) {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  build(new GitOpsApp({ outdir })).synth();
  cpu = process.cpuUsage(cpuStart);
  wallMs = Number(process.hrtime.bigint() - start) / 1e6;
} else {
  // Precompute the JSON (not timed), then time plain ApiObjects through a plain cdk8s App.
  const reference = build(new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ref-')) }));
  const charts = reference.charts.map((c) => ({ id: c.node.id, namespace: c.namespace, objects: c.toJson() }));
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  for (const c of charts) {
    const chart = new Chart(app, c.id); // objects carry their namespace already
    c.objects.forEach((o: any, i: number) => new ApiObject(chart, `o${i}`, o));
  }
  app.synth();
  cpu = process.cpuUsage(cpuStart);
  wallMs = Number(process.hrtime.bigint() - start) / 1e6;
}

let objects = 0;
let bytes = 0;
let listenerBytes = 0;
for (const f of fs.readdirSync(outdir)) {
  const text = fs.readFileSync(path.join(outdir, f), 'utf8');
  bytes += Buffer.byteLength(text);
  const docs = text.split(/^---$/m).filter((d) => d.trim());
  objects += docs.length;
  // the largest EventListener written (etcd stores at most 1.5 MiB per object)
  for (const d of docs) if (/^kind: EventListener$/m.test(d)) listenerBytes = Math.max(listenerBytes, Buffer.byteLength(d));
}
if (!keep) fs.rmSync(outdir, { recursive: true, force: true });
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(JSON.stringify({ wallMs, cpuMs, objects, bytes, listenerBytes, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));

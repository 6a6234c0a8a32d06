import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import { Construct } from 'constructs';

/** Synthesizes one chart (namespace `ci`) and returns its objects, after running validation. */
export function synth(build: (scope: Construct) => void, namespace = 'ci'): any[] {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace });
  build(chart);
  const errors = validationErrors(app);
  if (errors.length) throw new Error(errors.join('\n'));
  return Testing.synth(chart);
}

/** The validation errors of an app (each `[path] message`), or [] when it is valid. */
export function validationErrors(app: App): string[] {
  const errors: string[] = [];
  for (const c of app.node.findAll()) {
    for (const e of c.node.validate()) errors.push(`[${c.node.path}] ${e}`);
  }
  return errors;
}

/** Builds a chart and returns its validation errors. */
export function errorsOf(build: (scope: Construct) => void): string[] {
  const app = Testing.app();
  build(new Chart(app, 'test', { namespace: 'ci' }));
  return validationErrors(app);
}

/** Finds the one object of a kind (and name). */
export function find(objects: any[], kind: string, name?: string): any {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (matches.length !== 1) {
    throw new Error(`expected one ${kind}${name ? ` '${name}'` : ''}, found ${matches.length}: ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  }
  return matches[0];
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'tf-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Every file below a folder with its bytes, for before/after comparisons. */
export function snapshotDir(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const full = path.join(dir, f);
    if (fs.statSync(full).isFile()) out[f] = fs.readFileSync(full, 'utf8');
  }
  return out;
}

/** The shared folder beside the repo (CRDs, fixtures), or undefined when it is not there. */
export function sharedDir(): string | undefined {
  const dir = path.resolve(__dirname, '../../shared');
  return fs.existsSync(dir) ? dir : undefined;
}

/** The CRD folder: $CRDS_DIR or ../shared/crds. */
export function crdsDir(): string | undefined {
  const dir = process.env.CRDS_DIR ? path.resolve(process.env.CRDS_DIR) : path.resolve(__dirname, '../../shared/crds');
  return fs.existsSync(dir) ? dir : undefined;
}

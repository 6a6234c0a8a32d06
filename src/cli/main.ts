import * as fs from 'fs';
import { ParseArgsConfig, parseArgs } from 'util';
import { stringify } from 'yaml';
import { initProject } from './init';
import { folderOf, loadObjects, parseObjects, readStdin } from './load';
import { readVersions, versionsTable } from './versions';
import { compareCodePoints } from '../internal/sort';
import { closest } from '../problems';
import { mermaidGraph } from '../simulate/graph';
import { JsonMap, at, isMap, stringAt } from '../simulate/json';
import { rerunOf } from '../simulate/rerun';
import { resumeOf } from '../simulate/resume';
import { referencedSecrets } from '../simulate/secrets';
import { simulateEvent } from '../simulate/simulate';
import { SecretStore } from '../simulate/tekton-cel';

const USAGE = `usage:
  cdk8s-tekton-flux init [--from <tarball|folder>] [dir]
      Writes a team's CI repository into an empty folder (default: the current one): main.ts with a pipeline
      that a GitRepository triggers and a GitOpsSync, a safe cdk8s.yaml, a .gitignore that keeps dist/, and
      ci.sh, which fails when dist/ is out of date. Then: npm install && npm run synth. --from: an unreleased
      build of this library (the tarball npm pack wrote, or its folder), copied into vendor/ and depended on.
  cdk8s-tekton-flux simulate --event <flux-event.json> [--secret <ns>/<name>:<key>=<value>]... [--cluster <folder>] [dir|file]
  cdk8s-tekton-flux simulate --source <Kind>/<namespace>/<name> --revision <revision> [--reason <reason>] [--cluster <folder>] [dir|file]
      Follows a Flux event through the objects (default: dist/) and prints the runs it creates as YAML;
      --source builds the event Flux would post for that object's new revision. --cluster: the event comes
      from that cluster's folder of dir (e.g. staging), and is followed to the listener of whichever cluster.
  cdk8s-tekton-flux graph [dir|file]
      Prints the trigger chain and each pipeline's task DAG as Mermaid (each cluster's folder a subgraph).
  cdk8s-tekton-flux secrets [dir|file]
      Lists every Secret the objects (default: dist/) read but do not contain: namespace, name, keys, which
      objects read it, and a command that creates it (TOKEN: one value per listener, e.g. openssl rand -hex 32).
  cdk8s-tekton-flux resume [--from <task>] [file...|-]
      Reads a failed or cancelled PipelineRun and its TaskRuns (default: standard input) and prints a new run
      that runs only what did not succeed (or <task> and what follows it), fed the earlier tasks' results, on
      the volumes the failed run used, for:
      kubectl get pipelinerun <run> -n <namespace> -o yaml > run.yaml
      kubectl get taskruns -n <namespace> -l tekton.dev/pipelineRun=<run> -o yaml > taskruns.yaml
      cdk8s-tekton-flux resume run.yaml taskruns.yaml | kubectl create -f -
  cdk8s-tekton-flux versions [--json] [--ref <commit>] [config-repo-dir]
      Prints which version of each app each environment runs, as the config repository (default: the current
      folder's) marks it (# {"$promotion": "<app>"}, read as the promotion steps read it), at HEAD or --ref: app,
      environment (the folder of the marked files), version, and the commit that last changed the marked line.
      --json for scripts. Exit 2 when a marker is malformed, an app has two values in one folder, or none is found.
  cdk8s-tekton-flux rerun [file|-]
      Reads PipelineRuns as the cluster returns them (default: standard input) and prints new runs with the
      same inputs, for: kubectl get pipelinerun <run> -o yaml | cdk8s-tekton-flux rerun | kubectl create -f -

  cdk8s-tekton-flux --version | --help

exit codes: 0 ok, 1 nothing triggered or a broken chain, 2 usage, unreadable input, or a malformed or ambiguous marker`;

/** Output streams (and standard input), so tests can capture and feed them. */
export interface CliIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /**
   * Reads standard input whole.
   * @default - reads the process's standard input
   */
  readonly stdin?: () => string;
}

class UsageError extends Error {}

const COMMANDS = ['init', 'simulate', 'graph', 'secrets', 'versions', 'resume', 'rerun'];

/** The usage of one command: its lines of USAGE. */
function usageOf(command: string): string {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  cdk8s-tekton-flux ${command} `) || l === `  cdk8s-tekton-flux ${command}`);
  let end = start + 1;
  while (end < lines.length && (lines[end].startsWith('      ') || lines[end].startsWith(`  cdk8s-tekton-flux ${command} `))) end++;
  return `usage:\n${lines.slice(start, end).join('\n')}\n\n${lines[lines.length - 1]}`;
}

function version(): string {
  // lib/src/cli/main.js → the package's package.json
  for (const candidate of ['../../../package.json', '../../package.json']) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(candidate).version;
    } catch {
      // try the next layout
    }
  }
  return 'unknown';
}

/** Runs the CLI; returns the exit code. */
export function runCli(argv: string[], io: CliIO): number {
  try {
    const [command, ...rest] = argv;
    if (command === undefined) {
      io.err(`${USAGE}\n`);
      return 2;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      io.out(`${USAGE}\n`);
      return 0;
    }
    if (command === '--version' || command === '-v' || command === 'version') {
      io.out(`${version()}\n`);
      return 0;
    }
    if (COMMANDS.includes(command) && (rest.includes('--help') || rest.includes('-h'))) {
      io.out(`${usageOf(command)}\n`);
      return 0;
    }
    if (command === 'simulate') return simulate(rest, io);
    if (command === 'graph') return graph(rest, io);
    if (command === 'secrets') return secrets(rest, io);
    if (command === 'versions') return versions(rest, io);
    if (command === 'rerun') return rerun(rest, io);
    if (command === 'resume') return resume(rest, io);
    if (command === 'init') return init(rest, io);
    const guess = closest(command, COMMANDS);
    throw new UsageError(`unknown command '${command}'${guess ? `: did you mean '${guess}'?` : ''}`);
  } catch (e) {
    io.err(`cdk8s-tekton-flux: ${messageOf(e)}\n`);
    if (e instanceof UsageError) io.err(`${COMMANDS.includes(argv[0]) ? usageOf(argv[0]) : USAGE}\n`);
    return 2;
  }
}

/** The message of a thrown value. */
function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** An option's value: a string, a flag, or the strings of a repeated option. */
type OptionValue = string | boolean | Array<string | boolean> | undefined;

function args(argv: string[], options: ParseArgsConfig['options']): { values: { [name: string]: OptionValue }; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values, positionals };
  } catch (e) {
    throw new UsageError(messageOf(e));
  }
}

function simulate(argv: string[], io: CliIO): number {
  const { values, positionals } = args(argv, {
    event: { type: 'string' },
    source: { type: 'string' },
    revision: { type: 'string' },
    reason: { type: 'string' },
    secret: { type: 'string', multiple: true },
    cluster: { type: 'string' },
  });
  if (!values.event && !values.source) throw new UsageError('simulate needs --event <flux-event.json>, or --source <Kind>/<namespace>/<name> --revision <revision>');
  if (values.event && values.source) throw new UsageError('give either --event or --source, not both');
  if (positionals.length > 1) throw new UsageError('simulate takes one folder or file');
  const event = values.source
    ? eventFor(values.source as string, values.revision as string | undefined, values.reason as string | undefined)
    : readEvent(values.event as string);
  const objects = loadObjects(positionals[0] ?? 'dist');
  const cluster = values.cluster as string | undefined;
  if (cluster !== undefined && !objects.some((o) => folderOf(o) === cluster)) {
    const folders = [...new Set(objects.map(folderOf).filter((f): f is string => f !== undefined))].sort(compareCodePoints);
    throw new UsageError(`--cluster '${cluster}': no objects in that folder of ${positionals[0] ?? 'dist'}` +
      (folders.length ? ` (its cluster folders: ${folders.join(', ')})` : ' (it has no cluster folders)'));
  }
  const result = simulateEvent(objects, event, {
    secrets: parseSecrets((values.secret as string[] | undefined) ?? []), cluster, clusterOf: folderOf,
  });
  // the simulator says which Secret value to give; the command line gives it with --secret
  const flag = (line: string) => line.replace(/give the value of ([^ ]+\/[^ ]+) key '([^']+)'/g, 'give --secret $1:$2=<value>');
  for (const line of result.trace) io.err(`# ${flag(line)}\n`);
  for (const b of result.broken) io.err(`# broken: ${flag(b)}\n`);
  io.out(result.runs.map((r) => stringify(r.object)).join('---\n'));
  if (result.runs.length === 0) io.err('# nothing would be triggered\n');
  return result.runs.length === 0 || result.broken.length > 0 ? 1 : 0;
}

function graph(argv: string[], io: CliIO): number {
  const { positionals } = args(argv, {});
  if (positionals.length > 1) throw new UsageError('graph takes one folder or file');
  io.out(mermaidGraph(loadObjects(positionals[0] ?? 'dist'), folderOf));
  return 0;
}

function secrets(argv: string[], io: CliIO): number {
  const { positionals } = args(argv, {});
  if (positionals.length > 1) throw new UsageError('secrets takes one folder or file');
  const found = referencedSecrets(loadObjects(positionals[0] ?? 'dist'), folderOf);
  if (found.length === 0) {
    io.err('# the objects read no Secret they do not contain\n');
    return 0;
  }
  // one value per token: per listener and cluster its events come from (each its own variable when there are several)
  const tokens = new Map<string, string | undefined>();
  for (const s of found) {
    const variable = /\$(TOKEN\w*)/.exec(s.command)?.[1];
    if (variable && !tokens.has(variable)) tokens.set(variable, s.token?.pair);
  }
  for (const [token, pair] of tokens) {
    io.out(`${token}=$(openssl rand -hex 32)  # ${pair ? `the token of listener ${pair}` : 'the token'}: the same value in the Secrets that use $${token}\n`);
  }
  for (const s of found) {
    const where = `${s.cluster ? `cluster ${s.cluster}: ` : ''}${s.namespace}/${s.name}`;
    io.out(`# ${where}${s.keys.length ? ` (keys: ${s.keys.join(', ')})` : ''}, read by ${s.readers.join('; ')}\n${s.command}\n`);
  }
  return 0;
}

function versions(argv: string[], io: CliIO): number {
  const { values, positionals } = args(argv, { json: { type: 'boolean' }, ref: { type: 'string' } });
  if (positionals.length > 1) throw new UsageError('versions takes one folder (of a clone of the config repository)');
  // a repository it cannot read at all (VersionsError) ends as any error does: its message, exit 2
  const report = readVersions(positionals[0] ?? '.', { ref: values.ref as string | undefined });
  for (const p of report.problems) io.err(`cdk8s-tekton-flux versions: ${p}\n`);
  if (values.json) io.out(`${JSON.stringify(report, null, 2)}\n`);
  else if (report.problems.length === 0) io.out(versionsTable(report));
  return report.problems.length ? 2 : 0;
}

function rerun(argv: string[], io: CliIO): number {
  const { positionals } = args(argv, {});
  if (positionals.length > 1) throw new UsageError('rerun takes one file (or - for standard input)');
  const source = positionals[0] ?? '-';
  const objects = source === '-' ? parseObjects((io.stdin ?? readStdin)(), 'standard input') : loadObjects(source);
  const runs = objects.filter((o) => at(o, 'kind') === 'PipelineRun');
  if (runs.length === 0) throw new Error(`${source === '-' ? 'standard input' : source} holds no PipelineRun`);
  io.out(runs.map((r) => stringify(rerunOf(r))).join('---\n'));
  return 0;
}

function init(argv: string[], io: CliIO): number {
  const { values, positionals } = args(argv, { from: { type: 'string' } });
  if (positionals.length > 1) throw new UsageError('init takes one folder');
  const dir = positionals[0] ?? '.';
  const files = initProject(dir, version(), values.from as string | undefined);
  io.out(`wrote ${files.join(', ')} into ${dir}\nnext: cd ${dir} && npm install && npm run synth\n`);
  return 0;
}

function resume(argv: string[], io: CliIO): number {
  const { values, positionals } = args(argv, { from: { type: 'string' } });
  const sources = positionals.length ? positionals : ['-'];
  const objects = sources.flatMap((source) => (source === '-'
    ? parseObjects((io.stdin ?? readStdin)(), 'standard input')
    : loadObjects(source)));
  const runs = objects.filter((o) => at(o, 'kind') === 'PipelineRun');
  if (runs.length !== 1) {
    const names = runs.map((r) => stringAt(r, 'metadata', 'name')).filter((n) => typeof n === 'string');
    throw new Error(`resume needs exactly one PipelineRun and its TaskRuns; the input holds ${runs.length}${names.length ? ` (${names.join(', ')})` : ''}: ` +
      'give one run and its TaskRuns: (kubectl get pipelinerun <run> -n <namespace> -o yaml; echo ---; ' +
      'kubectl get taskruns -n <namespace> -l tekton.dev/pipelineRun=<run> -o yaml) | cdk8s-tekton-flux resume');
  }
  let resumed: JsonMap;
  try {
    resumed = resumeOf(runs[0], objects.filter((o) => at(o, 'kind') === 'TaskRun'), { from: values.from as string | undefined });
  } catch (e) {
    // the simulator says where to resume from; the command line says it with --from
    throw new Error(messageOf(e).replace(/[Rr]esume from '([^']+)'/g, (m: string, task: string) => `${m} (--from ${task})`)
      .replace(/resume from a task/g, 'resume --from <task>').replace(/^task '([^']+)' to resume from:/, '--from $1:'));
  }
  io.out(stringify(resumed));
  return 0;
}

/** Reads a Flux event file; never echoes its content (it may not be an event at all). */
function readEvent(file: string): JsonMap {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error('not a regular file');
    if (stat.size > 1024 * 1024) throw new Error('larger than 1 MiB: Flux events are a few hundred bytes');
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the event ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(e)}`);
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON: give a Flux event as notification-controller posts it (see test/fixtures/flux-events), or use --source`);
  }
  if (!isMap(event) || !at(event, 'involvedObject', 'kind')) throw new Error(`${file} is not a Flux event (no involvedObject.kind)`);
  return event;
}

/** The event Flux would post for a source's new revision (both metadata formats), for `--source`. */
function eventFor(source: string, revision: string | undefined, reason: string | undefined): JsonMap {
  const m = /^([A-Za-z]+)\/([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(source);
  if (!m) throw new UsageError(`--source '${source}' is not <Kind>/<namespace>/<name>, e.g. GitRepository/flux-system/app-repo`);
  if (!revision) throw new UsageError('--source needs --revision, e.g. main@sha1:4b825dc642cb6eb9a060e54bf8d69288fbee4904');
  const [, kind, namespace, name] = m;
  const group = /Kustomization/.test(kind) ? 'kustomize.toolkit.fluxcd.io' : /HelmRelease/.test(kind) ? 'helm.toolkit.fluxcd.io' : 'source.toolkit.fluxcd.io';
  const controller = group.split('.')[0];
  return {
    involvedObject: { apiVersion: `${group}/v1`, kind, name, namespace },
    severity: 'info',
    timestamp: '2026-01-01T00:00:00Z',
    message: kind === 'Kustomization' ? 'Reconciliation finished' : `stored artifact for revision '${revision}'`,
    reason: reason ?? (kind === 'Kustomization' ? 'ReconciliationSucceeded' : kind === 'HelmRelease' ? 'UpgradeSucceeded' : 'NewArtifact'),
    metadata: { revision, [`${group}/revision`]: revision },
    reportingController: `${controller}-controller`,
    reportingInstance: `${controller}-controller-0`,
  };
}

/** `ns/name:key=value` → store. */
export function parseSecrets(specs: string[]): SecretStore {
  const store: SecretStore = new Map();
  for (const spec of specs) {
    const m = /^([a-z0-9-]+)\/([a-z0-9.-]+):([^=]+)=(.*)$/s.exec(spec);
    if (!m) throw new UsageError(`--secret '${spec}' is not <namespace>/<name>:<key>=<value>`);
    const id = `${m[1]}/${m[2]}`;
    store.set(id, { ...store.get(id), [m[3]]: m[4] });
  }
  return store;
}

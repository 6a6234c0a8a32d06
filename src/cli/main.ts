import * as fs from 'fs';
import { parseArgs } from 'util';
import { stringify } from 'yaml';
import { loadObjects, parseObjects } from './load';
import { mermaidGraph } from '../simulate/graph';
import { rerunOf } from '../simulate/rerun';
import { resumeOf } from '../simulate/resume';
import { simulateEvent } from '../simulate/simulate';
import { SecretStore } from '../simulate/tekton-cel';

const USAGE = `usage:
  cdk8s-tekton-flux simulate --event <flux-event.json> [--secret <ns>/<name>:<key>=<value>]... [dir|file]
      Follows a Flux event through the objects (default: dist/) and prints the runs it creates as YAML.
  cdk8s-tekton-flux graph [dir|file]
      Prints the trigger chain and each pipeline's task DAG as Mermaid.
  cdk8s-tekton-flux resume [--from <task>] [file...|-]
      Reads a failed or cancelled PipelineRun and its TaskRuns (default: standard input) and prints a new run
      that runs only what did not succeed (or <task> and what follows it), fed the earlier tasks' results, on
      the volumes the failed run used, for:
      kubectl get pipelinerun <run> -o yaml > run.yaml
      kubectl get taskruns -l tekton.dev/pipelineRun=<run> -o yaml > taskruns.yaml
      cdk8s-tekton-flux resume run.yaml taskruns.yaml | kubectl create -f -
  cdk8s-tekton-flux rerun [file|-]
      Reads PipelineRuns as the cluster returns them (default: standard input) and prints new runs with the
      same inputs, for: kubectl get pipelinerun <run> -o yaml | cdk8s-tekton-flux rerun | kubectl create -f -

exit codes: 0 ok, 1 nothing triggered or a broken chain, 2 usage or unreadable input`;

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

/** Runs the CLI; returns the exit code. */
export function runCli(argv: string[], io: CliIO): number {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'simulate') return simulate(rest, io);
    if (command === 'graph') return graph(rest, io);
    if (command === 'rerun') return rerun(rest, io);
    if (command === 'resume') return resume(rest, io);
    throw new UsageError(`unknown command '${command}'`);
  } catch (e: any) {
    io.err(`cdk8s-tekton-flux: ${e.message}\n`);
    if (e instanceof UsageError) io.err(`${USAGE}\n`);
    return 2;
  }
}

function args(argv: string[], options: any): { values: { [name: string]: any }; positionals: string[] } {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as any;
  } catch (e: any) {
    throw new UsageError(e.message);
  }
}

function simulate(argv: string[], io: CliIO): number {
  const { values, positionals } = args(argv, {
    event: { type: 'string' },
    secret: { type: 'string', multiple: true },
  });
  if (!values.event) throw new UsageError('simulate needs --event <flux-event.json>');
  if (positionals.length > 1) throw new UsageError('simulate takes one folder or file');
  let event: any;
  try {
    event = JSON.parse(fs.readFileSync(values.event as string, 'utf8'));
  } catch (e: any) {
    throw new Error(`cannot read the event ${values.event}: ${e.message}`);
  }
  if (!event?.involvedObject?.kind) throw new Error(`${values.event} is not a Flux event (no involvedObject.kind)`);
  const objects = loadObjects(positionals[0] ?? 'dist');
  const result = simulateEvent(objects, event, { secrets: parseSecrets((values.secret as string[] | undefined) ?? []) });
  for (const line of result.trace) io.err(`# ${line}\n`);
  for (const b of result.broken) io.err(`# broken: ${b}\n`);
  io.out(result.runs.map((r) => stringify(r.object)).join('---\n'));
  if (result.runs.length === 0) io.err('# nothing would be triggered\n');
  return result.runs.length === 0 || result.broken.length > 0 ? 1 : 0;
}

function graph(argv: string[], io: CliIO): number {
  const { positionals } = args(argv, {});
  if (positionals.length > 1) throw new UsageError('graph takes one folder or file');
  io.out(mermaidGraph(loadObjects(positionals[0] ?? 'dist')));
  return 0;
}

function rerun(argv: string[], io: CliIO): number {
  const { positionals } = args(argv, {});
  if (positionals.length > 1) throw new UsageError('rerun takes one file (or - for standard input)');
  const source = positionals[0] ?? '-';
  const objects = source === '-' ? parseObjects((io.stdin ?? (() => fs.readFileSync(0, 'utf8')))(), 'standard input') : loadObjects(source);
  const runs = objects.filter((o) => o?.kind === 'PipelineRun');
  if (runs.length === 0) throw new Error(`${source === '-' ? 'standard input' : source} holds no PipelineRun`);
  io.out(runs.map((r) => stringify(rerunOf(r))).join('---\n'));
  return 0;
}

function resume(argv: string[], io: CliIO): number {
  const { values, positionals } = args(argv, { from: { type: 'string' } });
  const sources = positionals.length ? positionals : ['-'];
  const objects = sources.flatMap((source) => (source === '-'
    ? parseObjects((io.stdin ?? (() => fs.readFileSync(0, 'utf8')))(), 'standard input')
    : loadObjects(source)));
  const runs = objects.filter((o) => o?.kind === 'PipelineRun');
  if (runs.length !== 1) throw new Error(`resume needs exactly one PipelineRun (and its TaskRuns); the input holds ${runs.length}`);
  io.out(stringify(resumeOf(runs[0], objects.filter((o) => o?.kind === 'TaskRun'), { from: values.from as string | undefined })));
  return 0;
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

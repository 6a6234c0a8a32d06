/**
 * Tekton cannot resume a failed run: the way to try again is a new PipelineRun with the same inputs.
 * `rerunOf` turns a PipelineRun as the cluster returns it (`kubectl get pipelinerun <name> -o yaml`) into
 * such a new run, ready for `kubectl create -f -`.
 */

import { JsonMap, asMap, at, isMap, stringAt } from './json';

/** The annotation that names the run a re-run repeats. */
export const RERUN_OF_ANNOTATION = 'cdk8s-tekton-flux/rerun-of';

/** Label and annotation prefixes the Tekton controllers and Triggers own: they describe the old run only. */
const OWNED_PREFIXES = ['tekton.dev/', 'triggers.tekton.dev/', 'kubectl.kubernetes.io/', 'chains.tekton.dev/', 'results.tekton.dev/'];

/**
 * The labels of those prefixes that say which runs a run is one of, not which run it is: a new run keeps them,
 * so that whatever finds the old run by them finds the new one too.
 * - `tekton.dev/pipeline`: Tekton Pruner (`keepRuns`) counts a pipeline's history by it, and
 *   `kubectl get pipelineruns -l tekton.dev/pipeline=<pipeline>` lists a pipeline's runs by it;
 * - `triggers.tekton.dev/eventlistener` and `triggers.tekton.dev/trigger`: Triggers labels what it creates with
 *   them (tektoncd/triggers pkg/resources/create.go), and `RunConcurrency.cancelInProgress()` lists a trigger's
 *   runs by them.
 * The others describe the old run alone (`triggers.tekton.dev/triggers-eventid`, `tekton.dev/pipelineRun` …)
 * and are dropped.
 */
export const SELECTOR_LABELS: readonly string[] = ['tekton.dev/pipeline', 'triggers.tekton.dev/eventlistener', 'triggers.tekton.dev/trigger'];

/** `kubectl get pipelinerun …`: the command that prints a run as these functions read it. */
export function runCommand(metadata: { name?: unknown; namespace?: unknown } | undefined): string {
  return `kubectl get pipelinerun ${metadata?.name ?? '<run>'} -n ${metadata?.namespace ?? '<namespace>'} -o yaml`;
}

export { isMap };

/** What a value is, for a message: `a list`, `the string "x"` … */
export function what(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  const text = JSON.stringify(value) ?? String(value);
  return `the ${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

/** `value` as a map of strings (labels, annotations), or an error that names `where` and says to give `fix`. */
function stringMap(value: unknown, where: string, fix: string): { [key: string]: string } {
  if (value === undefined) return {};
  if (!isMap(value)) throw new Error(`${where} is ${what(value)}, not a map: ${fix}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new Error(`${where}.${k} is ${what(v)}, not a string: ${fix}`);
  }
  return value as { [key: string]: string }; // every value checked above
}

/**
 * The labels and annotations a new run of `metadata`'s run carries: the user's own and the selector labels
 * (above), without the ones the controllers own and without `dropAnnotations`. Throws, naming the field,
 * when they are not maps of strings.
 */
export function carriedMetadata(metadata: JsonMap, dropAnnotations: string[] = []): {
  labels?: { [k: string]: string }; annotations?: { [k: string]: string };
} {
  const fix = `give the run as kubectl prints it (${runCommand(metadata)})`;
  const own = (k: string) => !OWNED_PREFIXES.some((p) => k.startsWith(p));
  const pick = (entries: { [k: string]: string }, keep: (k: string) => boolean) => {
    const kept = Object.entries(entries).filter(([k]) => keep(k));
    return kept.length ? Object.fromEntries(kept) : undefined;
  };
  const labels = pick(stringMap(metadata.labels, 'metadata.labels', fix), (k) => own(k) || SELECTOR_LABELS.includes(k));
  const annotations = pick(stringMap(metadata.annotations, 'metadata.annotations', fix), (k) => own(k) && !dropAnnotations.includes(k));
  return { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
}

/**
 * A new PipelineRun that repeats `run`: the same pipeline, params, workspaces, identity and timeouts, under
 * a `generateName` (every re-run is a new object), without the status, the server-set metadata and the
 * labels and annotations the controllers own, except the labels by which runs are found (`SELECTOR_LABELS`).
 * Throws when `run` is not a PipelineRun, or its metadata or spec is not a map.
 */
export function rerunOf(input: unknown): JsonMap {
  if (!isMap(input) || input.kind !== 'PipelineRun' || !/^tekton\.dev\//.test(String(input.apiVersion))) {
    throw new Error(`${at(input, 'kind') ?? 'the input'} ${at(input, 'metadata', 'name') ?? ''} is not a Tekton PipelineRun`.replace(/ +$/, ''));
  }
  const run = input;
  const metadata = run.metadata ?? {};
  const fix = `give the run as kubectl prints it (${runCommand(isMap(metadata) ? metadata : undefined)})`;
  if (!isMap(metadata)) throw new Error(`the PipelineRun's metadata is ${what(metadata)}, not a map: ${fix}`);
  if (run.spec !== undefined && !isMap(run.spec)) throw new Error(`PipelineRun ${metadata.name}: spec is ${what(run.spec)}, not a map: ${fix}`);
  const name: string | undefined = typeof metadata.name === 'string' ? metadata.name : undefined;
  const { status: _lifecycle, ...spec } = asMap(run.spec);
  const { labels, annotations: kept } = carriedMetadata(metadata);
  const annotations = { ...kept, ...(name ? { [RERUN_OF_ANNOTATION]: name } : {}) };
  return {
    apiVersion: run.apiVersion,
    kind: 'PipelineRun',
    metadata: {
      // Always a generateName: with one, Tekton keeps the tekton.dev/pipeline label the run brings (see resume.ts).
      generateName: typeof metadata.generateName === 'string' && metadata.generateName
        ? metadata.generateName : `${name ?? stringAt(spec, 'pipelineRef', 'name') ?? 'run'}-`,
      ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
      ...(labels ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec,
  };
}

/**
 * Tekton cannot resume a failed run: the way to try again is a new PipelineRun with the same inputs.
 * `rerunOf` turns a PipelineRun as the cluster returns it (`kubectl get pipelinerun <name> -o yaml`) into
 * such a new run, ready for `kubectl create -f -`.
 */

/** The annotation that names the run a re-run repeats. */
export const RERUN_OF_ANNOTATION = 'cdk8s-tekton-flux/rerun-of';

/** Label and annotation prefixes the Tekton controllers and Triggers own: they describe the old run only. */
const OWNED_PREFIXES = ['tekton.dev/', 'triggers.tekton.dev/', 'kubectl.kubernetes.io/', 'chains.tekton.dev/', 'results.tekton.dev/'];

/**
 * A new PipelineRun that repeats `run`: the same pipeline, params, workspaces, identity and timeouts, under
 * a `generateName` (every re-run is a new object), without the status, the server-set metadata and the
 * labels and annotations the controllers own. Throws when `run` is not a PipelineRun.
 */
export function rerunOf(run: any): any {
  if (run?.kind !== 'PipelineRun' || !/^tekton\.dev\//.test(String(run.apiVersion))) {
    throw new Error(`${run?.kind ?? 'the input'} ${run?.metadata?.name ?? ''} is not a Tekton PipelineRun`.replace(/ +$/, ''));
  }
  const metadata = run.metadata ?? {};
  const name: string | undefined = metadata.name;
  const { status: _lifecycle, ...spec } = run.spec ?? {};
  const keep = (entries: { [key: string]: string } | undefined) => {
    const kept = Object.entries(entries ?? {}).filter(([k]) => !OWNED_PREFIXES.some((p) => k.startsWith(p)));
    return kept.length ? Object.fromEntries(kept) : undefined;
  };
  const labels = keep(metadata.labels);
  const annotations = { ...keep(metadata.annotations), ...(name ? { [RERUN_OF_ANNOTATION]: name } : {}) };
  return {
    apiVersion: run.apiVersion,
    kind: 'PipelineRun',
    metadata: {
      generateName: metadata.generateName ?? `${name ?? spec.pipelineRef?.name ?? 'run'}-`,
      ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
      ...(labels ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec,
  };
}

import { JsonMap, apiVersionOf, asMaps, asString, at, isKubeObject, labelsOf, namespaceOf, stringAt } from './json';
import { listenerOf, listenerTriggers, routedListener, statusTaskOf } from './simulate';
import { compareCodePoints } from '../internal/sort';
import { PROMOTION_LABELS } from '../patterns/run-labels';
import { referencesInValue } from '../tekton/references';

/**
 * Draws a folder of objects as Mermaid: the trigger chain (Flux object → Alert → Provider → EventListener →
 * trigger → Pipeline) and each Pipeline's task DAG (runAfter edges, result edges, finally tasks). With
 * `clusterOf` (an app of clusters: the folder each object was read from), each cluster's objects are a
 * subgraph, a Provider in one cluster points at the listener it reaches in another (through an Ingress or
 * HTTPRoute), and each promotion step is an edge between its environments.
 */
export function mermaidGraph(objects: unknown[], clusterOf: (object: unknown) => string | undefined = () => undefined): string {
  const all = objects.filter(isKubeObject);
  const ns = namespaceOf;
  const lines = ['flowchart LR'];
  // node lines per cluster ('' : no cluster), in order of first use
  const nodes = new Map<string, Map<string, string>>();
  const node = (cluster: string | undefined, kind: string, namespace: string, name: string, label = `${kind} ${namespace}/${name}`) => {
    const id = `${cluster ? `${cluster}__` : ''}${kind}_${namespace}_${name}`.replace(/[^A-Za-z0-9_]/g, '_');
    const group = nodes.get(cluster ?? '') ?? nodes.set(cluster ?? '', new Map()).get(cluster ?? '')!;
    if (!group.has(id)) group.set(id, `  ${id}["${label}"]`);
    return id;
  };
  const edges: string[] = [];
  const inCluster = (cluster: string | undefined) => all.filter((o) => clusterOf(o) === cluster);

  for (const alert of all.filter((o) => o.kind === 'Alert' && apiVersionOf(o).startsWith('notification.toolkit.fluxcd.io/'))) {
    const c = clusterOf(alert);
    const a = node(c, 'Alert', ns(alert), alert.metadata.name);
    for (const src of asMaps(at(alert, 'spec', 'eventSources'))) {
      edges.push(`  ${node(c, String(src.kind), asString(src.namespace) ?? ns(alert), String(src.name))} --> ${a}`);
    }
    const providerName = String(stringAt(alert, 'spec', 'providerRef', 'name'));
    const provider = inCluster(c).find((o) => o.kind === 'Provider' && o.metadata.name === providerName && ns(o) === ns(alert));
    const p = node(c, 'Provider', ns(alert), providerName);
    edges.push(`  ${a} --> ${p}`);
    const address = stringAt(provider, 'spec', 'address') ?? '';
    const local = provider && listenerOf(address, ns(provider));
    const target = local ? { ...local, cluster: c } : provider && routedListener(address, all, clusterOf);
    if (target) edges.push(`  ${p} -->|POST| ${node(target.cluster, 'EventListener', target.namespace, target.name)}`);
  }
  for (const el of all.filter((o) => o.kind === 'EventListener')) {
    const c = clusterOf(el);
    const objs = inCluster(c);
    const l = node(c, 'EventListener', ns(el), el.metadata.name);
    // inline triggers, triggerRefs and the Trigger objects its labelSelector selects, as Triggers' sink merges them
    const find = (kind: string, name: string, namespace?: string) =>
      objs.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || ns(o) === namespace));
    for (const t of listenerTriggers(el, find, objs, [])) {
      const tns = t.namespace ?? ns(el);
      const tid = node(c, 'trigger', ns(el), `${el.metadata.name}-${t.name}`, `trigger ${t.name}`);
      edges.push(`  ${l} --> ${tid}`);
      const template = objs.find((o) => o.kind === 'TriggerTemplate' && o.metadata.name === stringAt(t.template, 'ref') && ns(o) === tns);
      for (const rt of asMaps(at(template, 'spec', 'resourcetemplates'))) {
        const pipeline = rt.kind === 'PipelineRun' ? stringAt(rt, 'spec', 'pipelineRef', 'name') : undefined;
        if (pipeline) edges.push(`  ${tid} -->|PipelineRun| ${node(c, 'Pipeline', tns, pipeline)}`);
        const labels = labelsOf(rt);
        const [app, from, to] = [labels[PROMOTION_LABELS.app], labels[PROMOTION_LABELS.from], labels[PROMOTION_LABELS.to]];
        if (rt.kind === 'PipelineRun' && app && from && to) {
          const env = (e: string) => node(undefined, 'environment', app, e, `environment ${e}`);
          edges.push(`  ${env(from)} ==>|promote ${app}| ${env(to)}`);
        }
      }
    }
  }
  for (const [cluster, group] of [...nodes].sort(([a], [b]) => compareCodePoints(a, b))) {
    if (cluster) lines.push(`  subgraph cluster_${cluster.replace(/[^A-Za-z0-9_]/g, '_')}["cluster ${cluster}"]`);
    lines.push(...group.values());
    if (cluster) lines.push('  end');
  }
  lines.push(...[...new Set(edges)]);

  for (const p of all.filter((o) => o.kind === 'Pipeline' && apiVersionOf(o).startsWith('tekton.dev/'))) {
    const cluster = clusterOf(p);
    const prefix = `${cluster ? `${cluster}__` : ''}${ns(p)}_${p.metadata.name}`.replace(/[^A-Za-z0-9_]/g, '_');
    const id = (task: string) => `${prefix}__${task.replace(/[^A-Za-z0-9_]/g, '_')}`;
    lines.push(`  subgraph ${prefix}["Pipeline ${ns(p)}/${p.metadata.name}"]`, '    direction TB');
    const tasks = asMaps(at(p, 'spec', 'tasks')).filter(named);
    const fin = asMaps(at(p, 'spec', 'finally')).filter(named);
    for (const t of tasks) lines.push(`    ${id(t.name)}["${t.name}${t.retries ? ` ↻${t.retries}` : ''}"]`);
    for (const t of fin) lines.push(`    ${id(t.name)}(["finally: ${t.name}"])`);
    // a pipeline that posts commit statuses (CommitStatus): where, in a note of its own
    const mine = all.filter((o) => clusterOf(o) === cluster);
    const status = statusTaskOf(p, (kind, name, namespace) =>
      mine.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || ns(o) === namespace)));
    if (status) {
      const label = `reports: ${status.provider} ${status.project} as '${status.context}'`.replace(/"/g, '#quot;');
      lines.push(`    ${prefix}___reports{{"${label}"}}`);
    }
    const consumed = new Set<string>();
    for (const t of [...tasks, ...fin]) {
      const resultEdges = new Map<string, string>();
      for (const ref of referencesInValue([t.params ?? [], t.when ?? []])) {
        if (ref.root === 'tasks' && ref.path[1] === 'results' && ref.path[2]) resultEdges.set(ref.path[0], ref.path[2]);
      }
      for (const [from, result] of resultEdges) {
        lines.push(`    ${id(from)} -.->|${result}| ${id(t.name)}`);
        if (tasks.includes(t)) consumed.add(from);
      }
      for (const dep of stringsOf(t.runAfter)) {
        if (!resultEdges.has(dep)) lines.push(`    ${id(dep)} --> ${id(t.name)}`);
        consumed.add(dep);
      }
    }
    if (fin.length && tasks.length) {
      const leaves = tasks.filter((t) => !consumed.has(t.name));
      for (const leaf of leaves) for (const f of fin) lines.push(`    ${id(leaf.name)} ==> ${id(f.name)}`);
    }
    lines.push('  end');
    lines.push(`  ${node(cluster, 'Pipeline', ns(p), p.metadata.name)} --- ${prefix}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A task of a Pipeline: a map with a name. */
type NamedTask = JsonMap & { readonly name: string };

function named(t: JsonMap): t is NamedTask {
  return typeof t.name === 'string';
}

/** The strings of a list (others left out). */
function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

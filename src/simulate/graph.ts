import { listenerOf, listenerTriggers } from './simulate';
import { referencesInValue } from '../tekton/references';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any };

/**
 * Draws a folder of objects as Mermaid: the trigger chain (Flux object → Alert → Provider → EventListener →
 * trigger → Pipeline) and each Pipeline's task DAG (runAfter edges, result edges, finally tasks).
 */
export function mermaidGraph(objects: any[]): string {
  const all = objects.filter((o): o is Obj => o && typeof o === 'object' && o.kind && o.metadata?.name);
  const ns = (o: Obj) => o.metadata.namespace ?? 'default';
  const lines = ['flowchart LR'];
  const nodes = new Map<string, string>();
  const node = (kind: string, namespace: string, name: string, label = `${kind} ${namespace}/${name}`) => {
    const id = `${kind}_${namespace}_${name}`.replace(/[^A-Za-z0-9_]/g, '_');
    if (!nodes.has(id)) nodes.set(id, `  ${id}["${label}"]`);
    return id;
  };
  const edges: string[] = [];

  for (const alert of all.filter((o) => o.kind === 'Alert' && o.apiVersion.startsWith('notification.toolkit.fluxcd.io/'))) {
    const a = node('Alert', ns(alert), alert.metadata.name);
    for (const src of alert.spec?.eventSources ?? []) {
      edges.push(`  ${node(src.kind, src.namespace ?? ns(alert), src.name)} --> ${a}`);
    }
    const providerName = alert.spec?.providerRef?.name;
    const provider = all.find((o) => o.kind === 'Provider' && o.metadata.name === providerName && ns(o) === ns(alert));
    const p = node('Provider', ns(alert), providerName);
    edges.push(`  ${a} --> ${p}`);
    const target = provider && listenerOf(provider.spec?.address ?? '', ns(provider));
    if (target) edges.push(`  ${p} -->|POST| ${node('EventListener', target.namespace, target.name)}`);
  }
  for (const el of all.filter((o) => o.kind === 'EventListener')) {
    const l = node('EventListener', ns(el), el.metadata.name);
    // inline triggers, triggerRefs and the Trigger objects its labelSelector selects, as Triggers' sink merges them
    const find = (kind: string, name: string, namespace?: string) =>
      all.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || ns(o) === namespace));
    for (const t of listenerTriggers(el, find, all, [])) {
      const tns = t.namespace ?? ns(el);
      const tid = node('trigger', ns(el), `${el.metadata.name}-${t.name}`, `trigger ${t.name}`);
      edges.push(`  ${l} --> ${tid}`);
      const template = all.find((o) => o.kind === 'TriggerTemplate' && o.metadata.name === t.template?.ref && ns(o) === tns);
      for (const rt of template?.spec?.resourcetemplates ?? []) {
        const pipeline = rt.kind === 'PipelineRun' ? rt.spec?.pipelineRef?.name : undefined;
        if (pipeline) edges.push(`  ${tid} -->|PipelineRun| ${node('Pipeline', tns, pipeline)}`);
      }
    }
  }
  lines.push(...nodes.values(), ...edges);

  for (const p of all.filter((o) => o.kind === 'Pipeline' && o.apiVersion.startsWith('tekton.dev/'))) {
    const prefix = `${ns(p)}_${p.metadata.name}`.replace(/[^A-Za-z0-9_]/g, '_');
    const id = (task: string) => `${prefix}__${task.replace(/[^A-Za-z0-9_]/g, '_')}`;
    lines.push(`  subgraph ${prefix}["Pipeline ${ns(p)}/${p.metadata.name}"]`, '    direction TB');
    const tasks: any[] = p.spec?.tasks ?? [];
    const fin: any[] = p.spec?.finally ?? [];
    for (const t of tasks) lines.push(`    ${id(t.name)}["${t.name}${t.retries ? ` ↻${t.retries}` : ''}"]`);
    for (const t of fin) lines.push(`    ${id(t.name)}(["finally: ${t.name}"])`);
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
      for (const dep of t.runAfter ?? []) {
        if (!resultEdges.has(dep)) lines.push(`    ${id(dep)} --> ${id(t.name)}`);
        consumed.add(dep);
      }
    }
    if (fin.length && tasks.length) {
      const leaves = tasks.filter((t) => !consumed.has(t.name));
      for (const leaf of leaves) for (const f of fin) lines.push(`    ${id(leaf.name)} ==> ${id(f.name)}`);
    }
    lines.push('  end');
    lines.push(`  ${node('Pipeline', ns(p), p.metadata.name)} --- ${prefix}`);
  }
  return `${lines.join('\n')}\n`;
}

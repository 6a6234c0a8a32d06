import { createHmac } from 'crypto';
import { RE2JS } from 're2js';
import { parse as parseYaml } from 'yaml';
import { SecretStore, canonicalHeader, evaluateCel } from './tekton-cel';
import { CANCELLER_LABEL, PROMOTION_LABELS } from '../patterns/run-labels';
import { referencesIn } from '../tekton/references';

/** Options of `simulateEvent`. */
export interface SimulateOptions {
  /**
   * Secret values the chain reads (Provider `headers`/`token`, CEL `compareSecret`): `<namespace>/<name>` → key → value;
   * in an app of clusters, `<cluster>:<namespace>/<name>` is that cluster's Secret (a plain key serves every cluster).
   * @default - none
   */
  readonly secrets?: SecretStore;
  /**
   * A Secret the chain reads that `secrets` does not give is assumed to hold what the other side expects
   * (the Provider's header token equals the listener's), and the trace says so. Set false to report it as
   * broken instead.
   * @default true
   */
  readonly assumeUnknownSecretsMatch?: boolean;
  /**
   * The cluster the event comes from (an app of `Cluster`s): only that cluster's Alerts send it. Objects are told
   * apart by `clusterOf`.
   * @default - every Alert of the input that watches the source
   */
  readonly cluster?: string;
  /**
   * The cluster of an object (for the CLI: the folder below the given one it was read from).
   * @default - one cluster holds every object
   */
  readonly clusterOf?: (object: any) => string | undefined;
}

/** A run the event would create. */
export interface SimulatedRun {
  /** `<namespace>/<name>` of the listener. */
  readonly listener: string;
  /** The trigger that fired. */
  readonly trigger: string;
  /** The object created (a PipelineRun, usually), with its params resolved. */
  readonly object: any;
}

/** What an event does to a set of objects. */
export interface SimulationResult {
  /** The runs the event creates. */
  readonly runs: SimulatedRun[];
  /** Why each path stopped, or what it did, in order. */
  readonly trace: string[];
  /** Broken links in the chain (a Provider or listener that does not exist, a param with no value …). */
  readonly broken: string[];
}

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; spec?: any };

/**
 * Follows a Flux event through a folder's objects, as the cluster would: Alert → Provider → listener
 * Service → EventListener → each trigger's interceptors (CEL filter and overlays evaluated with a real CEL
 * implementation) → TriggerBindings → TriggerTemplate → the objects it creates.
 */
export function simulateEvent(objects: any[], event: any, options: SimulateOptions = {}): SimulationResult {
  const secrets = options.secrets ?? new Map();
  const assume = options.assumeUnknownSecretsMatch ?? true;
  const trace: string[] = [];
  const broken: string[] = [];
  const runs: SimulatedRun[] = [];
  const all = objects.filter((o): o is Obj => o && typeof o === 'object' && o.kind && o.metadata?.name);
  const clusterOf = options.clusterOf ?? (() => undefined);
  const named = (cluster: string | undefined) => (cluster === undefined ? '' : ` (cluster ${cluster})`);
  // the objects of one cluster: what a Provider, a listener and its Triggers can refer to
  const inCluster = (cluster: string | undefined) => (cluster === undefined ? all : all.filter((o) => clusterOf(o) === cluster));
  const finder = (objs: Obj[]) => (kind: string, name: string, namespace?: string) =>
    objs.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || (o.metadata.namespace ?? 'default') === namespace));

  const involved = event?.involvedObject ?? {};
  const alerts = all.filter((o) => o.kind === 'Alert' && o.apiVersion.startsWith('notification.toolkit.fluxcd.io/') &&
    (options.cluster === undefined || clusterOf(o) === options.cluster));
  const matching = alerts.filter((a) => alertMatches(a, event, trace));
  if (alerts.length === 0) {
    trace.push(`no Flux Alert in the input${named(options.cluster)}`);
  } else if (matching.length === 0) {
    trace.push(`no Alert watches ${involved.kind}/${involved.namespace}/${involved.name} for this event${named(options.cluster)}`);
  }

  for (const alert of matching) {
    const ns = alert.metadata.namespace ?? 'default';
    const alertCluster = clusterOf(alert);
    const providerName = alert.spec?.providerRef?.name;
    const provider = finder(inCluster(alertCluster))('Provider', providerName, ns);
    if (!provider) {
      broken.push(`Alert ${ns}/${alert.metadata.name}${named(alertCluster)} sends to Provider '${providerName}', which is not in the input`);
      continue;
    }
    const type = provider.spec?.type;
    if (type !== 'generic' && type !== 'generic-hmac') {
      trace.push(`Provider ${ns}/${provider.metadata.name} is of type '${type}': it does not post the event to a listener`);
      continue;
    }
    const address = provider.spec?.address ?? '';
    // the listener's Service in the Provider's cluster, else an Ingress or HTTPRoute (of any cluster) routing the URL to one
    const local = listenerOf(address, ns);
    const routed = local ? undefined : routedListener(address, all, clusterOf);
    const target = local ? { ...local, cluster: alertCluster } : routed;
    if (!target) {
      broken.push(`Provider ${ns}/${provider.metadata.name} posts to '${address}', which is not an EventListener Service ` +
        '(el-<name>.<namespace>…:8080) nor a URL that an Ingress or HTTPRoute of the input routes to one');
      continue;
    }
    const objs = inCluster(target.cluster);
    const find = finder(objs);
    const listener = find('EventListener', target.name, target.namespace);
    if (!listener) {
      broken.push(`Provider ${ns}/${provider.metadata.name} posts to Service el-${target.name} in '${target.namespace}'${named(target.cluster)}, ` +
        `but EventListener ${target.namespace}/${target.name} is not in the input`);
      continue;
    }
    const via = routed ? ` → ${routed.via}` : '';
    trace.push(`Alert ${ns}/${alert.metadata.name}${named(alertCluster)} → Provider ${ns}/${provider.metadata.name}${via} → ` +
      `EventListener ${target.namespace}/${target.name}${named(target.cluster)}`);
    // Flux adds the Alert's eventMetadata to the event's metadata (over the keys of the object's annotations)
    const sent = alert.spec?.eventMetadata ? { ...event, metadata: { ...(event?.metadata ?? {}), ...alert.spec.eventMetadata } } : event;
    let header: { [name: string]: string[] };
    try {
      header = providerHeaders(provider, sent, secretsOf(secrets, alertCluster), assume, trace);
    } catch (e: any) {
      broken.push(e.message);
      continue;
    }
    for (const trigger of listenerTriggers(listener, find, objs, broken)) {
      if (!authenticates(trigger)) {
        trace.push(`WARNING: trigger '${trigger.name}' of EventListener ${target.namespace}/${target.name} is unauthenticated: ` +
          'anyone who can reach the listener can start runs (no compareSecret or signature check in its interceptors)');
      }
      const unknownSecret = (id: string, key: string) => {
        if (!assume) return undefined;
        trace.push(`assumed: Secret ${id} key '${key}' holds the token the Provider sends (to check, give the value of ${id} key '${key}')`);
        return true;
      };
      const result = fireTrigger(trigger, listener, sent, header, secretsOf(secrets, target.cluster), find, unknownSecret);
      trace.push(`trigger '${trigger.name}': ${result.note}`);
      if (result.error) broken.push(`trigger '${trigger.name}' of EventListener ${target.namespace}/${target.name}: ${result.error}`);
      for (const object of result.objects) {
        runs.push({ listener: `${target.namespace}/${target.name}`, trigger: trigger.name, object });
        const note = promotionOf(object, sent) ?? cancellerOf(object);
        if (note) trace.push(note);
      }
    }
  }
  return { runs, trace: [...new Set(trace)], broken };
}

function alertMatches(alert: Obj, event: any, trace: string[]): boolean {
  const spec = alert.spec ?? {};
  const inv = event?.involvedObject ?? {};
  const ns = alert.metadata.namespace ?? 'default';
  if (spec.suspend) return false;
  const sourceMatch = (spec.eventSources ?? []).some((s: any) =>
    s.kind === inv.kind && (s.name === '*' || s.name === inv.name) && (s.namespace ?? ns) === inv.namespace);
  if (!sourceMatch) return false;
  if (spec.eventSeverity === 'error' && event.severity !== 'error') {
    trace.push(`Alert ${ns}/${alert.metadata.name} sends only error events; this one is '${event.severity}'`);
    return false;
  }
  const message = String(event.message ?? '');
  if (spec.inclusionList?.length && !spec.inclusionList.some((r: string) => goRegexpFind(r, message))) {
    trace.push(`Alert ${ns}/${alert.metadata.name}: the message matches no inclusionList entry`);
    return false;
  }
  if (spec.exclusionList?.some((r: string) => goRegexpFind(r, message))) {
    trace.push(`Alert ${ns}/${alert.metadata.name}: the message matches an exclusionList entry`);
    return false;
  }
  return true;
}

/**
 * Whether Go's `regexp.MatchString(pattern, text)` is true, as notification-controller tests an Alert's
 * lists: RE2 syntax and linear-time matching (re2js), so a pattern like `^(a+)+$` cannot backtrack for ages.
 */
function goRegexpFind(pattern: string, text: string): boolean {
  try {
    return RE2JS.compile(pattern).matcher(text).find();
  } catch (e: any) {
    throw new Error(`the Alert pattern '${pattern}' is not a valid Go regular expression: ${e.message}`);
  }
}

/**
 * The listener an external URL reaches: an Ingress rule (host, path prefix) or HTTPRoute (hostname, path prefix)
 * whose backend is a listener's Service `el-<name>`, in the route's namespace and cluster.
 */
export function routedListener(address: string, all: Obj[], clusterOf: (o: any) => string | undefined):
{ name: string; namespace: string; cluster: string | undefined; via: string } | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  const prefixOf = (p: string | undefined) => {
    const prefix = (p ?? '/').replace(/\/+$/, '');
    return url.pathname === prefix || url.pathname.startsWith(`${prefix}/`) || prefix === '';
  };
  for (const o of all) {
    const ns = o.metadata.namespace ?? 'default';
    const found = (service: string | undefined) => (service?.startsWith('el-')
      ? { name: service.slice(3), namespace: ns, cluster: clusterOf(o), via: `${o.kind} ${ns}/${o.metadata.name}` } : undefined);
    if (o.kind === 'Ingress' && o.apiVersion.startsWith('networking.k8s.io/')) {
      for (const rule of o.spec?.rules ?? []) {
        if (rule.host !== url.hostname) continue;
        for (const p of rule.http?.paths ?? []) {
          const hit = prefixOf(p.path) ? found(p.backend?.service?.name) : undefined;
          if (hit) return hit;
        }
      }
    }
    if (o.kind === 'HTTPRoute' && o.apiVersion.startsWith('gateway.networking.k8s.io/') && (o.spec?.hostnames ?? []).includes(url.hostname)) {
      for (const rule of o.spec?.rules ?? []) {
        const matches = rule.matches?.length ? rule.matches : [{ path: { value: '/' } }];
        if (!matches.some((m: any) => prefixOf(m.path?.value))) continue;
        const hit = found(rule.backendRefs?.[0]?.name);
        if (hit) return hit;
      }
    }
  }
  return undefined;
}

/** `http://el-<name>.<ns>.svc.cluster.local:8080` (or `https://…:8443`) → { name, namespace }. */
export function listenerOf(address: string, providerNamespace: string): { name: string; namespace: string } | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  if (url.protocol === 'https:' ? url.port !== '8443' : url.port && url.port !== '8080') return undefined;
  const parts = url.hostname.split('.');
  if (!parts[0].startsWith('el-')) return undefined;
  const rest = parts.slice(1).join('.');
  if (rest && !/^[a-z0-9-]+(\.svc(\.cluster\.local)?)?$/.test(rest)) return undefined;
  return { name: parts[0].slice(3), namespace: parts[1] ?? providerNamespace };
}

/** Whether a trigger checks who sent the request: a CEL `compareSecret`, or a signature-checking interceptor. */
function authenticates(trigger: TriggerSpec): boolean {
  return (trigger.interceptors ?? []).some((i: any) => {
    const name = i.ref?.name ?? i.name;
    if (['github', 'gitlab', 'bitbucket', 'slack'].includes(name)) return (i.params ?? []).some((p: any) => /secret/i.test(p.name));
    return JSON.stringify(i.params ?? []).includes('compareSecret(');
  });
}

/** The Secrets as one cluster sees them: its own (`<cluster>:<namespace>/<name>`) over those of no cluster. */
function secretsOf(secrets: SecretStore, cluster: string | undefined): SecretStore {
  if (cluster === undefined) return secrets;
  const out: SecretStore = new Map();
  for (const [key, value] of secrets) if (!key.includes(':')) out.set(key, value);
  for (const [key, value] of secrets) if (key.startsWith(`${cluster}:`)) out.set(key.slice(cluster.length + 1), value);
  return out;
}

function providerHeaders(provider: Obj, event: any, secrets: SecretStore, assume: boolean, trace: string[]): { [name: string]: string[] } {
  const header: { [name: string]: string[] } = {
    'Content-Type': ['application/json'],
    'Gotk-Component': [String(event?.reportingController ?? '')],
  };
  const ref = provider.spec?.secretRef?.name;
  if (!ref) return header;
  const id = `${provider.metadata.namespace ?? 'default'}/${ref}`;
  const secret = secrets.get(id);
  if (!secret && assume) {
    trace.push(`assumed: Provider ${provider.metadata.namespace}/${provider.metadata.name}'s Secret '${ref}' holds the header the listener checks ` +
      `(to check, give the value of ${id} key 'headers', e.g. 'X-Flux-Token: <token>')`);
    return header;
  }
  if (!secret) {
    throw new Error(`Provider ${provider.metadata.namespace}/${provider.metadata.name} reads Secret '${ref}': give the value of ${id} key 'headers' (e.g. 'X-Flux-Token: <token>'; key 'token' for generic-hmac)`);
  }
  if (secret.headers) {
    const parsed = parseYaml(secret.headers) ?? {};
    for (const [k, v] of Object.entries(parsed)) header[canonicalHeader(k)] = [String(v)];
  }
  if (provider.spec?.type === 'generic-hmac' && secret.token) {
    header['X-Signature'] = [`sha256=${createHmac('sha256', secret.token).update(JSON.stringify(event)).digest('hex')}`];
  }
  return header;
}

/** A trigger of a listener; `namespace` is set for a selected `Trigger` object (its template is in its namespace). */
export interface TriggerSpec { name: string; namespace?: string; interceptors?: any[]; bindings?: any[]; template?: any }

/**
 * A listener's triggers as Triggers' sink merges them: its inline ones and `triggerRef`s, and the `Trigger` objects
 * its `labelSelector` selects (in its own namespace, or those its `namespaceSelector` names; `matchLabels` only).
 */
export function listenerTriggers(listener: Obj, find: (k: string, n: string, ns?: string) => Obj | undefined, all: Obj[],
  broken: string[]): TriggerSpec[] {
  const ns = listener.metadata.namespace ?? 'default';
  const selector = listener.spec?.labelSelector;
  const names: string[] = listener.spec?.namespaceSelector?.matchNames ?? [];
  const selected: TriggerSpec[] = !selector ? [] : all
    .filter((o) => o.kind === 'Trigger')
    .filter((o) => names.includes('*') || (names.length ? names : [ns]).includes(o.metadata.namespace ?? 'default'))
    .filter((o) => {
      const labels = (o.metadata as { labels?: { [k: string]: string } }).labels ?? {};
      return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    })
    .map((o) => ({ name: o.metadata.name, namespace: o.metadata.namespace ?? 'default', ...o.spec }));
  if (selector?.matchExpressions?.length) {
    broken.push(`EventListener ${ns}/${listener.metadata.name} selects Triggers by matchExpressions, which simulate does not follow`);
  }
  return [...(listener.spec?.triggers ?? []).flatMap((t: any, i: number) => {
    if (t.triggerRef) {
      const ref = find('Trigger', t.triggerRef, ns);
      if (!ref) {
        broken.push(`EventListener ${ns}/${listener.metadata.name} refers to Trigger '${t.triggerRef}', which is not in the input`);
        return [];
      }
      return [{ name: t.triggerRef, ...ref.spec }];
    }
    return [{ ...t, name: t.name ?? `trigger-${i}` }];
  }), ...selected];
}

function fireTrigger(trigger: TriggerSpec, listener: Obj, event: any, header: { [name: string]: string[] }, secrets: SecretStore,
  find: (k: string, n: string, ns?: string) => Obj | undefined,
  unknownSecret: (id: string, key: string) => boolean | undefined): { note: string; objects: any[]; error?: string } {
  const ns = listener.metadata.namespace ?? 'default';
  const extensions: { [key: string]: unknown } = {};
  for (const interceptor of trigger.interceptors ?? []) {
    const name = interceptor.ref?.name ?? interceptor.name;
    if (name !== 'cel') {
      return { note: `stops at interceptor '${name}', which the simulation cannot run (only CEL)`, objects: [] };
    }
    const params = Object.fromEntries((interceptor.params ?? []).map((p: any) => [p.name, p.value]));
    const request = { body: event, header, extensions };
    try {
      if (params.filter !== undefined) {
        const pass = evaluateCel(params.filter, request, secrets, ns, unknownSecret);
        if (pass !== true) {
          const failing = conjuncts(params.filter).find((c) => evaluateCel(c, request, secrets, ns, unknownSecret) !== true) ?? params.filter;
          return { note: `CEL filter is false at: ${failing}`, objects: [] };
        }
      }
      // Tekton evaluates one interceptor's overlays side by side; later interceptors see their results.
      const results = (params.overlays ?? []).map((o: any) => [o.key, evaluateCel(o.expression, request, secrets, ns, unknownSecret)] as const);
      for (const [key, value] of results) setPath(extensions, key, value);
    } catch (e: any) {
      return { note: 'CEL interceptor failed', objects: [], error: e.message };
    }
  }

  const values: { [name: string]: string } = {};
  for (const b of trigger.bindings ?? []) {
    let params: Array<{ name: string; value: string }>;
    if (b.ref) {
      const binding = find(b.kind === 'ClusterTriggerBinding' ? 'ClusterTriggerBinding' : 'TriggerBinding', b.ref,
        b.kind === 'ClusterTriggerBinding' ? undefined : ns);
      if (!binding) return { note: 'binding missing', objects: [], error: `${b.kind ?? 'TriggerBinding'} '${b.ref}' is not in the input` };
      params = binding.spec?.params ?? [];
    } else {
      params = [{ name: b.name, value: b.value }];
    }
    for (const p of params) {
      try {
        values[p.name] = substituteBinding(String(p.value), { body: event, header, extensions });
      } catch (e: any) {
        return { note: 'binding failed', objects: [], error: `binding param '${p.name}': ${e.message}` };
      }
    }
  }

  const templateRef = trigger.template?.ref ?? trigger.template?.name;
  const template = templateRef ? find('TriggerTemplate', templateRef, ns) : undefined;
  if (!template) return { note: 'template missing', objects: [], error: `TriggerTemplate '${templateRef}' is not in the input` };
  const ttParams: { [name: string]: string } = {};
  for (const p of template.spec?.params ?? []) {
    if (p.name in values) ttParams[p.name] = values[p.name];
    else if (p.default !== undefined) ttParams[p.name] = String(p.default);
    else return { note: 'a template param has no value', objects: [], error: `TriggerTemplate '${templateRef}' param '${p.name}' gets no value from the bindings and has no default` };
  }
  const objects = (template.spec?.resourcetemplates ?? []).map((rt: any) => substituteTemplate(rt, ttParams));
  const unresolved = JSON.stringify(objects).match(/\$\(tt\.params\.[^)]*\)/);
  if (unresolved) {
    return { note: 'unresolved param', objects: [], error: `TriggerTemplate '${templateRef}' uses ${unresolved[0]}, which it does not declare` };
  }
  const rejected = objects.flatMap((o: any) => reconcilerProblems(o, ns, find));
  if (rejected.length) {
    return { note: 'Tekton would fail the run at once', objects: [], error: `the ${objects[0]?.kind ?? 'run'} it creates would fail at once: ${rejected.join('; ')}` };
  }
  return { note: `fires: ${objects.map((o: any) => o.kind).join(', ')} from TriggerTemplate '${templateRef}'`, objects };
}

/** What the TaskRun of `RunConcurrency.cancelInProgress()` does, in words. */
function cancellerOf(run: any): string | undefined {
  const trigger = run?.metadata?.labels?.[CANCELLER_LABEL];
  if (run?.kind !== 'TaskRun' || !trigger) return undefined;
  const newer = (run.spec?.params ?? []).find((p: any) => p.name === 'run')?.value;
  return `${run.metadata?.name} cancels the runs of trigger '${trigger}' still running that ${newer ?? 'the new run'} supersedes ` +
    '(concurrency: RunConcurrency.cancelInProgress())';
}

/** What a run of a `Promotion` does, in words (its labels name the app and the environments). */
function promotionOf(run: any, event: any): string | undefined {
  const labels = run?.metadata?.labels ?? {};
  const [app, from, to] = [PROMOTION_LABELS.app, PROMOTION_LABELS.from, PROMOTION_LABELS.to].map((k) => labels[k]);
  if (run?.kind !== 'PipelineRun' || !app || !from || !to) return undefined;
  const revision = event?.metadata?.revision ?? Object.entries(event?.metadata ?? {}).find(([k]) => k.endsWith('/revision'))?.[1];
  return `promotes '${app}' from ${from} to ${to}: the version ${from} runs at ${revision ?? 'the event\'s revision'} (run ${run.metadata?.name})`;
}

/**
 * What Tekton's PipelineRun reconciler checks before it starts anything, and fails the run for: the Pipeline
 * exists, every param without a default has a value of its type, every required workspace is bound, and each
 * result reference names a result its Task declares (a Task that is not in the input is taken on trust).
 */
function reconcilerProblems(run: any, ns: string, find: (k: string, n: string, ns?: string) => Obj | undefined): string[] {
  if (run?.kind !== 'PipelineRun' || !run.spec?.pipelineRef?.name) return [];
  const pipelineName = run.spec.pipelineRef.name;
  const pipeline = find('Pipeline', pipelineName, ns);
  if (!pipeline) return [`Pipeline '${pipelineName}' is not in namespace '${ns}' of the input`];
  const problems: string[] = [];
  const given = new Map<string, unknown>((run.spec.params ?? []).map((p: any) => [p.name, p.value]));
  for (const p of pipeline.spec?.params ?? []) {
    const value = given.get(p.name);
    if (value === undefined && p.default === undefined) problems.push(`param '${p.name}' of Pipeline '${pipelineName}' has no value`);
    const type = p.type ?? 'string';
    const actual = value === undefined ? type : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : 'string';
    if (actual !== type) problems.push(`param '${p.name}' is of type ${type}, but the run gives ${actual === 'array' ? 'an' : 'a'} ${actual}`);
  }
  const bound = new Set((run.spec.workspaces ?? []).map((w: any) => w.name));
  for (const w of pipeline.spec?.workspaces ?? []) {
    if (!w.optional && !bound.has(w.name)) problems.push(`workspace '${w.name}' of Pipeline '${pipelineName}' is not bound`);
  }
  const tasks = [...(pipeline.spec?.tasks ?? []), ...(pipeline.spec?.finally ?? [])];
  for (const t of tasks) {
    for (const ref of referencesIn(JSON.stringify([t.params ?? [], t.when ?? []]))) {
      if (ref.root !== 'tasks' || ref.path[1] !== 'results') continue;
      const producer = tasks.find((x) => x.name === ref.path[0]);
      const task = producer?.taskRef?.name && find('Task', producer.taskRef.name, ns);
      if (task && !(task.spec?.results ?? []).some((r: any) => r.name === ref.path[2])) {
        problems.push(`task '${t.name}' uses ${ref.text}, but Task '${producer.taskRef.name}' declares no result '${ref.path[2]}'`);
      }
    }
  }
  return problems;
}

/** Sets `a.b.c` in `target`, as Triggers does for an overlay key; own properties only, so `__proto__` is a key like any other. */
function setPath(target: { [key: string]: unknown }, key: string, value: unknown) {
  const parts = key.split('.');
  let node: any = target;
  const own = (o: any, k: string, v: unknown) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const p of parts.slice(0, -1)) {
    if (!Object.prototype.hasOwnProperty.call(node, p) || typeof node[p] !== 'object' || node[p] === null) own(node, p, {});
    node = node[p];
  }
  own(node, parts[parts.length - 1], value);
}

/** `$(body.a.b)`, `$(header.X)`, `$(extensions.k)` in a binding value. */
function substituteBinding(value: string, ctx: { body: any; header: { [name: string]: string[] }; extensions: any }): string {
  return value.replace(/\$\(([^()]*)\)/g, (whole, expr: string) => {
    const [root, ...rest] = splitPath(expr.trim());
    let current: any;
    if (root === 'body') {
      current = ctx.body;
    } else if (root === 'extensions') {
      current = ctx.extensions;
    } else if (root === 'header') {
      if (rest.length === 0) return JSON.stringify(ctx.header);
      const values = ctx.header[canonicalHeader(rest[0])];
      if (!values) throw new Error(`${whole}: the request has no header '${rest[0]}'`);
      return values.join(',');
    } else {return whole;}
    for (const p of rest) {
      if (current === null || typeof current !== 'object' || !(p in current)) throw new Error(`${whole}: not in the ${root}`);
      current = current[p];
    }
    return typeof current === 'string' ? current : JSON.stringify(current);
  });
}

function splitPath(path: string): string[] {
  const parts: string[] = [];
  const re = /([^.[\]]+)|\[\s*['"]?([^'"\]]+)['"]?\s*\]/g;
  for (const m of path.matchAll(re)) parts.push(m[1] ?? m[2]);
  return parts;
}

function substituteTemplate(value: any, params: { [name: string]: string }): any {
  if (typeof value === 'string') {
    return value.replace(/\$\(tt\.params\.([A-Za-z0-9_.-]+)\)/g, (whole, name) => (name in params ? params[name] : whole));
  }
  if (Array.isArray(value)) return value.map((v) => substituteTemplate(v, params));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteTemplate(v, params)]));
  return value;
}

/** Splits a CEL expression at its top-level `&&` (outside parentheses, brackets and strings). */
export function conjuncts(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '\'' || c === '"') {
      quote = c;
    } else if (c === '(' || c === '[') {
      depth++;
    } else if (c === ')' || c === ']') {
      depth--;
    } else if (depth === 0 && expression.startsWith('&&', i)) {
      parts.push(expression.slice(start, i).trim());
      start = i + 2;
      i++;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts;
}

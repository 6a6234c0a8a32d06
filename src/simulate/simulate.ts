import { createHmac } from 'crypto';
import { Construct } from 'constructs';
import { RE2JS } from 're2js';
import { parse as parseYaml } from 'yaml';
import {
  JsonMap, KubeObject, apiVersionOf, asList, asMap, asMaps, asString, at, isKubeObject, isMap, labelsOf, namespaceOf, stringAt,
} from './json';
import { SecretStore, canonicalHeader, evaluateCel } from './tekton-cel';
import { STATUS_COMMIT_PARAM, STATUS_END_TASK, STATUS_START_TASK } from '../patterns/commit-status';
import { CANCELLER_LABEL, COMMIT_STATUS_LABEL, PROMOTION_LABELS } from '../patterns/run-labels';
import { problem } from '../problems';
import { ParamOptions, ParamType, ParamValue } from '../tekton/params';
import { IPipeline, Pipeline, unknownResultProblem } from '../tekton/pipeline';
import { runParamTypeProblems, runProblems } from '../tekton/pipeline-run';
import { referencesInValue } from '../tekton/references';
import { WorkspaceBinding } from '../tekton/workspace-binding';
import { WorkspaceOptions } from '../tekton/workspaces';

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
  readonly clusterOf?: (object: unknown) => string | undefined;
}

/** A run the event would create. */
export interface SimulatedRun {
  /** `<namespace>/<name>` of the listener. */
  readonly listener: string;
  /** The trigger that fired. */
  readonly trigger: string;
  /** The object created (a PipelineRun, usually), with its params resolved: JSON, as the cluster would get it. */
  readonly object: JsonMap;
  /**
   * The commit status the run posts (`pending` when it starts, its outcome when it ends), when its Pipeline
   * reports one (a `status` of `FluxTriggeredPipeline`) and the run has a commit.
   * @default - none
   */
  readonly status?: SimulatedStatus;
}

/** The commit status a simulated run would post. */
export interface SimulatedStatus {
  /** `github`, `gitlab` … (the status Task's `PROVIDER`). */
  readonly provider: string;
  /** The repository or project (`acme/app`). */
  readonly project: string;
  /** The commit it is posted on. */
  readonly commit: string;
  /** The status's context (`ci/<pipeline>`). */
  readonly context: string;
  /** The API it is posted to. */
  readonly api: string;
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

/** Finds an object of the input by kind, name and (unless undefined) namespace. */
type Finder = (kind: string, name: string, namespace?: string) => KubeObject | undefined;

/** The message of a thrown value. */
function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Follows a Flux event through a folder's objects, as the cluster would: Alert → Provider → listener
 * Service → EventListener → each trigger's interceptors (CEL filter and overlays evaluated with a real CEL
 * implementation) → TriggerBindings → TriggerTemplate → the objects it creates.
 */
export function simulateEvent(objects: unknown[], event: unknown, options: SimulateOptions = {}): SimulationResult {
  const secrets = options.secrets ?? new Map();
  const assume = options.assumeUnknownSecretsMatch ?? true;
  const trace: string[] = [];
  const broken: string[] = [];
  const runs: SimulatedRun[] = [];
  const all = objects.filter(isKubeObject);
  const clusterOf = options.clusterOf ?? (() => undefined);
  const named = (cluster: string | undefined) => (cluster === undefined ? '' : ` (cluster ${cluster})`);
  // the objects of one cluster: what a Provider, a listener and its Triggers can refer to
  const inCluster = (cluster: string | undefined) => (cluster === undefined ? all : all.filter((o) => clusterOf(o) === cluster));
  const finder = (objs: KubeObject[]): Finder => (kind, name, namespace) =>
    objs.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || namespaceOf(o) === namespace));

  const involved = asMap(at(event, 'involvedObject'));
  const alerts = all.filter((o) => o.kind === 'Alert' && apiVersionOf(o).startsWith('notification.toolkit.fluxcd.io/') &&
    (options.cluster === undefined || clusterOf(o) === options.cluster));
  const matching = alerts.filter((a) => alertMatches(a, event, trace));
  if (alerts.length === 0) {
    trace.push(`no Flux Alert in the input${named(options.cluster)}`);
  } else if (matching.length === 0) {
    trace.push(`no Alert watches ${involved.kind}/${involved.namespace}/${involved.name} for this event${named(options.cluster)}`);
  }

  for (const alert of matching) {
    const ns = namespaceOf(alert);
    const alertCluster = clusterOf(alert);
    const providerName = stringAt(alert, 'spec', 'providerRef', 'name') ?? '';
    const provider = finder(inCluster(alertCluster))('Provider', providerName, ns);
    if (!provider) {
      broken.push(problem('unknown-reference', `Alert ${ns}/${alert.metadata.name}${named(alertCluster)} sends to Provider '${providerName}', ` +
        'which is not in the input: give the objects that hold it'));
      continue;
    }
    const type = at(provider, 'spec', 'type');
    if (type !== 'generic' && type !== 'generic-hmac') {
      trace.push(`Provider ${ns}/${provider.metadata.name} is of type '${type}': it does not post the event to a listener`);
      continue;
    }
    const address = stringAt(provider, 'spec', 'address') ?? '';
    // the listener's Service in the Provider's cluster, else an Ingress or HTTPRoute (of any cluster) routing the URL to one
    const local = listenerOf(address, ns);
    const routed = local ? undefined : routedListener(address, all, clusterOf);
    const target = local ? { ...local, cluster: alertCluster } : routed;
    if (!target) {
      broken.push(problem('unknown-reference', `Provider ${ns}/${provider.metadata.name} posts to '${address}', which is not an EventListener Service ` +
        '(el-<name>.<namespace>…:8080) nor a URL that an Ingress or HTTPRoute of the input routes to one: give the objects that route it'));
      continue;
    }
    const objs = inCluster(target.cluster);
    const find = finder(objs);
    const listener = find('EventListener', target.name, target.namespace);
    if (!listener) {
      broken.push(problem('unknown-reference', `Provider ${ns}/${provider.metadata.name} posts to Service el-${target.name} in '${target.namespace}'` +
        `${named(target.cluster)}, but EventListener ${target.namespace}/${target.name} is not in the input: give the objects that hold it`));
      continue;
    }
    const via = routed ? ` → ${routed.via}` : '';
    trace.push(`Alert ${ns}/${alert.metadata.name}${named(alertCluster)} → Provider ${ns}/${provider.metadata.name}${via} → ` +
      `EventListener ${target.namespace}/${target.name}${named(target.cluster)}`);
    // Flux adds the Alert's eventMetadata to the event's metadata (over the keys of the object's annotations)
    const eventMetadata = at(alert, 'spec', 'eventMetadata');
    const sent = isMap(eventMetadata) ? { ...asMap(event), metadata: { ...asMap(at(event, 'metadata')), ...eventMetadata } } : event;
    let header: { [name: string]: string[] };
    try {
      header = providerHeaders(provider, sent, secretsOf(secrets, alertCluster), assume, trace);
    } catch (e) {
      broken.push(messageOf(e));
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
      if (result.error) {
        broken.push(problem(result.error.code, `trigger '${trigger.name}' of EventListener ${target.namespace}/${target.name}: ${result.error.message}`));
      }
      for (const object of result.objects) {
        const status = statusOf(object, target.namespace, find);
        runs.push({ listener: `${target.namespace}/${target.name}`, trigger: trigger.name, object, ...(status ? { status } : {}) });
        const note = promotionOf(object, sent) ?? cancellerOf(object);
        if (note) trace.push(note);
        if (status) {
          trace.push(`status: pending then success|failure on ${status.provider} ${status.project}@${status.commit} as '${status.context}' ` +
            `(run ${runName(object)})`);
        }
      }
    }
  }
  return { runs, trace: [...new Set(trace)], broken };
}

function alertMatches(alert: KubeObject, event: unknown, trace: string[]): boolean {
  const spec = asMap(alert.spec);
  const inv = asMap(at(event, 'involvedObject'));
  const ns = namespaceOf(alert);
  if (spec.suspend) return false;
  const sourceMatch = asMaps(spec.eventSources).some((s) =>
    s.kind === inv.kind && (s.name === '*' || s.name === inv.name) && (s.namespace ?? ns) === inv.namespace);
  if (!sourceMatch) return false;
  const severity = at(event, 'severity');
  if (spec.eventSeverity === 'error' && severity !== 'error') {
    trace.push(`Alert ${ns}/${alert.metadata.name} sends only error events; this one is '${severity}'`);
    return false;
  }
  const message = String(at(event, 'message') ?? '');
  const patterns = (list: unknown) => asList(list).map(String);
  const inclusions = patterns(spec.inclusionList);
  if (inclusions.length && !inclusions.some((r) => goRegexpFind(r, message))) {
    trace.push(`Alert ${ns}/${alert.metadata.name}: the message matches no inclusionList entry`);
    return false;
  }
  if (patterns(spec.exclusionList).some((r) => goRegexpFind(r, message))) {
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
  } catch (e) {
    throw new Error(problem('invalid-regex', `the Alert pattern '${pattern}' is not a valid Go regular expression: ${messageOf(e)}`));
  }
}

/**
 * The listener an external URL reaches: an Ingress rule (host, path prefix) or HTTPRoute (hostname, path prefix)
 * whose backend is a listener's Service `el-<name>`, in the route's namespace and cluster.
 */
export function routedListener(address: string, all: KubeObject[], clusterOf: (o: unknown) => string | undefined):
{ name: string; namespace: string; cluster: string | undefined; via: string } | undefined {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  const prefixOf = (p: unknown) => {
    const prefix = (asString(p) ?? '/').replace(/\/+$/, '');
    return url.pathname === prefix || url.pathname.startsWith(`${prefix}/`) || prefix === '';
  };
  for (const o of all) {
    const ns = namespaceOf(o);
    const found = (service: string | undefined) => (service?.startsWith('el-')
      ? { name: service.slice(3), namespace: ns, cluster: clusterOf(o), via: `${o.kind} ${ns}/${o.metadata.name}` } : undefined);
    if (o.kind === 'Ingress' && apiVersionOf(o).startsWith('networking.k8s.io/')) {
      for (const rule of asMaps(at(o, 'spec', 'rules'))) {
        if (rule.host !== url.hostname) continue;
        for (const p of asMaps(at(rule, 'http', 'paths'))) {
          const hit = prefixOf(p.path) ? found(stringAt(p, 'backend', 'service', 'name')) : undefined;
          if (hit) return hit;
        }
      }
    }
    if (o.kind === 'HTTPRoute' && apiVersionOf(o).startsWith('gateway.networking.k8s.io/') && asList(at(o, 'spec', 'hostnames')).includes(url.hostname)) {
      for (const rule of asMaps(at(o, 'spec', 'rules'))) {
        const given = asMaps(rule.matches);
        const matches = given.length ? given : [{ path: { value: '/' } }];
        if (!matches.some((m) => prefixOf(at(m, 'path', 'value')))) continue;
        const hit = found(asString(asMaps(rule.backendRefs)[0]?.name));
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
  return asMaps(trigger.interceptors).some((i) => {
    const name = stringAt(i, 'ref', 'name') ?? i.name;
    if (typeof name === 'string' && ['github', 'gitlab', 'bitbucket', 'slack'].includes(name)) {
      return asMaps(i.params).some((p) => /secret/i.test(String(p.name)));
    }
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

function providerHeaders(provider: KubeObject, event: unknown, secrets: SecretStore, assume: boolean, trace: string[]): { [name: string]: string[] } {
  const header: { [name: string]: string[] } = {
    'Content-Type': ['application/json'],
    'Gotk-Component': [String(at(event, 'reportingController') ?? '')],
  };
  const ref = stringAt(provider, 'spec', 'secretRef', 'name');
  if (!ref) return header;
  const id = `${namespaceOf(provider)}/${ref}`;
  const secret = secrets.get(id);
  const name = `${asString(provider.metadata.namespace)}/${provider.metadata.name}`;
  if (!secret && assume) {
    trace.push(`assumed: Provider ${name}'s Secret '${ref}' holds the header the listener checks ` +
      `(to check, give the value of ${id} key 'headers', e.g. 'X-Flux-Token: <token>')`);
    return header;
  }
  if (!secret) {
    throw new Error(problem('unknown-secret', `Provider ${name} reads Secret '${ref}': give the value of ${id} key 'headers' ` +
      "(e.g. 'X-Flux-Token: <token>'; key 'token' for generic-hmac)"));
  }
  if (secret.headers) {
    const parsed: unknown = parseYaml(secret.headers) ?? {};
    for (const [k, v] of Object.entries(asMap(parsed))) header[canonicalHeader(k)] = [String(v)];
  }
  if (at(provider, 'spec', 'type') === 'generic-hmac' && secret.token) {
    header['X-Signature'] = [`sha256=${createHmac('sha256', secret.token).update(JSON.stringify(event)).digest('hex')}`];
  }
  return header;
}

/** A trigger of a listener; `namespace` is set for a selected `Trigger` object (its template is in its namespace). */
export interface TriggerSpec {
  readonly name: string;
  readonly namespace?: string;
  readonly interceptors?: unknown;
  readonly bindings?: unknown;
  readonly template?: unknown;
}

/** A trigger's fields from a spec (an inline trigger or a `Trigger` object's). */
function triggerSpec(name: string, spec: unknown, namespace?: string): TriggerSpec {
  const s = asMap(spec);
  return { name, ...(namespace ? { namespace } : {}), interceptors: s.interceptors, bindings: s.bindings, template: s.template };
}

/**
 * A listener's triggers as Triggers' sink merges them: its inline ones and `triggerRef`s, and the `Trigger` objects
 * its `labelSelector` selects (in its own namespace, or those its `namespaceSelector` names; `matchLabels` only).
 */
export function listenerTriggers(listener: KubeObject, find: Finder, all: KubeObject[], broken: string[]): TriggerSpec[] {
  const ns = namespaceOf(listener);
  const spec = asMap(listener.spec);
  const selector = spec.labelSelector;
  const names = asList(at(spec, 'namespaceSelector', 'matchNames'));
  const matchLabels = Object.entries(asMap(at(selector, 'matchLabels')));
  const selected: TriggerSpec[] = !isMap(selector) ? [] : all
    .filter((o) => o.kind === 'Trigger')
    .filter((o) => names.includes('*') || (names.length ? names : [ns]).includes(namespaceOf(o)))
    .filter((o) => {
      const labels = labelsOf(o);
      return matchLabels.every(([k, v]) => labels[k] === v);
    })
    .map((o) => triggerSpec(o.metadata.name, o.spec, namespaceOf(o)));
  if (asList(at(selector, 'matchExpressions')).length) {
    broken.push(problem('unsupported-selector', `EventListener ${ns}/${listener.metadata.name} selects Triggers by matchExpressions, which simulate ` +
      'does not follow: select them by matchLabels'));
  }
  return [...asMaps(spec.triggers).flatMap((t, i) => {
    if (t.triggerRef) {
      const refName = String(t.triggerRef);
      const ref = find('Trigger', refName, ns);
      if (!ref) {
        broken.push(problem('unknown-reference', `EventListener ${ns}/${listener.metadata.name} refers to Trigger '${refName}', which is not in the input: ` +
          'give the objects that hold it'));
        return [];
      }
      return [triggerSpec(refName, ref.spec)];
    }
    return [triggerSpec(asString(t.name) ?? `trigger-${i}`, t)];
  }), ...selected];
}

/** What a trigger does with an event: a note for the trace, the objects it creates, and what is broken (with its code). */
interface Fired {
  readonly note: string;
  readonly objects: JsonMap[];
  readonly error?: { readonly code: string; readonly message: string };
}

function fireTrigger(trigger: TriggerSpec, listener: KubeObject, event: unknown, header: { [name: string]: string[] }, secrets: SecretStore,
  find: Finder, unknownSecret: (id: string, key: string) => boolean | undefined): Fired {
  const ns = namespaceOf(listener);
  const extensions: { [key: string]: unknown } = {};
  for (const interceptor of asMaps(trigger.interceptors)) {
    const name = stringAt(interceptor, 'ref', 'name') ?? interceptor.name;
    if (name !== 'cel') {
      return { note: `stops at interceptor '${name}', which the simulation cannot run (only CEL)`, objects: [] };
    }
    const params = new Map(asMaps(interceptor.params).map((p) => [String(p.name), p.value]));
    const request = { body: event, header, extensions };
    try {
      const filter = params.get('filter');
      if (filter !== undefined) {
        const pass = evaluateCel(String(filter), request, secrets, ns, unknownSecret);
        if (pass !== true) {
          const failing = conjuncts(String(filter)).find((c) => evaluateCel(c, request, secrets, ns, unknownSecret) !== true) ?? filter;
          return { note: `CEL filter is false at: ${failing}`, objects: [] };
        }
      }
      // Tekton evaluates one interceptor's overlays side by side; later interceptors see their results.
      const results = asMaps(params.get('overlays'))
        .map((o) => [String(o.key), evaluateCel(String(o.expression), request, secrets, ns, unknownSecret)] as const);
      for (const [key, value] of results) setPath(extensions, key, value);
    } catch (e) {
      return { note: 'CEL interceptor failed', objects: [], error: { code: 'cel-error', message: messageOf(e) } };
    }
  }

  const values: { [name: string]: string } = {};
  for (const b of asMaps(trigger.bindings)) {
    let params: JsonMap[];
    if (b.ref) {
      const kind = b.kind === 'ClusterTriggerBinding' ? 'ClusterTriggerBinding' : 'TriggerBinding';
      const binding = find(kind, String(b.ref), kind === 'ClusterTriggerBinding' ? undefined : ns);
      if (!binding) {
        return { note: 'binding missing', objects: [], error: { code: 'unknown-reference', message: `${kind} '${b.ref}' is not in the input: give the objects that hold it` } };
      }
      params = asMaps(at(binding, 'spec', 'params'));
    } else {
      params = [{ name: b.name, value: b.value }];
    }
    for (const p of params) {
      try {
        values[String(p.name)] = substituteBinding(String(p.value), { body: event, header, extensions });
      } catch (e) {
        return { note: 'binding failed', objects: [], error: { code: 'unresolved-binding', message: `binding param '${p.name}': ${messageOf(e)}` } };
      }
    }
  }

  const templateRef = stringAt(trigger.template, 'ref') ?? stringAt(trigger.template, 'name');
  const template = templateRef ? find('TriggerTemplate', templateRef, ns) : undefined;
  if (!template) {
    return { note: 'template missing', objects: [], error: { code: 'unknown-reference', message: `TriggerTemplate '${templateRef}' is not in the input: give the objects that hold it` } };
  }
  const ttParams: { [name: string]: string } = {};
  for (const p of asMaps(at(template, 'spec', 'params'))) {
    const name = String(p.name);
    if (name in values) {
      ttParams[name] = values[name];
    } else if (p.default !== undefined) {
      ttParams[name] = String(p.default);
    } else {
      return {
        note: 'a template param has no value',
        objects: [],
        error: { code: 'missing-required-param', message: `TriggerTemplate '${templateRef}' param '${name}' gets no value from the bindings and has no default: give it a binding or a default` },
      };
    }
  }
  const made = asList(at(template, 'spec', 'resourcetemplates')).map((rt) => substituteTemplate(rt, ttParams));
  const unresolved = JSON.stringify(made).match(/\$\(tt\.params\.[^)]*\)/);
  if (unresolved) {
    return {
      note: 'unresolved param',
      objects: [],
      error: { code: 'unknown-reference', message: `TriggerTemplate '${templateRef}' uses ${unresolved[0]}, which it does not declare: declare the param in the template` },
    };
  }
  const objects = made.filter(isMap);
  const rejected = made.flatMap((o) => reconcilerProblems(o, ns, find));
  if (rejected.length) {
    return {
      note: 'Tekton would fail the run at once',
      objects: [],
      error: { code: 'run-would-fail', message: `the ${objects[0]?.kind ?? 'run'} it creates would fail at once: ${rejected.join('; ')}` },
    };
  }
  return { note: `fires: ${made.map((o) => at(o, 'kind')).join(', ')} from TriggerTemplate '${templateRef}'`, objects };
}

/** What the TaskRun of `RunConcurrency.cancelInProgress()` does, in words. */
function cancellerOf(run: JsonMap): string | undefined {
  const trigger = labelsOf(run)[CANCELLER_LABEL];
  if (run.kind !== 'TaskRun' || !trigger) return undefined;
  const newer = asMaps(at(run, 'spec', 'params')).find((p) => p.name === 'run')?.value;
  return `${runName(run)} cancels the runs of trigger '${trigger}' still running that ${newer ?? 'the new run'} supersedes ` +
    '(concurrency: RunConcurrency.cancelInProgress())';
}

/** What a run of a `Promotion` does, in words (its labels name the app and the environments). */
function promotionOf(run: JsonMap, event: unknown): string | undefined {
  const labels = labelsOf(run);
  const [app, from, to] = [PROMOTION_LABELS.app, PROMOTION_LABELS.from, PROMOTION_LABELS.to].map((k) => labels[k]);
  if (run.kind !== 'PipelineRun' || !app || !from || !to) return undefined;
  const metadata = asMap(at(event, 'metadata'));
  const revision = metadata.revision ?? Object.entries(metadata).find(([k]) => k.endsWith('/revision'))?.[1];
  return `promotes '${app}' from ${from} to ${to}: the version ${from} runs at ${revision ?? 'the event\'s revision'} (run ${runName(run)})`;
}

/** A created object's name (or generateName), for the trace. */
function runName(run: JsonMap): string | undefined {
  return stringAt(run, 'metadata', 'name') ?? stringAt(run, 'metadata', 'generateName');
}

/**
 * The commit status a PipelineRun posts: its Pipeline has the param `status-commit` and the tasks `commit-status`
 * and (finally) `commit-status-end` of a Task labelled `cdk8s-tekton-flux/commit-status`, whose step says where
 * (PROVIDER, PROJECT, CONTEXT, API); the run gives the commit. Undefined when the run posts none (no such
 * Pipeline, or an empty commit: a status steps' `when` skips them).
 */
export function statusOf(run: JsonMap, ns: string, find: Finder): SimulatedStatus | undefined {
  const pipelineName = stringAt(run, 'spec', 'pipelineRef', 'name');
  if (run.kind !== 'PipelineRun' || !pipelineName) return undefined;
  const pipeline = find('Pipeline', pipelineName, namespaceOfRun(run, ns));
  const task = pipeline && statusTaskOf(pipeline, find);
  if (!pipeline || !task) return undefined;
  const given = asMaps(at(run, 'spec', 'params')).find((p) => p.name === STATUS_COMMIT_PARAM)?.value;
  const commit = typeof given === 'string' ? given
    : asString(asMaps(at(pipeline, 'spec', 'params')).find((p) => p.name === STATUS_COMMIT_PARAM)?.default) ?? '';
  if (!commit) return undefined;
  return { ...task, commit };
}

/** The namespace a run is created in: its own, else the listener's. */
function namespaceOfRun(run: JsonMap, ns: string): string {
  return stringAt(run, 'metadata', 'namespace') ?? ns;
}

/**
 * Where a Pipeline of the input reports its commit statuses, or undefined when it reports none: it has the param
 * `status-commit`, the task `commit-status` and the finally task `commit-status-end`, whose Task (labelled
 * `cdk8s-tekton-flux/commit-status`) has a step with PROVIDER, PROJECT and CONTEXT (and API) in its env.
 */
export function statusTaskOf(pipeline: KubeObject, find: Finder): Omit<SimulatedStatus, 'commit'> | undefined {
  const spec = asMap(pipeline.spec);
  if (!asMaps(spec.params).some((p) => p.name === STATUS_COMMIT_PARAM)) return undefined;
  const start = asMaps(spec.tasks).find((t) => t.name === STATUS_START_TASK);
  const end = asMaps(spec.finally).find((t) => t.name === STATUS_END_TASK);
  const taskName = stringAt(start, 'taskRef', 'name');
  if (!start || !end || !taskName) return undefined;
  const task = find('Task', taskName, namespaceOf(pipeline));
  if (!task || labelsOf(task)[COMMIT_STATUS_LABEL] === undefined) return undefined;
  for (const step of asMaps(at(task, 'spec', 'steps'))) {
    const env = new Map(asMaps(step.env).map((e) => [String(e.name), asString(e.value)]));
    const [provider, project, context] = [env.get('PROVIDER'), env.get('PROJECT'), env.get('CONTEXT')];
    if (provider && project && context) return { provider, project, context, api: env.get('API') ?? '' };
  }
  return undefined;
}

/**
 * What Tekton's PipelineRun reconciler checks before it starts anything, and fails the run for, with the
 * library's own run checks (`runProblems`, `runParamTypeProblems`, and the Pipeline's result references): the
 * Pipeline exists, every param without a default has a value of its type, every required workspace is bound,
 * and each result reference names a result its Task declares (a Task that is not in the input is taken on trust).
 */
function reconcilerProblems(run: unknown, ns: string, find: Finder): string[] {
  const pipelineName = stringAt(run, 'spec', 'pipelineRef', 'name');
  if (at(run, 'kind') !== 'PipelineRun' || !pipelineName) return [];
  const pipeline = find('Pipeline', pipelineName, ns);
  if (!pipeline) {
    return [problem('unknown-reference', `Pipeline '${pipelineName}' is not in namespace '${ns}' of the input: give the objects that hold it`)];
  }
  const imported = pipelineOf(pipeline, ns);
  const params: { [name: string]: ParamValue } = {};
  for (const p of asMaps(at(run, 'spec', 'params'))) {
    const value = paramValue(p.value);
    if (typeof p.name === 'string' && value !== undefined) params[p.name] = value;
  }
  const workspaces: { [name: string]: WorkspaceBinding } = {};
  for (const w of asMaps(at(run, 'spec', 'workspaces'))) if (typeof w.name === 'string') workspaces[w.name] = WorkspaceBinding.emptyDir();
  const problems = [
    // Tekton passes params and workspaces a Pipeline does not declare on (propagation): only what is missing fails
    ...runProblems(imported, { workspaces }, Object.keys(params), "the run's params", { unknownParams: false, unknownWorkspaces: false }),
    ...runParamTypeProblems(imported, params),
  ];
  const spec = asMap(pipeline.spec);
  const tasks = [...asMaps(spec.tasks).map((t) => ({ t, at: `tasks.${t.name}` })), ...asMaps(spec.finally).map((t) => ({ t, at: `finally.${t.name}` }))];
  for (const { t, at: where } of tasks) {
    for (const ref of referencesInValue({ params: t.params ?? [], when: t.when ?? [] }, where)) {
      if (ref.root !== 'tasks' || ref.path[1] !== 'results') continue;
      const producer = tasks.find((x) => x.t.name === ref.path[0])?.t;
      const taskName = stringAt(producer, 'taskRef', 'name');
      const task = taskName ? find('Task', taskName, ns) : undefined;
      if (!task || !taskName) continue;
      const results = asMaps(at(task, 'spec', 'results')).map((r) => r.name).filter((n): n is string => typeof n === 'string');
      const bad = unknownResultProblem(`${ref.location.replace(/^\./, '')} references ${ref.text}`, taskName, ref.path[2], results);
      if (bad) problems.push(bad);
    }
  }
  return problems;
}

/** A Pipeline of the input as the library's run checks read one: its params (with their types and defaults) and workspaces. */
function pipelineOf(pipeline: KubeObject, ns: string): IPipeline {
  const params: { [name: string]: ParamOptions } = {};
  const types: { [type: string]: ParamType } = { string: ParamType.STRING, array: ParamType.ARRAY, object: ParamType.OBJECT };
  for (const p of asMaps(at(pipeline, 'spec', 'params'))) {
    if (typeof p.name !== 'string') continue;
    const value = p.default === undefined ? undefined : paramValue(p.default);
    const fallback = typeof value === 'string' || Array.isArray(value) || value === undefined ? value : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    params[p.name] = {
      type: types[String(p.type ?? 'string')] ?? ParamType.STRING,
      default: Array.isArray(fallback) ? fallback.map(String) : fallback as string | { [key: string]: string } | undefined,
      properties: isMap(p.properties) ? Object.keys(p.properties) : undefined,
    };
  }
  const workspaces: { [name: string]: WorkspaceOptions } = {};
  for (const w of asMaps(at(pipeline, 'spec', 'workspaces'))) if (typeof w.name === 'string') workspaces[w.name] = { optional: w.optional === true };
  // a root of its own: the checks read the Pipeline's interface, nothing of a construct tree
  const root = new Construct(undefined as unknown as Construct, '');
  return Pipeline.fromPipelineName(root, 'pipeline', pipeline.metadata.name, { params, workspaces, namespace: ns });
}

/** A param value as the run (or a default) gives it: a string, a list or a map (of strings); undefined for another shape. */
function paramValue(value: unknown): ParamValue | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  if (isMap(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return undefined;
}

/** Sets `a.b.c` in `target`, as Triggers does for an overlay key; own properties only, so `__proto__` is a key like any other. */
function setPath(target: { [key: string]: unknown }, key: string, value: unknown) {
  const parts = key.split('.');
  let node: { [key: string]: unknown } = target;
  const own = (o: object, k: string, v: unknown) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  for (const p of parts.slice(0, -1)) {
    const child = Object.prototype.hasOwnProperty.call(node, p) ? node[p] : undefined;
    if (typeof child === 'object' && child !== null) {
      node = child as { [key: string]: unknown };
    } else {
      const made: { [key: string]: unknown } = {};
      own(node, p, made);
      node = made;
    }
  }
  own(node, parts[parts.length - 1], value);
}

/** `$(body.a.b)`, `$(header.X)`, `$(extensions.k)` in a binding value. */
function substituteBinding(value: string, ctx: { body: unknown; header: { [name: string]: string[] }; extensions: unknown }): string {
  return value.replace(/\$\(([^()]*)\)/g, (whole, expr: string) => {
    const [root, ...rest] = splitPath(expr.trim());
    let current: unknown;
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
      current = (current as { [key: string]: unknown })[p];
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

function substituteTemplate(value: unknown, params: { [name: string]: string }): unknown {
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

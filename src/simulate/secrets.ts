/**
 * The Secrets a set of objects reads but does not contain: what a person (or a secrets operator) must create
 * before the objects work. The library never writes a Secret value into `dist/`; this says which ones to make.
 */
import { JsonMap, KubeObject, apiVersionOf, asMap, isKubeObject, namespaceOf, stringAt } from './json';
import { listenerOf, listenerTriggers, routedListener } from './simulate';
import { compareCodePoints } from '../internal/sort';

/** One Secret the objects reference. */
export interface SecretReference {
  /**
   * Its cluster (the folder of the objects that read it), in an app of clusters.
   * @default - the one cluster
   */
  readonly cluster?: string;
  /** Its namespace. */
  readonly namespace: string;
  /** Its name. */
  readonly name: string;
  /** The keys read (sorted); empty when the reader takes whatever keys its kind documents. */
  readonly keys: string[];
  /** Who reads it: `Kind namespace/name (what for)`. */
  readonly readers: string[];
  /** A command that creates it (with placeholders for the values). */
  readonly command: string;
  /**
   * For a listener's token when there are several: the variable its command uses and the pair it is one end of
   * (`<listener's cluster>/<namespace>/<name> <- <cluster the events come from>`).
   * @default - none (one token, `$TOKEN`, or not a token)
   */
  readonly token?: { readonly variable: string; readonly pair: string };
}

const COMPARE_SECRET = /compareSecret\(\s*'([^']*)'\s*,\s*'([^']*)'\s*(?:,\s*'([^']*)'\s*)?\)/g;

/**
 * Every Secret the objects reference and do not define, by cluster, namespace and name (code-point order). With
 * `clusterOf` (an app of clusters: the folder each object was read from), each cluster's Secrets are its own.
 */
export function referencedSecrets(objects: unknown[], clusterOf: (object: unknown) => string | undefined = () => undefined): SecretReference[] {
  const found = new Map<string, {
    cluster?: string; namespace: string; name: string; keys: Set<string>; readers: Set<string>; shared: boolean; pairs: Set<string>;
  }>();
  const all = objects.filter(isKubeObject);
  const pairs = tokenPairs(all, clusterOf);
  const defined = new Set<string>();
  let cluster: string | undefined;
  const idOf = (namespace: string, name: string) => `${cluster ?? ''}//${namespace}/${name}`;
  // shared: the listener's token (a Provider's headers, a compareSecret), one value the commands share as $TOKEN
  const add = (namespace: string, name: string | undefined, keys: string[], reader: string, shared = false, pair?: string) => {
    if (!name) return;
    const id = idOf(namespace, name);
    const entry = found.get(id) ??
      { cluster, namespace, name, keys: new Set<string>(), readers: new Set<string>(), shared, pairs: new Set<string>() };
    entry.shared = entry.shared || shared;
    if (pair) entry.pairs.add(pair);
    keys.forEach((k) => entry.keys.add(k));
    entry.readers.add(reader);
    found.set(id, entry);
  };
  for (const o of all) {
    cluster = clusterOf(o);
    const ns = namespaceOf(o);
    const self = `${o.kind} ${ns}/${o.metadata.name}`;
    const spec = asMap(o.spec);
    const ref = (...path: string[]) => stringAt(spec, ...path);
    const apiVersion = apiVersionOf(o);
    if (o.kind === 'Secret' && apiVersion === 'v1') defined.add(idOf(ns, o.metadata.name));
    if (o.kind === 'ExternalSecret' || o.kind === 'SealedSecret') defined.add(idOf(ns, ref('target', 'name') ?? o.metadata.name));
    if (o.kind === 'Provider' && /^notification\.toolkit\.fluxcd\.io\//.test(apiVersion)) {
      add(ns, ref('secretRef', 'name'), spec.type === 'generic' || spec.type === undefined ? ['headers'] : [], `${self} (the headers it sends)`,
        spec.type === 'generic' || spec.type === undefined, pairs.get(o));
      add(ns, ref('certSecretRef', 'name'), ['ca.crt'], `${self} (the CA it trusts)`);
    }
    if (o.kind === 'Receiver') add(ns, ref('secretRef', 'name'), ['token'], `${self} (its webhook token)`);
    if (['GitRepository', 'OCIRepository', 'Bucket', 'HelmRepository'].includes(o.kind) && /fluxcd\.io\//.test(apiVersion)) {
      add(ns, ref('secretRef', 'name'), [], `${self} (credentials)`);
      add(ns, ref('certSecretRef', 'name'), [], `${self} (TLS)`);
    }
    if (o.kind === 'Kustomization' && /fluxcd\.io\//.test(apiVersion)) {
      add(ns, ref('decryption', 'secretRef', 'name'), [], `${self} (decryption keys)`);
      add(ns, ref('kubeConfig', 'secretRef', 'name'), [], `${self} (kubeconfig)`);
    }
    if (o.kind === 'EventListener' || o.kind === 'Trigger') {
      // Triggers v0.37's compareSecret reads the listener's namespace whatever a third argument says
      for (const m of JSON.stringify(spec).matchAll(COMPARE_SECRET)) {
        add(ns, m[2], [m[1]], `${self} (compareSecret: the token it checks)`, true, pairs.get(o));
      }
    }
    walkSecretKeyRefs(spec, (name, key, what) => add(ns, name, key ? [key] : [], `${self} (${what})`));
  }
  const kept = [...found.entries()].filter(([id]) => !defined.has(id)).map(([, s]) => s)
    .sort((a, b) => compareCodePoints(a.cluster ?? '', b.cluster ?? '') || compareCodePoints(a.namespace, b.namespace) || compareCodePoints(a.name, b.name));
  // one variable per token: per listener and cluster its events come from (`TOKEN` when there is one)
  const keys = [...new Set(kept.flatMap((s) => (s.shared ? [[...s.pairs].sort(compareCodePoints)[0] ?? 'unpaired'] : [])))].sort(compareCodePoints);
  const variable = new Map(keys.map((k, i) => [k, keys.length === 1 ? 'TOKEN' : `TOKEN_${i + 1}`]));
  return kept.map((s) => {
    const keyList = [...s.keys].sort(compareCodePoints);
    const readers = [...s.readers].sort(compareCodePoints);
    const token = variable.get([...s.pairs].sort(compareCodePoints)[0] ?? 'unpaired') ?? 'TOKEN';
    const command = commandFor(s.namespace, s.name, keyList, s.shared, token, s.cluster);
    const pair = s.shared && keys.length > 1 ? [...s.pairs].sort(compareCodePoints)[0] : undefined;
    const variableOf = pair ? { variable: token, pair } : undefined;
    return { cluster: s.cluster, namespace: s.namespace, name: s.name, keys: keyList, readers, command, token: variableOf };
  });
}

/**
 * Which token each Provider and Trigger carries: `<listener's cluster>/<namespace>/<name> ← <cluster the events come
 * from>` (a Provider: the listener its address reaches, its own cluster; a Trigger: the listener that selects it, the
 * cluster its filter admits, else the listener's), so that the two ends of one token share one value, and two
 * listeners, or two source clusters, never do.
 */
function tokenPairs(all: KubeObject[], clusterOf: (object: unknown) => string | undefined): Map<KubeObject, string> {
  const objs = all.filter((o) => typeof o.apiVersion === 'string');
  const ns = namespaceOf;
  const key = (cluster: string | undefined, namespace: string, name: string, from: string | undefined) =>
    `${cluster ?? ''}/${namespace}/${name} <- ${from ?? cluster ?? ''}`;
  const out = new Map<KubeObject, string>();
  for (const p of objs.filter((o) => o.kind === 'Provider')) {
    const address = stringAt(p, 'spec', 'address') ?? '';
    const local = listenerOf(address, ns(p));
    const target = local ? { ...local, cluster: clusterOf(p) } : routedListener(address, objs, clusterOf);
    if (target) out.set(p, key(target.cluster, target.namespace, target.name, clusterOf(p)));
  }
  for (const el of objs.filter((o) => o.kind === 'EventListener')) {
    const c = clusterOf(el);
    const mine = objs.filter((o) => clusterOf(o) === c);
    const find = (kind: string, name: string, namespace?: string) =>
      mine.find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || ns(o) === namespace));
    const selected = new Set(listenerTriggers(el, find, mine, []).map((t) => `${t.namespace ?? ns(el)}/${t.name}`));
    const from = (o: KubeObject) => /body\.metadata\.cluster == '([^']*)'/.exec(JSON.stringify(o.spec ?? {}))?.[1];
    out.set(el, key(c, ns(el), el.metadata.name, from(el)));
    for (const t of mine.filter((o) => o.kind === 'Trigger' && selected.has(`${ns(o)}/${o.metadata.name}`))) {
      out.set(t, key(c, ns(el), el.metadata.name, from(t)));
    }
  }
  return out;
}

/** `secretKeyRef`s (env of steps, sidecars, the listener's TLS) and `secret` volumes and workspaces, anywhere in a spec. */
function walkSecretKeyRefs(value: unknown, found: (name: string, key: string | undefined, what: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v) => walkSecretKeyRefs(v, found));
    return;
  }
  if (!value || typeof value !== 'object') return;
  const o = value as JsonMap;
  const keyRef = asMap(o.secretKeyRef);
  const volume = asMap(o.secret);
  if (keyRef.name && !String(keyRef.name).includes('$(')) found(String(keyRef.name), keyRef.key === undefined ? undefined : String(keyRef.key), 'an environment variable');
  if (volume.secretName && !String(volume.secretName).includes('$(')) found(String(volume.secretName), undefined, 'a volume or workspace');
  for (const v of Object.values(o)) walkSecretKeyRefs(v, found);
}

function commandFor(namespace: string, name: string, keys: string[], shared: boolean, token: string, cluster?: string): string {
  // a cluster's Secret is created with the kubeconfig context named like the cluster (its folder)
  const create = `kubectl${cluster ? ` --context ${cluster}` : ''} -n ${namespace} create secret`;
  if (shared) {
    const literal = (k: string) => (k === 'headers' ? `--from-literal=headers="X-Flux-Token: $${token}"` : `--from-literal=${k}="$${token}"`);
    return `${create} generic ${name} ${keys.map(literal).join(' ')}`;
  }
  if (keys.length === 2 && keys[0] === 'tls.crt' && keys[1] === 'tls.key') return `${create} tls ${name} --cert=tls.crt --key=tls.key`;
  if (keys.length === 0) return `${create} generic ${name} --from-literal=<key>=<value> (the keys its reader's documentation names)`;
  return `${create} generic ${name} ${keys.map((k) => (k === 'ca.crt' ? '--from-file=ca.crt=ca.pem' : `--from-literal=${k}=<value>`)).join(' ')}`;
}

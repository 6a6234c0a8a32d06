/**
 * The Secrets a set of objects reads but does not contain: what a person (or a secrets operator) must create
 * before the objects work. The library never writes a Secret value into `dist/`; this says which ones to make.
 */
import { compareCodePoints } from '../sort';

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
}

type Obj = { kind?: string; apiVersion?: string; metadata?: { name?: string; namespace?: string }; spec?: any };

const COMPARE_SECRET = /compareSecret\(\s*'([^']*)'\s*,\s*'([^']*)'\s*(?:,\s*'([^']*)'\s*)?\)/g;

/**
 * Every Secret the objects reference and do not define, by cluster, namespace and name (code-point order). With
 * `clusterOf` (an app of clusters: the folder each object was read from), each cluster's Secrets are its own.
 */
export function referencedSecrets(objects: unknown[], clusterOf: (object: any) => string | undefined = () => undefined): SecretReference[] {
  const found = new Map<string, { cluster?: string; namespace: string; name: string; keys: Set<string>; readers: Set<string>; shared: boolean }>();
  const defined = new Set<string>();
  let cluster: string | undefined;
  const idOf = (namespace: string, name: string) => `${cluster ?? ''}//${namespace}/${name}`;
  // shared: the listener's token (a Provider's headers, a compareSecret), one value the commands share as $TOKEN
  const add = (namespace: string, name: string | undefined, keys: string[], reader: string, shared = false) => {
    if (!name) return;
    const id = idOf(namespace, name);
    const entry = found.get(id) ?? { cluster, namespace, name, keys: new Set<string>(), readers: new Set<string>(), shared };
    entry.shared = entry.shared || shared;
    keys.forEach((k) => entry.keys.add(k));
    entry.readers.add(reader);
    found.set(id, entry);
  };
  for (const o of objects as Obj[]) {
    if (!o || typeof o !== 'object' || !o.kind || !o.metadata?.name) continue;
    cluster = clusterOf(o);
    const ns = o.metadata.namespace ?? 'default';
    const self = `${o.kind} ${ns}/${o.metadata.name}`;
    const spec = o.spec ?? {};
    if (o.kind === 'Secret' && o.apiVersion === 'v1') defined.add(idOf(ns, o.metadata.name));
    if (o.kind === 'ExternalSecret' || o.kind === 'SealedSecret') defined.add(idOf(ns, spec.target?.name ?? o.metadata.name));
    if (o.kind === 'Provider' && /^notification\.toolkit\.fluxcd\.io\//.test(o.apiVersion ?? '')) {
      add(ns, spec.secretRef?.name, spec.type === 'generic' || spec.type === undefined ? ['headers'] : [], `${self} (the headers it sends)`,
        spec.type === 'generic' || spec.type === undefined);
      add(ns, spec.certSecretRef?.name, ['ca.crt'], `${self} (the CA it trusts)`);
    }
    if (o.kind === 'Receiver') add(ns, spec.secretRef?.name, ['token'], `${self} (its webhook token)`);
    if (['GitRepository', 'OCIRepository', 'Bucket', 'HelmRepository'].includes(o.kind) && /fluxcd\.io\//.test(o.apiVersion ?? '')) {
      add(ns, spec.secretRef?.name, [], `${self} (credentials)`);
      add(ns, spec.certSecretRef?.name, [], `${self} (TLS)`);
    }
    if (o.kind === 'Kustomization' && /fluxcd\.io\//.test(o.apiVersion ?? '')) {
      add(ns, spec.decryption?.secretRef?.name, [], `${self} (decryption keys)`);
      add(ns, spec.kubeConfig?.secretRef?.name, [], `${self} (kubeconfig)`);
    }
    if (o.kind === 'EventListener' || o.kind === 'Trigger') {
      // Triggers v0.37's compareSecret reads the listener's namespace whatever a third argument says
      for (const m of JSON.stringify(spec).matchAll(COMPARE_SECRET)) add(ns, m[2], [m[1]], `${self} (compareSecret: the token it checks)`, true);
    }
    walkSecretKeyRefs(spec, (name, key, what) => add(ns, name, key ? [key] : [], `${self} (${what})`));
  }
  const clusters = [...found.values()].some((s) => s.cluster !== undefined);
  return [...found.entries()]
    .filter(([id]) => !defined.has(id))
    .map(([, s]) => s)
    .sort((a, b) => compareCodePoints(a.cluster ?? '', b.cluster ?? '') || compareCodePoints(a.namespace, b.namespace) || compareCodePoints(a.name, b.name))
    .map((s) => {
      const keys = [...s.keys].sort(compareCodePoints);
      const readers = [...s.readers].sort(compareCodePoints);
      // across clusters, the two Secrets of one name (a source cluster's headers, the listener's token) share a value
      const token = clusters ? `TOKEN_${s.name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}` : 'TOKEN';
      const command = commandFor(s.namespace, s.name, keys, s.shared, token, s.cluster);
      return { cluster: s.cluster, namespace: s.namespace, name: s.name, keys, readers, command };
    });
}

/** `secretKeyRef`s (env of steps, sidecars, the listener's TLS) and `secret` volumes and workspaces, anywhere in a spec. */
function walkSecretKeyRefs(value: unknown, found: (name: string, key: string | undefined, what: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((v) => walkSecretKeyRefs(v, found));
    return;
  }
  if (!value || typeof value !== 'object') return;
  const o = value as { [k: string]: any };
  if (o.secretKeyRef?.name && !String(o.secretKeyRef.name).includes('$(')) found(o.secretKeyRef.name, o.secretKeyRef.key, 'an environment variable');
  if (o.secret?.secretName && !String(o.secret.secretName).includes('$(')) found(o.secret.secretName, undefined, 'a volume or workspace');
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

/** Kubernetes' name rules, per the API machinery's validation (apimachinery/pkg/util/validation). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kinds whose names must be DNS labels (they become Service or host names). */
const LABEL_KINDS = new Set(['Namespace', 'Service']);
/** Kinds whose names are path segments (RBAC). */
const PATH_SEGMENT_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ClusterInterceptor', 'ClusterTriggerBinding']);

/** Name, namespace and label problems of one object. */
export function nameErrors(obj: any): string[] {
  const where = `${obj.kind}/${obj.metadata?.name}`;
  const errors: string[] = [];
  const name: string | undefined = obj.metadata?.name;
  if (!name) return [`${where}: no metadata.name (Flux cannot apply generateName)`];
  if (LABEL_KINDS.has(obj.kind)) {
    if (!DNS_LABEL.test(name) || name.length > 63) errors.push(`${where}: name is not a DNS label`);
  } else if (PATH_SEGMENT_KINDS.has(obj.kind)) {
    if (['.', '..'].includes(name) || /[/%]/.test(name)) errors.push(`${where}: name is not a path segment`);
  } else if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
    errors.push(`${where}: name is not a DNS subdomain`);
  }
  if (obj.kind === 'EventListener' && `el-${name}`.length > 63) errors.push(`${where}: Service el-${name} is longer than 63`);
  const ns = obj.metadata?.namespace;
  if (CLUSTER_SCOPED.has(obj.kind) && ns) errors.push(`${where}: cluster-scoped object has a namespace`);
  if (!CLUSTER_SCOPED.has(obj.kind) && ns !== undefined && (!DNS_LABEL.test(ns) || ns.length > 63)) errors.push(`${where}: namespace is not a DNS label`);
  for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) errors.push(`${where}: label ${k} has an invalid value`);
  }
  if (obj.kind === 'Pipeline') {
    for (const t of [...(obj.spec?.tasks ?? []), ...(obj.spec?.finally ?? [])]) {
      if (!DNS_LABEL.test(t.name) || t.name.length > 63) errors.push(`${where}: pipeline task '${t.name}' is not a DNS label`);
    }
  }
  if (obj.kind === 'Task') {
    for (const s of obj.spec?.steps ?? []) {
      if (!DNS_LABEL.test(s.name) || s.name.length > 63) errors.push(`${where}: step '${s.name}' is not a DNS label`);
    }
  }
  return errors;
}

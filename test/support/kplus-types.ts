import { k8s } from 'cdk8s-plus-28';

/**
 * Core objects must be of a kind and version that cdk8s-plus-28's generated Kubernetes 1.28 types know
 * (`kplus.k8s.Kube<Kind>` with the same apiVersion); their fields are checked against the Kubernetes
 * schema by kubernetes-models (see models.ts).
 */
export function kplusTypeErrors(objects: any[]): string[] {
  const known = new Set(Object.values(k8s)
    .filter((c: any) => c && typeof c === 'function' && c.GVK)
    .map((c: any) => `${c.GVK.apiVersion}/${c.GVK.kind}`));
  return objects
    .filter((o) => !/tekton\.dev|fluxcd\.io/.test(o.apiVersion))
    .filter((o) => !known.has(`${o.apiVersion}/${o.kind}`))
    .map((o) => `${o.kind}/${o.metadata?.name}: ${o.apiVersion} ${o.kind} is not a Kubernetes 1.28 type in cdk8s-plus-28`);
}

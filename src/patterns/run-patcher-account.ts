import { ApiObjectMetadata } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/**
 * The ServiceAccount of the library's steps that change runs with kubectl (the canceller of superseded runs, the
 * soak clock), its Role and RoleBinding, all named `metadata.name`: it may get, list and patch PipelineRuns in its
 * namespace, nothing else (kubectl patch reads the object first). Its token is mounted: kubectl needs it.
 */
export function runPatcherAccount(scope: Construct, metadata: ApiObjectMetadata & { name: string }): kplus.ServiceAccount {
  const account = new kplus.ServiceAccount(scope, 'ServiceAccount', { metadata, automountToken: true });
  new kplus.k8s.KubeRole(scope, 'Role', {
    metadata,
    rules: [{ apiGroups: ['tekton.dev'], resources: ['pipelineruns'], verbs: ['get', 'list', 'patch'] }],
  });
  new kplus.k8s.KubeRoleBinding(scope, 'RoleBinding', {
    metadata,
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: metadata.name },
    subjects: [{ kind: 'ServiceAccount', name: metadata.name, namespace: metadata.namespace }],
  });
  return account;
}

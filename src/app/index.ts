// The app layer: GitOpsApp (all-or-nothing publishing, Kubernetes-exact YAML) and the clusters it writes a folder for.
export * from './gitops-app';
export { Cluster } from './cluster';
export type { ClusterProps } from './cluster';
export { SynthError } from '../problems';
export type { Problem } from '../problems';

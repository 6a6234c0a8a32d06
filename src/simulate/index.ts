export * from './simulate';
export { evaluateCel, canonicalHeader } from './tekton-cel';
export type { SecretStore, CelRequest } from './tekton-cel';
export { mermaidGraph } from './graph';
export * from './rerun';

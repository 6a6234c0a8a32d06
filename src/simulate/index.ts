export * from './simulate';
export { evaluateCel, canonicalHeader } from './tekton-cel';
export type { SecretStore } from './tekton-cel';
export { mermaidGraph } from './graph';

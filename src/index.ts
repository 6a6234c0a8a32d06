export * from './app';
export { goDuration } from './internal/duration';
export { Resource } from './resource';
export type { IResource, ResourceProps } from './resource';
export * from './tekton';
export * from './triggers';
export * from './flux';
export * from './patterns';
// The event simulator and the CLI are the entry `cdk8s-tekton-flux/simulate` (src/simulate/index.ts): the constructs
// load none of their dependencies (a CEL evaluator, RE2, two YAML parsers).

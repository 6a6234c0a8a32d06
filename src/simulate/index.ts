// `cdk8s-tekton-flux/simulate`: the event simulator, the graph, rerun/resume and the Secrets report, an entry of its
// own (the package's `exports`), so that the constructs load none of their dependencies. Helpers stay internal.
export { simulateEvent } from './simulate';
export type { SimulateOptions, SimulatedRun, SimulatedStatus, SimulationResult } from './simulate';
export type { SecretStore } from './tekton-cel';
export type { JsonMap } from './json';
export { mermaidGraph } from './graph';
export { RERUN_OF_ANNOTATION, rerunOf } from './rerun';
export { RESUME_OF_ANNOTATION, resumeOf } from './resume';
export type { ResumeOptions } from './resume';
export { referencedSecrets } from './secrets';
export type { SecretReference } from './secrets';

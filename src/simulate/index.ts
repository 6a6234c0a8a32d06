// The public API of the simulation; helpers stay internal (see docs/api-report.md).
export { simulateEvent } from './simulate';
export type { SimulateOptions, SimulatedRun, SimulationResult } from './simulate';
export type { SecretStore } from './tekton-cel';
export { mermaidGraph } from './graph';
export { RERUN_OF_ANNOTATION, rerunOf } from './rerun';
export { RESUME_OF_ANNOTATION, resumeOf } from './resume';
export type { ResumeOptions } from './resume';

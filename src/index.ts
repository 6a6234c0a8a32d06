export * from './gitops-app';
export { goDuration } from './duration';
export { Resource } from './resource';
export type { IResource, ResourceProps } from './resource';
export * from './tekton';
export * from './triggers';
export * from './flux';
export * from './patterns';
export * from './simulate';

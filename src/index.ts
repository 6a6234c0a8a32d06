export * from './gitops-app';
export { goDuration } from './duration';
export * from './tekton';
export * from './triggers';
export * from './flux';
export * from './patterns';
export * from './simulate';

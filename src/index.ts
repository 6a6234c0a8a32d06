export * from './gitops-app';
export { goDuration } from './duration';
export * from './tekton';

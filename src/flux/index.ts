export * from './event-source';
export * from './git-repository';
export * from './oci-repository';
export * from './kustomization';
export * from './notification';

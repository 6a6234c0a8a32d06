export * from './flux-event';
export * from './flux-triggered-pipeline';
export * from './gitops-sync';
export * from './listener-authentication';

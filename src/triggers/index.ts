export * from './interceptor';
export * from './resource';
export * from './trigger-binding';
export * from './trigger-template';
export * from './trigger';
export * from './event-listener';

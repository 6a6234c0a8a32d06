// The public API of the Tekton Triggers layer; helpers stay internal (see docs/api-report.md).
export { Interceptor } from './interceptor';
export type { CelInterceptorOptions, CelOverlay, InterceptorSpec, ScmInterceptorOptions, SecretKeyRef } from './interceptor';
export { TriggersResource } from './resource';
export { TriggerBinding } from './trigger-binding';
export type { ITriggerBinding, TriggerBindingKind, TriggerBindingProps } from './trigger-binding';
export { TemplateParam, TriggerTemplate } from './trigger-template';
export type { ITriggerTemplate, TemplateParamOptions, TriggerTemplateProps } from './trigger-template';
export { Trigger } from './trigger';
export type { EventListenerTriggerOptions, TriggerProps, TriggerSpecOptions } from './trigger';
export { EventListener } from './event-listener';
export type { EventListenerProps, ListenerClient, ListenerTls } from './event-listener';

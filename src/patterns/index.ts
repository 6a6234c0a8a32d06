// The public API of the patterns; helpers stay internal (see docs/api-report.md).
export { FluxEvent, FluxEventValue } from './flux-event';
export { FluxListener, ListenerClusterAccess } from './flux-listener';
export type { FluxListenerProps, FluxListenerTls, ListenerToken } from './flux-listener';
export { FluxTriggeredPipeline } from './flux-triggered-pipeline';
export type { FluxTriggeredPipelineProps, TriggerParamValue, TriggeredRunOptions } from './flux-triggered-pipeline';
export { GitOpsSync } from './gitops-sync';
export type { GitOpsSyncProps } from './gitops-sync';
export { ListenerAuthentication } from './listener-authentication';
export type { SharedTokenAuthentication } from './listener-authentication';
export { ListenerExposure } from './listener-exposure';
export type { HttpRouteExposureOptions, IngressExposureOptions } from './listener-exposure';
export { ListenerTokenSource } from './listener-token-source';
export type { ExternalSecretsPasswordOptions } from './listener-token-source';
export { RunConcurrency } from './run-concurrency';
export type { CancelInProgressOptions } from './run-concurrency';
export { Promotion, PromotionMode, PullRequestProvider, promotionMarker } from './promotion';
export type { PromotionEnvironment, PromotionProps, PullRequestOptions } from './promotion';

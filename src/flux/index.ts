// The public API of the Flux layer; helpers stay internal (see docs/api-report.md).
export { FluxKind, FluxSource, RefKind } from './event-source';
export type { FluxObjectProps, FluxObjectRefOptions, IFluxEventSource, IFluxSource } from './event-source';
export { GitRepository } from './git-repository';
export type { GitRef, GitRepositoryProps } from './git-repository';
export { OCIRepository } from './oci-repository';
export type { OCIRepositoryProps, OciRef } from './oci-repository';
export { Kustomization } from './kustomization';
export type { IKustomization, KustomizationProps } from './kustomization';
export { Alert, EventSeverity, Provider, ProviderType, Receiver, ReceiverType } from './notification';
export type { AlertProps, IProvider, ProviderProps, ProviderRefOptions, ReceiverProps } from './notification';
export { ImageRegistryProvider, ImageRepository } from './image-repository';
export type { IImageRepository, ImageRepositoryProps, ImageRepositoryRefOptions } from './image-repository';
export { DigestReflection, ImagePolicy, ImagePolicyChoice, ImagePolicyField, ImagePolicyOrder, imagePolicyMarker } from './image-policy';
export type { IImagePolicy, ImagePolicyProps, ImagePolicyRefOptions, ImageTagFilter } from './image-policy';
export { ImageUpdateAutomation, ImageUpdateStrategy } from './image-update-automation';
export type { CommitAuthor, ImageUpdateAutomationProps } from './image-update-automation';

// The pinned upstream releases, in one place. The e2e suite reads their CRDs and release
// manifests from these module files (the Go module zips carry the repositories' config/ folders),
// and `npm run import` generates imports/ and test/crds/ from the same files.
module cdk8s-tekton-flux/e2e/upstream

go 1.26.4

require (
	github.com/external-secrets/external-secrets v0.16.2
	github.com/fluxcd/kustomize-controller v1.9.0
	github.com/fluxcd/notification-controller v1.9.0
	github.com/fluxcd/source-controller v1.9.0
	github.com/tektoncd/pipeline v1.15.0
	github.com/tektoncd/triggers v0.37.0
)

// Example 2: check every new OCI artifact of deploy manifests before it rolls out: Flux stores a new
// artifact of the OCIRepository, and the pipeline pulls exactly that digest and validates the manifests.
import { App, Chart } from 'cdk8s';
import { FluxEvent, FluxTriggeredPipeline, GitOpsApp, OCIRepository, Pipeline, Task } from 'cdk8s-tekton-flux';

export function build(app: App): App {
  const flux = new Chart(app, 'flux-system', { namespace: 'flux-system' });
  const manifests = new OCIRepository(flux, 'app-manifests', { url: 'oci://ghcr.io/acme/app-manifests', ref: { semver: '>=1.0.0' } });

  const ci = new Chart(app, 'ci', { namespace: 'ci' });
  const check = new Task(ci, 'validate-manifests', { description: 'Pull the artifact by digest and validate it' });
  const url = check.addParam('url');
  const digest = check.addParam('digest', { description: 'sha256:… of the artifact' });
  const tag = check.addParam('tag');
  const scratch = check.addWorkspace('scratch');
  check.addStep({
    name: 'pull',
    image: 'ghcr.io/fluxcd/flux-cli:v2.7.3',
    script: `#!/bin/sh\nset -eu\nflux pull artifact "${url}@${digest}" --output "${scratch.path}"\necho "pulled ${tag}"`,
  });
  check.addStep({
    name: 'kubeconform',
    image: 'ghcr.io/yannh/kubeconform:v0.6.7',
    command: ['/kubeconform'], // without it, Tekton's controller asks the registry for the entrypoint
    args: ['-strict', '-summary', '-ignore-missing-schemas', scratch.path],
  });

  const pipeline = new Pipeline(ci, 'manifests-check');
  pipeline.addTask('validate', { task: check, retries: 1 });

  new FluxTriggeredPipeline(ci, 'manifests-artifact', {
    source: manifests,
    pipeline,
    // `tag` is bound by its name; `digest` explicitly; the URL is a literal from the source.
    // `scratch` is not bound: it gets a fresh volume per run.
    params: { url: manifests.url, digest: FluxEvent.digest() },
    // HTTPS from Flux to the listener: the listener's certificate, and the CA Flux verifies it with.
    tls: { listenerSecretName: 'manifests-artifact-tls', providerCaSecretName: 'manifests-artifact-ca' },
  });
  return app;
}

if (require.main === module) build(new GitOpsApp({ outdir: 'dist' })).synth();

// Example 6: three clusters, each with its own Flux reconciling its own folder of dist/ (`flux bootstrap --path
// dist/<cluster>`). CI (Tekton, Triggers, the listener) runs in cluster `ci`; the app runs in `staging` and
// `production`, each deployed by a Kustomization `flux-system/web` of the same name. When staging has applied a
// revision, its notification-controller posts the event over HTTPS to the ci cluster's listener (its Ingress at
// externalUrl), with staging's own token and the cluster's name in the event; the promotion to production runs
// in ci and opens a pull request. Production is the last environment: nothing is promoted from it, so its folder
// has no Provider or Alert and its events stay in production.
import { App, Chart } from 'cdk8s';
import { Cluster, FluxListener, GitOpsApp, GitRepository, Kustomization, Promotion, PromotionMode, Task, PullRequestProvider } from 'cdk8s-tekton-flux';

export const CLUSTERS = ['ci', 'staging', 'production'];

export function build(app: App): App {
  const [ciCluster, ...environments] = CLUSTERS.map((name) => new Cluster(app, name));
  const web: { [cluster: string]: Kustomization } = {};
  for (const cluster of [ciCluster, ...environments]) {
    const flux = new Chart(cluster, 'flux-system', { namespace: 'flux-system' });
    const fleet = new GitRepository(flux, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' });
    if (cluster !== ciCluster) {
      web[cluster.name] = new Kustomization(flux, 'web', { source: fleet, path: `./envs/${cluster.name}`, targetNamespace: 'web', wait: true });
    }
  }

  const ci = new Chart(ciCluster, 'promotion', { namespace: 'ci' });
  // the other clusters' notification-controllers reach it here (an Ingress, HTTPS ending at the ingress controller,
  // whose certificate an internal CA signed: each cluster's Secret flux-system/ci-ingress-ca holds it as ca.crt)
  const listener = new FluxListener(ci, 'listener', { externalUrl: 'https://ci.acme.example/flux-events', externalCaSecretName: 'ci-ingress-ca' });
  // verify runs in the ci cluster: it reaches staging by staging's public address, never by a cluster.local name
  const smoke = new Task(ci, 'web-smoke-test', { description: 'Probe the environment that just applied a version' });
  const version = smoke.addParam('version');
  smoke.addStep({
    name: 'probe',
    image: 'curlimages/curl:8.10.1',
    script: `#!/bin/sh\nset -eu\necho "checking ${version}"\ncurl -fsS --max-time 10 --retry 5 --retry-all-errors "https://web.staging.acme.example/healthz"`,
  });
  new Promotion(ci, 'web', {
    app: 'web',
    listener,
    repositoryUrl: 'https://github.com/acme/fleet.git',
    gitTokenSecretName: 'fleet-git',
    environments: [
      { name: 'staging', kustomization: web.staging, path: 'envs/staging', verify: smoke },
      { name: 'production', kustomization: web.production, path: 'envs/production', mode: PromotionMode.PULL_REQUEST },
    ],
    pullRequests: { provider: PullRequestProvider.GITHUB, project: 'acme/fleet', tokenSecretName: 'fleet-github' },
  });
  return app;
}

if (require.main === module) build(new GitOpsApp({ outdir: 'dist' })).synth();

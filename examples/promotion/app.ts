// Example 4: promote an app dev → staging → production, the proof of concept's purpose. Each environment is a
// Flux Kustomization over one config repo; the version is the field marked `# {"$promotion": "web"}` in each
// environment's manifests, e.g. `newTag: 1.4.2 # {"$promotion": "web"}` in envs/<env>/kustomization.yaml.
// When staging has applied a revision, run it for an hour and its smoke test passed, production gets the version
// by pull request; when the smoke test fails, staging is set back to the version it ran before. Each environment
// reports on the config commit it applied (commit status `web/<environment>`).
import { App, Chart, Duration } from 'cdk8s';
import {
  CommitStatus, GitOpsApp, GitRepository, ImagePolicy, ImagePolicyChoice, ImageRepository, ImageUpdateAutomation, ImageUpdateStrategy,
  Kustomization, Promotion, PromotionFailure, PromotionMode, PullRequestProvider, Task,
} from 'cdk8s-tekton-flux';

export function build(app: App): App {
  const flux = new Chart(app, 'flux-system', { namespace: 'flux-system' });
  const fleet = new GitRepository(flux, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' });
  const env = (name: string) => new Kustomization(flux, `web-${name}`, { source: fleet, path: `./envs/${name}`, targetNamespace: `web-${name}`, wait: true });

  // The first hop, the Flux way: image-reflector-controller lists ghcr.io/acme/web's tags, the policy picks the highest
  // 1.x, and image-automation-controller commits it into dev's fields marked with the policy's setter comment,
  // imagePolicyMarker(policy, ImagePolicyField.TAG): `newTag: 1.4.2 # {"$imagepolicy": "flux-system:web:tag"}`.
  const images = new ImageRepository(flux, 'web-images', { name: 'web', image: 'ghcr.io/acme/web' });
  new ImagePolicy(flux, 'web-policy', { name: 'web', imageRepository: images, policy: ImagePolicyChoice.semver('>=1.0.0 <2.0.0') });
  new ImageUpdateAutomation(flux, 'web-dev-images', {
    gitRepository: fleet,
    author: { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' },
    messageTemplate: 'dev: web {{range .Changed.Changes}}{{.NewValue}}{{end}}',
    update: ImageUpdateStrategy.setters('./envs/dev'),
  });

  const ci = new Chart(app, 'promotion', { namespace: 'ci' });
  const smoke = new Task(ci, 'web-smoke-test', { description: 'Probe the environment that just applied a version' });
  const environment = smoke.addParam('environment');
  const version = smoke.addParam('version');
  smoke.addStep({
    name: 'probe',
    image: 'curlimages/curl:8.10.1',
    script: `#!/bin/sh\nset -eu\necho "checking ${version} in ${environment}"\ncurl -fsS --retry 5 --retry-all-errors "http://web.web-${environment}.svc.cluster.local/healthz"`,
  });

  new Promotion(ci, 'web', {
    app: 'web',
    repositoryUrl: 'https://github.com/acme/fleet.git',
    gitTokenSecretName: 'fleet-git',
    environments: [
      { name: 'dev', kustomization: env('dev'), path: 'envs/dev' },
      {
        name: 'staging',
        kustomization: env('staging'),
        path: 'envs/staging',
        verify: smoke,
        soak: Duration.hours(1),
        onVerifyFailure: PromotionFailure.rollback(),
      },
      { name: 'production', kustomization: env('production'), path: 'envs/production', mode: PromotionMode.PULL_REQUEST },
    ],
    pullRequests: { provider: PullRequestProvider.GITHUB, project: 'acme/fleet', tokenSecretName: 'fleet-github' },
    status: CommitStatus.github({ repository: 'acme/fleet', tokenSecretName: 'fleet-github' }),
  });
  return app;
}

if (require.main === module) build(new GitOpsApp({ outdir: 'dist' })).synth();

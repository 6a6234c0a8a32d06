import { App, Chart, Duration } from 'cdk8s';
import { nodeServicePipeline, smokeTestPipeline } from './example-pipeline';
// The app uses the library as any team's app does: through its entry.
import {
  FluxTriggeredPipeline, GitOpsApp, GitOpsSync, GitRepository, Kustomization, Promotion, PromotionMode, PullRequestProvider, RunConcurrency,
  WorkspaceBinding,
} from '../src';

/**
 * The synth app: `cdk8s synth` (or `npm run synth`) writes one file per chart into dist/, which Flux
 * reconciles. Copy this file as the starting point of your own app.
 */
export function buildApp(app: App): App {
  // Flux objects live in flux-system.
  const flux = new Chart(app, 'flux-system', { namespace: 'flux-system' });
  const appRepo = new GitRepository(flux, 'app-repo', {
    url: 'https://github.com/acme/app.git', branch: 'main', interval: Duration.minutes(1),
  });
  const ciConfig = new GitRepository(flux, 'ci-config', {
    url: 'https://github.com/acme/ci-config.git', branch: 'main', interval: Duration.minutes(5),
  });
  new GitOpsSync(flux, 'ci-config-sync', { source: ciConfig, path: './dist' });
  const staging = new Kustomization(flux, 'app-staging', {
    source: appRepo, path: './deploy/staging', targetNamespace: 'staging', wait: true, timeout: Duration.minutes(5),
  });
  const production = new Kustomization(flux, 'app-production', {
    source: appRepo, path: './deploy/production', targetNamespace: 'production', wait: true, timeout: Duration.minutes(5),
  });

  // CI runs in the ci namespace.
  const ci = new Chart(app, 'ci', { namespace: 'ci' });
  new FluxTriggeredPipeline(ci, 'on-push', {
    source: appRepo,
    pipeline: nodeServicePipeline(ci, 'node-service-ci'),
    // `commit` is not given: a param named like a FluxEvent field gets that field.
    params: { url: appRepo.url, image: 'ghcr.io/acme/app' },
    workspaces: { source: WorkspaceBinding.volumeClaimTemplate({ storage: '2Gi' }) },
    // The deploy task runs kubectl with the runs' ServiceAccount (grant it what deploying needs).
    automountRunServiceAccountToken: true,
    // The last 10 successful and 10 failed runs stay (Tekton Pruner deletes older ones).
    keepRuns: 10,
    // A push supersedes the build of the previous one: that run is cancelled (its finally task still reports).
    concurrency: RunConcurrency.cancelInProgress(),
  });
  new FluxTriggeredPipeline(ci, 'on-staging-deploy', {
    source: staging,
    pipeline: smokeTestPipeline(ci, 'staging-smoke-test'),
    params: { 'base-url': 'http://app.staging.svc.cluster.local' },
  });
  // What staging runs (the field marked `# {"$promotion": "app"}` under deploy/staging) goes to production
  // by pull request once staging has applied it.
  new Promotion(ci, 'app', {
    app: 'app',
    repositoryUrl: appRepo.url,
    gitTokenSecretName: 'app-repo-push',
    environments: [
      { name: 'staging', kustomization: staging, path: 'deploy/staging' },
      { name: 'production', kustomization: production, path: 'deploy/production', mode: PromotionMode.PULL_REQUEST },
    ],
    pullRequests: { provider: PullRequestProvider.GITHUB, project: 'acme/app', tokenSecretName: 'app-repo-pull-requests' },
  });
  return app;
}

if (require.main === module) {
  buildApp(new GitOpsApp({ outdir: 'dist' })).synth();
}

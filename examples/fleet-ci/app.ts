// Example 5: a team's fleet on one listener. Twelve services, each a GitRepository and a pipeline; every
// FluxTriggeredPipeline joins one FluxListener, so the fleet costs one EventListener (one pod), one Provider and
// one Alert (in the listener's namespace) and one token Secret, whatever the number of services. Each service adds
// a Trigger, a TriggerBinding, a TriggerTemplate and the runs' ServiceAccount. No Secret is created by hand: External
// Secrets Operator (installed by the platform) generates the token from the ExternalSecret in dist/.
import { App, Chart } from 'cdk8s';
import { FluxListener, FluxTriggeredPipeline, GitOpsApp, GitRepository, ListenerTokenSource, Pipeline, Task } from 'cdk8s-tekton-flux';

export const SERVICES = ['api', 'web', 'worker', 'billing', 'search', 'auth', 'mail', 'files', 'jobs', 'reports', 'gateway', 'admin'];

export function build(app: App): App {
  const flux = new Chart(app, 'flux-system', { namespace: 'flux-system' });
  const ci = new Chart(app, 'fleet-ci', { namespace: 'fleet-ci' });
  const listener = new FluxListener(ci, 'listener', { name: 'fleet', tokenSource: ListenerTokenSource.externalSecretsPassword() });

  // one Task for every service: the commit to build arrives in the environment, never as script text
  const buildTask = new Task(ci, 'build', { description: 'Build one service at a commit' });
  const url = buildTask.addParam('url', { description: 'the repository' });
  const commit = buildTask.addParam('commit', { description: 'the commit to build' });
  buildTask.addStep({ name: 'build', image: 'alpine/git:2.45.2', script: `#!/bin/sh\nset -eu\necho "building ${url} at ${commit}"` });

  for (const service of SERVICES) {
    const repo = new GitRepository(flux, service, { url: `https://github.com/acme/${service}.git`, branch: 'main' });
    const pipeline = new Pipeline(ci, `${service}-ci`);
    pipeline.addTask('build', { task: buildTask });
    new FluxTriggeredPipeline(ci, `on-${service}`, { source: repo, pipeline, listener, params: { url: repo.url } });
  }
  return app;
}

if (require.main === module) build(new GitOpsApp({ outdir: 'dist' })).synth();

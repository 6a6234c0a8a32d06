// Example 3: a post-deploy smoke test. When the staging Kustomization reports ReconciliationSucceeded,
// the pipeline probes the service and checks it serves the commit Flux just applied.
import { App, Chart, Duration } from 'cdk8s';
import { FluxTriggeredPipeline, GitOpsApp, Kustomization, OnError, Pipeline, Task } from 'cdk8s-tekton-flux';

export function build(app: App): App {
  const ci = new Chart(app, 'ci', { namespace: 'ci' });
  // The Kustomization exists already (made by `flux bootstrap` or another repo).
  const staging = Kustomization.fromKustomizationName(ci, 'app-staging', 'app-staging', { namespace: 'flux-system' });

  const probe = new Task(ci, 'probe');
  const url = probe.addParam('url', { default: 'http://app.staging.svc.cluster.local' });
  const commit = probe.addParam('commit');
  probe.addStep({
    name: 'version',
    image: 'curlimages/curl:8.10.1',
    script: `#!/bin/sh\nset -eu\ntest "$(curl -fsS --retry 10 --retry-all-errors ${url}/version)" = "${commit}"`,
  });

  const report = new Task(ci, 'report');
  const status = report.addParam('status');
  report.addStep({ name: 'post', image: 'curlimages/curl:8.10.1', script: `#!/bin/sh\necho "staging smoke test: ${status}"` });

  const pipeline = new Pipeline(ci, 'staging-smoke', { timeouts: { pipeline: Duration.minutes(10) } });
  pipeline.addTask('probe', { task: probe, retries: 3, timeout: Duration.minutes(3) });
  pipeline.addFinally('report', { task: report, params: { status: pipeline.tasksStatus }, onError: OnError.CONTINUE });

  new FluxTriggeredPipeline(ci, 'staging-applied', { source: staging, pipeline });
  return app;
}

if (require.main === module) build(new GitOpsApp({ outdir: 'dist' })).synth();

import { App, Chart } from 'cdk8s';
import { nodeServicePipeline } from './example-pipeline';
import { GitOpsApp } from './gitops-app';

/**
 * The synth app: `cdk8s synth` (or `npm run synth`) writes one file per chart into dist/, which Flux
 * reconciles. Copy this file as the starting point of your own app.
 */
export function buildApp(app: App): App {
  const ci = new Chart(app, 'ci', { namespace: 'ci' });
  nodeServicePipeline(ci, 'node-service-ci');
  return app;
}

if (require.main === module) {
  buildApp(new GitOpsApp({ outdir: 'dist' })).synth();
}

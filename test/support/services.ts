import { Chart, Testing } from 'cdk8s';
import { FluxListener, FluxTriggeredPipeline, GitRepository, Pipeline, Task } from '../../src';
import { validationErrors } from '../util';

/** Options of `services`. */
export interface ServicesOptions {
  /** The listener the pipelines join (made in chart `ci`); by default they name none and join their namespace's. */
  readonly listener?: (ci: Chart) => FluxListener;
  /** The namespaces of the GitRepositories, in turn (default: flux-system). */
  readonly namespaces?: string[];
}

/**
 * The objects of an app of `n` services in namespace `ci`: a GitRepository, a Task and a Pipeline each (the user's
 * own), and a FluxTriggeredPipeline on the repository. The app must be valid.
 */
export function services(n: number, options: ServicesOptions = {}): any[] {
  const app = Testing.app();
  const ci = new Chart(app, 'ci', { namespace: 'ci' });
  const listener = options.listener?.(ci);
  const namespaces = options.namespaces ?? ['flux-system'];
  for (let i = 0; i < n; i++) {
    const ns = namespaces[i % namespaces.length];
    const flux = (app.node.tryFindChild(ns) as Chart | undefined) ?? new Chart(app, ns, { namespace: ns });
    const repo = new GitRepository(flux, `svc-${i}`, { url: `https://github.com/acme/svc-${i}.git`, branch: 'main' });
    const task = new Task(ci, `t-${i}`);
    const commit = task.addParam('commit');
    task.addStep({ name: 's', image: 'alpine:3.20', script: `#!/bin/sh\necho ${commit}` });
    const pipeline = new Pipeline(ci, `svc-${i}-ci`);
    pipeline.addTask('t', { task });
    new FluxTriggeredPipeline(ci, `on-svc-${i}`, { source: repo, pipeline, listener });
  }
  expect(validationErrors(app)).toEqual([]);
  return app.charts.flatMap((c) => c.toJson());
}

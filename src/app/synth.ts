import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, DependencyGraph, Names, Yaml, YamlOutputType } from 'cdk8s';

/**
 * What `App.synth()` does for one file per chart, without the work that has nothing to do in an app whose
 * constructs have no dependencies: cdk8s resolves the app's dependencies three times (once, and again for
 * every chart it renders) and builds a dependency graph of every construct of the app (to order the charts)
 * and of every chart (to order its objects). Each walk costs per construct, not per object, and with no
 * dependency and no chart directly inside another there is nothing to resolve and every graph's order is the
 * tree's own (pre-order). Everything else is cdk8s's, step for step: the same validation passes at the same
 * points (once for the app, again before each chart, with cdk8s's message), the same chart order and file
 * names, each object's own `toJson()`, and `Yaml.save` per chart.
 *
 * Whenever that does not hold (a dependency or a chart directly inside a chart, before the first chart or
 * appearing while charts render; another output type; construct metadata; a chart with its own `toJson`), cdk8s
 * does the work itself: `fallback` (the app's `App.synth()`) for the whole app, or the chart's own `toJson()`
 * for each chart from then on.
 * @internal
 */
export function synthCharts(app: App, fallback: () => void): void {
  // (construct metadata: a private setting of cdk8s's App, which writes it after the charts)
  const metadata = (app as unknown as { recordConstructMetadata?: boolean }).recordConstructMetadata;
  if (app.yamlOutputType !== YamlOutputType.FILE_PER_CHART || metadata) return fallback();
  fs.mkdirSync(app.outdir, { recursive: true });
  validate(app);
  // with nothing for cdk8s to resolve: charts in pre-order, named without the dependency index
  if (!withoutDependencies(app)) return fallback();
  for (const chart of app.node.findAll().filter((c): c is Chart => Chart.isChart(c))) {
    const objects = renderChart(app, chart);
    Yaml.save(path.join(app.outdir, `${Names.toDnsLabel(chart)}${app.outputFileExtension}`), objects);
  }
}

/** `chart.toJson()`: cdk8s's `App._synthChart` when nothing needs resolving, else the chart's own. */
function renderChart(app: App, chart: Chart): unknown[] {
  if (chart.toJson !== Chart.prototype.toJson || !withoutDependencies(app)) return Object.values(chart.toJson());
  validate(app);
  // the chart's dependency graph orders its objects; one without edges keeps the tree's order
  const constructs = chart.node.findAll();
  const ordered = constructs.some((c) => c.node.dependencies.length) ? new DependencyGraph(chart.node).topology() : constructs;
  return ordered.filter((c): c is ApiObject => ApiObject.isApiObject(c) && Chart.of(c) === chart).map((o) => o.toJson());
}

/** cdk8s's validation pass: every construct's validations, the errors with their paths, in one exception. */
function validate(app: App): void {
  const errors: string[] = [];
  for (const child of app.node.findAll()) {
    for (const error of child.node.validate()) errors.push(`[${child.node.path}] ${error}`);
  }
  if (errors.length > 0) throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
}

/**
 * Whether cdk8s's dependency resolution has nothing to add: no construct depends on another and no chart is a
 * direct child of a chart. Its graphs then have no edges and list constructs in the tree's pre-order (keyed by
 * path in an object, they put integer-like top-level ids first, as the tree's own children do).
 */
function withoutDependencies(app: App): boolean {
  for (const c of app.node.findAll()) {
    if (c.node.dependencies.length) return false;
    const scope = c.node.scope;
    if (scope && Chart.isChart(c) && Chart.isChart(scope)) return false;
  }
  return true;
}

/**
 * The charts in the order `synthCharts` (and cdk8s) saves them: the tree's pre-order when nothing needs
 * resolving, without building the dependency graph of every construct that `app.charts` builds; else `app.charts`.
 * @internal
 */
export function chartsOf(app: App): Chart[] {
  return withoutDependencies(app) ? app.node.findAll().filter((c): c is Chart => Chart.isChart(c)) : app.charts;
}

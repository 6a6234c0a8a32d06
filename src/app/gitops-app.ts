import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps, Chart, Yaml, YamlOutputType } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Cluster } from './cluster';
import { Problem, SynthError, problem, problemAt } from '../problems';
import { Files, ownershipProblem, publish } from './publish';
import { chartsOf, synthCharts } from './synth';
import { toKubernetesYaml } from './yaml';
import { compareCodePoints } from '../internal/sort';

/**
 * Props for `GitOpsApp`.
 */
export interface GitOpsAppProps extends Omit<AppProps, 'outdir'> {
  /**
   * The folder that Flux reconciles. It is owned by the synth: files of charts that no longer exist are removed
   * (its `*.yaml` files, and the `*.k8s.yaml` files of the cluster folders below it; what else a cluster folder
   * holds, such as the `flux-system/` that `flux bootstrap --path` commits, is left alone), and a folder holding
   * anything else at its top, or a symbolic link, is refused.
   *
   * @default 'dist'
   */
  readonly outdir?: string;
  /**
   * Write a Namespace for every namespace the app's objects are in (`_namespaces.k8s.yaml`), so that a
   * fresh cluster accepts `dist/` (Flux applies Namespaces first). Namespaces a cluster has by itself or by
   * its installs (`default`, `kube-*`, `flux-system`, `tekton-pipelines`) and those the app defines are left
   * out; the Namespaces are marked `kustomize.toolkit.fluxcd.io/prune: disabled`, so that Flux never deletes
   * a namespace (and everything in it) when the app stops using it.
   * @default true
   */
  readonly namespaces?: boolean;
}

/** `p` with symbolic links resolved, also when (the end of) it does not exist yet. */
function realPath(p: string): string {
  const rest: string[] = [];
  for (let d = path.resolve(p); ; d = path.dirname(d)) {
    try {
      return path.join(fs.realpathSync.native(d), ...rest);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(d) === d) throw e;
      rest.unshift(path.basename(d));
    }
  }
}

/** Whether `inner` is `outer` or below it, by path segments (`dist2` is not below `dist`). */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/**
 * Why cdk8s-cli's output folder `cliOutdir` must not be used with `publishDir`, or undefined: cdk8s synth
 * empties its output folder before the app runs, so one that is the published folder or holds it loses it
 * whenever the synth then fails; one inside it would put a folder (the CLI's copy) into what Flux applies.
 */
function cliOutputProblem(cliOutdir: string, publishDir: string): string | undefined {
  const cli = realPath(cliOutdir);
  const published = realPath(publishDir);
  const contains = within(published, cli);
  if (!contains && !within(cli, published)) return undefined;
  const rel = (p: string) => path.relative(process.cwd(), p) || '.';
  const where = cli === published ? `is '${publishDir}', the folder this app publishes`
    : contains ? `'${cliOutdir}' holds '${publishDir}', the folder this app publishes`
      : `'${cliOutdir}' is inside '${publishDir}', the folder this app publishes`;
  const why = contains
    ? 'cdk8s synth empties its output folder before the app runs, so a failed synth would leave the published folder empty or gone'
    : 'the app copies its files there for the CLI, so the published folder would hold a folder of copies (Flux would apply each object twice, ' +
      'and the next synth refuses a folder that holds more than `*.yaml` files)';
  const restore = contains ? `, then restore what cdk8s synth deleted with: git checkout -- ${rel(publishDir)}` : `, then remove ${rel(cliOutdir)}`;
  return `cdk8s-cli's output folder ${where}: ${why}. In cdk8s.yaml set \`output: .cdk8s-staging/cli\` ` +
    `(and keep \`outdir: '${rel(publishDir)}'\` in GitOpsApp)${restore}`;
}

/** The file of the Namespaces the app's objects use (one per cluster folder). */
const NAMESPACES_FILE = '_namespaces.k8s.yaml';

/** Namespaces a cluster running Flux and Tekton has without this app. */
const CLUSTER_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'flux-system', 'tekton-pipelines']);

/**
 * A cdk8s `App` that publishes its output so that Flux's folder is never lost or half-written.
 *
 * `synth()` validates and renders every chart in memory and, only when all of it succeeded, writes the
 * files into `outdir` one atomic rename each (see `publish.ts`): a failed synth leaves `outdir` byte for
 * byte as it was, a killed one leaves every file complete (old or new) and the next synth finishes the job.
 * The YAML is written so that Kubernetes (sigs.k8s.io/yaml) reads back exactly what the constructs meant.
 * Under `cdk8s synth`, the files are also copied into cdk8s-cli's output folder for its listing; that
 * folder must not be `outdir`, hold it or be inside it (the CLI empties it before the app runs; compared by
 * real path and path segment), and the app refuses to run if it does.
 */
export class GitOpsApp extends App {
  /** The folder that receives the published manifests. */
  public readonly publishDir: string;
  private readonly writeNamespaces: boolean;

  constructor(props: GitOpsAppProps = {}) {
    const publishDir = path.resolve(props.outdir ?? 'dist');
    // cdk8s writes nothing here (synth captures the output in memory); App needs a folder to name.
    super({ yamlOutputType: YamlOutputType.FILE_PER_CHART, ...props, outdir: path.join(os.tmpdir(), `cdk8s-tekton-flux-${process.pid}`) });
    this.publishDir = publishDir;
    this.writeNamespaces = props.namespaces ?? true;
  }

  public synth(): void {
    const cliOutdir = process.env.CDK8S_OUTDIR ? path.resolve(process.env.CDK8S_OUTDIR) : undefined;
    const overlap = cliOutdir && cliOutputProblem(cliOutdir, this.publishDir);
    if (overlap) throw new Error(overlap);
    const owned = ownershipProblem(this.publishDir);
    if (owned) throw new Error(owned);

    const files = this.render();
    publish(this.publishDir, files);
    if (cliOutdir) {
      // for cdk8s-cli's listing of what was synthesized
      fs.mkdirSync(cliOutdir, { recursive: true });
      for (const [name, content] of files) {
        fs.mkdirSync(path.dirname(path.join(cliOutdir, name)), { recursive: true });
        fs.writeFileSync(path.join(cliOutdir, name), content);
      }
    }
  }

  /**
   * Validates and renders every chart as cdk8s does (its validation, dependency order and file names),
   * capturing the documents instead of letting cdk8s write them, and serializes them with `toKubernetesYaml`.
   */
  private render(): Files {
    const clusters = this.clusters();
    const files: Files = new Map();
    // per folder ('' is outdir itself): the namespaces its objects use and those it defines
    const used = new Map<string, Set<string>>();
    const defined = new Map<string, Set<string>>();
    const of = (m: Map<string, Set<string>>, folder: string) => m.get(folder) ?? m.set(folder, new Set()).get(folder)!;
    // taken at the first save, after cdk8s resolved the dependencies that order the charts (and without the
    // graph of every construct that `this.charts` builds when nothing needs resolving)
    let charts: Chart[] | undefined;
    let next = 0;
    const save = Yaml.save;
    // cdk8s saves the charts in the order of `charts`, one file each: the n-th save is the n-th chart's.
    // Serialized as each chart is rendered, so that the documents of one chart can be freed before the next.
    Yaml.save = (file: string, docs: unknown[]) => {
      charts ??= chartsOf(this);
      const chart = charts[next++];
      const cluster = chart && Cluster.of(chart);
      const folder = cluster ? cluster.path : '';
      for (const doc of docs) {
        const d = doc as SavedDocument | null;
        if (d?.metadata?.namespace) of(used, folder).add(d.metadata.namespace);
        if (d?.kind === 'Namespace' && d.apiVersion === 'v1') of(defined, folder).add(d.metadata?.name as string);
      }
      const name = cluster ? `${folder}/${fileName(chart, cluster, path.basename(file))}` : path.basename(file);
      if (cluster && name === `${folder}/${NAMESPACES_FILE}`) {
        throw new SynthError([problemAt(chart.node.path, problem('file-clash',
          `the chart's file would be '${name}', the file of the cluster's Namespaces: give the chart another id`))]);
      }
      if (files.has(name)) {
        throw new SynthError([problemAt(chart.node.path, problem('file-clash', `the chart's file '${name}' is also another chart's: give one of them another id`))]);
      }
      files.set(name, toKubernetesYaml(docs));
    };
    try {
      // cdk8s's synth, without its dependency passes when there is nothing to resolve (see synth.ts)
      try {
        synthCharts(this, () => super.synth());
      } catch (e) {
        // cdk8s's validation failed: the same problems again, as data (validations are cached, so this is cheap)
        if (!(e instanceof SynthError) && /^Validation failed with the following errors:/.test((e as Error | undefined)?.message ?? '')) {
          const error = this.synthError();
          // a validation that found nothing the second time: cdk8s's own error, as it was
          throw error.problems.length ? error : e;
        }
        throw e;
      }
    } finally {
      Yaml.save = save;
      fs.rmSync(this.outdir, { recursive: true, force: true });
    }
    const folders = clusters.length ? clusters.map((c) => c.path) : [''];
    for (const folder of folders) {
      const namespaces = [...(used.get(folder) ?? [])]
        .filter((n) => !CLUSTER_NAMESPACES.has(n) && !defined.get(folder)?.has(n)).sort(compareCodePoints);
      if (this.writeNamespaces && namespaces.length) {
        files.set(folder ? `${folder}/${NAMESPACES_FILE}` : NAMESPACES_FILE, toKubernetesYaml(namespaces.map((name) => ({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name, annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } },
        }))));
      }
    }
    return files;
  }

  /** Every validation problem of the app, as cdk8s's validation finds them (the construct tree's order). */
  private synthError(): SynthError {
    const problems: Problem[] = [];
    for (const c of this.node.findAll()) for (const text of c.node.validate()) problems.push(problemAt(c.node.path, String(text)));
    return new SynthError(problems);
  }

  /**
   * The app's clusters, after checking that they can be written: every chart in one (once there are any), and
   * no cluster's folder inside another's (Flux applies a folder with everything below it).
   */
  private clusters(): Cluster[] {
    const clusters = this.node.findAll().filter((c): c is Cluster => c instanceof Cluster);
    if (!clusters.length) return [];
    const problems: Problem[] = [];
    const add = (at: IConstruct, code: string, text: string) => problems.push(problemAt(at.node.path, problem(code, text)));
    for (const chart of this.charts.filter((c) => !Cluster.of(c))) {
      add(chart, 'chart-outside-clusters', `the chart is in no cluster, but the app has clusters (${clusters.map((c) => c.name).join(', ')}): ` +
        "no cluster's Flux would apply it; create it under one, e.g. new Chart(cluster, id)");
    }
    const byName = new Map<string, Cluster>();
    for (const c of clusters) {
      const first = byName.get(c.name);
      // the name tags the cluster's events (eventMetadata) and names its tokens: two would post as each other
      if (first) {
        add(c, 'cluster-name-clash', `cluster '${c.name}' is also ${first.node.path}: its name tags its events and names its tokens, ` +
          'so each cluster needs a name of its own (the construct id)');
      } else {
        byName.set(c.name, c);
      }
    }
    for (const a of clusters) {
      for (const b of clusters) {
        if (a === b || !(`${b.path}/`.startsWith(`${a.path}/`))) continue;
        if (a.path === b.path && compareCodePoints(a.node.path, b.node.path) > 0) continue;
        add(b, 'cluster-folder-clash', `cluster '${b.name}' writes into '${b.path}', ` +
          (a.path === b.path ? `as cluster '${a.name}' does` : `inside cluster '${a.name}''s folder '${a.path}' (its Flux would apply both)`) +
          ': give each cluster a folder of its own (`path`)');
      }
    }
    if (problems.length) throw new SynthError(problems);
    return clusters;
  }
}

/** What the app reads of a document cdk8s saves: its kind, name and namespace. */
interface SavedDocument {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
}

/**
 * A chart's file in its cluster's folder: its path below the cluster joined by '-' (cdk8s's name would add the
 * cluster and a hash), keeping cdk8s's order prefix (`0000-`) when charts depend on each other.
 */
function fileName(chart: Chart, cluster: Cluster, cdk8sName: string): string {
  const order = /^\d{4}-/.exec(cdk8sName)?.[0] ?? '';
  const below = chart.node.scopes.slice(cluster.node.scopes.length).map((c) => c.node.id).join('-')
    .toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  return `${order}${below}.k8s.yaml`;
}

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps, YamlOutputType } from 'cdk8s';

/**
 * Props for `GitOpsApp`.
 */
export interface GitOpsAppProps extends Omit<AppProps, 'outdir'> {
  /**
   * The folder that Flux reconciles. It is owned by the synth: files of charts that no longer exist
   * are removed, and nothing else should be kept there.
   *
   * @default 'dist'
   */
  readonly outdir?: string;
}

let stagingCounter = 0;

/**
 * A cdk8s `App` that publishes its output atomically.
 *
 * `synth()` writes every chart to a fresh staging folder and, only when the whole synth (validation
 * included) succeeded, swaps it into `outdir`. A failed synth leaves `outdir` byte for byte as it was;
 * a successful one leaves no stale file behind. Under `cdk8s synth`, the staged manifests are also
 * left in `$CDK8S_OUTDIR` so the CLI can list them (keep that folder away from `outdir`: the CLI
 * deletes it before every run).
 */
export class GitOpsApp extends App {
  /** The folder that receives the published manifests. */
  public readonly publishDir: string;

  constructor(props: GitOpsAppProps = {}) {
    const publishDir = path.resolve(props.outdir ?? 'dist');
    const cliOutdir = process.env.CDK8S_OUTDIR ? path.resolve(process.env.CDK8S_OUTDIR) : undefined;
    const staging = cliOutdir && cliOutdir !== publishDir
      ? cliOutdir
      : path.join(os.tmpdir(), `cdk8s-tekton-flux-${process.pid}-${stagingCounter++}`);
    super({ yamlOutputType: YamlOutputType.FILE_PER_CHART, ...props, outdir: staging });
    this.publishDir = publishDir;
  }

  public synth(): void {
    fs.rmSync(this.outdir, { recursive: true, force: true });
    super.synth();
    publishFolder(this.outdir, this.publishDir);
    if (this.outdir !== (process.env.CDK8S_OUTDIR && path.resolve(process.env.CDK8S_OUTDIR))) {
      fs.rmSync(this.outdir, { recursive: true, force: true });
    }
  }
}

/** Replaces `target` with a copy of `source`, through a sibling folder and two renames. */
function publishFolder(source: string, target: string) {
  const next = `${target}.next-${process.pid}`;
  const previous = `${target}.previous-${process.pid}`;
  fs.rmSync(next, { recursive: true, force: true });
  fs.cpSync(source, next, { recursive: true });
  if (fs.existsSync(target)) {
    fs.renameSync(target, previous);
  }
  fs.renameSync(next, target);
  fs.rmSync(previous, { recursive: true, force: true });
}

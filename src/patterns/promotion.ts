import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { CommitStatus } from './commit-status';
import { FluxEvent } from './flux-event';
import { FluxListener } from './flux-listener';
import { FluxTriggeredPipeline } from './flux-triggered-pipeline';
import { GitHost } from './git-host';
import { CURL_IMAGE, GIT_IMAGE, openPullRequestScript, promoteScript, readVersionScript, rollbackScript } from './promotion-scripts';
import { RunConcurrency } from './run-concurrency';
import { CONFIG_REPO_LABEL, PROMOTION_LABELS } from './run-labels';
import { SOAK_LABEL, SoakClock } from './soak-clock';
import { Cluster } from '../app/cluster';
import { IKustomization } from '../flux/kustomization';
import { durationProblems, goDuration } from '../internal/duration';
import { loopbackHttp } from '../internal/loopback';
import { branchNameProblem, dnsLabelProblem, httpsUrlProblem, secretNameProblem } from '../internal/validation';
import { problem } from '../problems';
import { ParamType, ParamValue } from '../tekton/params';
import { Pipeline } from '../tekton/pipeline';
import { PipelineTask } from '../tekton/pipeline-task';
import { OnError, EnvValue } from '../tekton/step';
import { ITask, Task } from '../tekton/task';
import { When } from '../tekton/when';

/** How a version reaches an environment's manifests. */
export enum PromotionMode {
  /** Commit to the config repo's branch and push. */
  PUSH = 'push',
  /** Push a branch and open a pull request (GitHub) or merge request (GitLab): the request is the approval. */
  PULL_REQUEST = 'pull-request',
}

/** The forge whose API opens a promotion's pull (merge) requests. */
export class PullRequestProvider {
  /** GitHub (or GitHub Enterprise, with `apiUrl`): pull requests. */
  public static readonly GITHUB = new PullRequestProvider(GitHost.GITHUB);
  /** GitLab (or a self-managed GitLab, with `apiUrl`): merge requests. */
  public static readonly GITLAB = new PullRequestProvider(GitHost.GITLAB);

  /** Its name, as the step's script reads it (`PROVIDER`). */
  public readonly name: string;
  /** The public API's base URL. */
  public readonly defaultApiUrl: string;

  private constructor(host: GitHost) {
    this.name = host.name;
    this.defaultApiUrl = host.defaultApiUrl!;
  }
}

/** What a promotion does when an environment's `verify` fails for the version it runs. */
export class PromotionFailure {
  /** The version stays where it is: the run fails, and reports it (its `finally` report and commit status). */
  public static stop(): PromotionFailure {
    return new PromotionFailure(false);
  }

  /**
   * The environment is set back to the version it ran before: one commit that restores the previous marked value
   * (pushed, or as a pull request when the environment is promoted by pull request), named and explained in its
   * message and carrying the trailer `Promotion-Rollback: <app> <environment> <version>`. A version rolled back is
   * never promoted to that environment again, and never restored by a later rollback; a version that a rollback
   * restored is not rolled back further when it fails too (no loop: fix the environment by hand).
   */
  public static rollback(): PromotionFailure {
    return new PromotionFailure(true);
  }

  private constructor(
    /** Whether a failed verification sets the environment back. */
    public readonly rollsBack: boolean,
  ) {}
}

/** Where pull requests are opened. */
export interface PullRequestOptions {
  /** `PullRequestProvider.GITHUB` or `PullRequestProvider.GITLAB`. */
  readonly provider: PullRequestProvider;
  /** The repository on the provider: `owner/name` (GitHub) or the project path `group/name` (GitLab). */
  readonly project: string;
  /** An existing Secret (by name, in the runs' namespace) whose `token` key may open pull requests. */
  readonly tokenSecretName: string;
  /**
   * The API's base URL.
   * @default 'https://api.github.com' or 'https://gitlab.com/api/v4'
   */
  readonly apiUrl?: string;
}

/** One environment of a promotion. */
export interface PromotionEnvironment {
  /** Its name (a DNS label), e.g. `staging`. */
  readonly name: string;
  /** The Flux Kustomization that deploys it (one defined here, or `Kustomization.fromKustomizationName`). */
  readonly kustomization: IKustomization;
  /** The folder of its manifests in the config repo, e.g. `envs/staging`. */
  readonly path: string;
  /**
   * A Task that checks the environment before its version is promoted onward; it gets the params it declares
   * of `revision` (the config repo revision it runs), `version` and `environment`. It runs with the promotion, in
   * its cluster (CI's): an environment in another `Cluster` is reached at an address CI's cluster resolves (its
   * Ingress host), never by a `.svc` name, which the synth refuses.
   * @default - none: promoted as soon as Flux applied it
   */
  readonly verify?: ITask;
  /**
   * How a version reaches this environment (not used for the first).
   * @default PromotionMode.PUSH
   */
  readonly mode?: PromotionMode;
  /**
   * What happens when `verify` fails for the version this environment runs.
   * @default PromotionFailure.stop()
   */
  readonly onVerifyFailure?: PromotionFailure;
  /**
   * How long this environment must have run a version, at one revision of the config repo, before the version is
   * promoted onward (not for the last environment). The run that Flux's event starts waits as a
   * `PipelineRunPending` PipelineRun (an object, no Pod); a clock (a CronJob, see `soakCheckInterval`) starts it
   * when the soak is over, and it then reads, verifies and promotes as any run. A newer revision restarts the
   * clock: its run supersedes (stops) the waiting one, so on a branch that gets commits more often than the soak the
   * version waits for a quiet spell. `kubectl get pipelineruns -l cdk8s-tekton-flux/soak-seconds`
   * lists the runs that wait.
   * @default - none: promoted as soon as it is applied (and verified)
   */
  readonly soak?: Duration;
}

/** How a build pipeline promotes its result into the first environment (`Promotion.entry`). */
export interface PromotionEntryOptions {
  /** The version to write: a task's result (`build.result('tag')`), a param, or a literal. */
  readonly version: ParamValue;
  /**
   * Tasks to run after (a result reference orders the task after its task already).
   * @default - only what `version` references
   */
  readonly runAfter?: PipelineTask[];
  /**
   * The task's name in the pipeline.
   * @default - `promote-<first environment>`
   */
  readonly name?: string;
}

/** Props for `Promotion`. */
export interface PromotionProps {
  /** The app's name: in the marker comment, commit messages and run labels (a DNS label). */
  readonly app: string;
  /** The config repository's clone URL (https). */
  readonly repositoryUrl: string;
  /**
   * The branch Flux follows.
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * An existing Secret (by name, in the runs' namespace) whose `token` key may push to the config repository.
   * @default - no credentials (a repository that accepts pushes without)
   */
  readonly gitTokenSecretName?: string;
  /** The environments, in order: each one's version is promoted to the next. */
  readonly environments: PromotionEnvironment[];
  /**
   * Where pull requests are opened (needed when an environment uses `PromotionMode.PULL_REQUEST`).
   * @default - none
   */
  readonly pullRequests?: PullRequestOptions;
  /**
   * Namespace of the listeners and runs.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * The ServiceAccount the promotion runs use.
   * @default - one per promotion step, created by its FluxTriggeredPipeline
   */
  readonly serviceAccountName?: string;
  /**
   * What a step's run does to the same step's runs still in progress. By default a newer run cancels them, so
   * that the runs of one step (one target) do not overlap; the scripts are race-safe either way (every push is
   * a compare-and-swap, and a target is never lowered).
   * @default RunConcurrency.cancelInProgress()
   */
  readonly concurrency?: RunConcurrency;
  /**
   * Report each environment on the config repo's commit it applied, as a commit status named `<app>/<environment>`
   * (so that environments never overwrite each other's): `pending` when its step starts, then `success` (verified,
   * and promoted onward) or `failure` naming what failed (`verify-staging`, `promote`). The status sits on the
   * exact config commit the environment deployed, whose diff is the version. The last environment reports too (its
   * own step reads and verifies it). `CommitStatus.github({ repository: 'acme/fleet', tokenSecretName })`, without
   * `context`.
   * @default - no status
   */
  readonly status?: CommitStatus;
  /**
   * How often the soak clock of an environment with `soak` looks for runs whose soak is over (whole minutes, 1 to
   * 59): a run starts at most this long after its soak ended.
   * @default Duration.minutes(5)
   */
  readonly soakCheckInterval?: Duration;
  /**
   * The listener the steps join (one Trigger each).
   * @default - the namespace's listener (`FluxListener.of`), which the app's other pipelines of the namespace join too
   */
  readonly listener?: FluxListener;
}

/** The marker comment that marks the field(s) a promotion copies, e.g. `newTag: 1.4.2 # {"$promotion": "web"}`. */
export function promotionMarker(app: string): string {
  return `# {"$promotion": "${app}"}`;
}


/** A relative folder of the config repository: segments of letters, digits and `._-`, no `.` or `..`. */
const REPO_PATH = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;
/** The branch names promotion takes: the conservative charset the listener admits refs of. */
const BRANCH = /^[A-Za-z0-9._/+-]+$/;
/** `owner/name` (GitHub) or `group[/subgroup…]/name` (GitLab). */
const PROJECT = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;

/**
 * Promotes an app across environments, the way the Tekton + Flux proof of concept meant to: when Flux
 * reports that environment N applied revision R of the config repo (its Kustomization's
 * `ReconciliationSucceeded`), a pipeline reads the version N runs at R, runs N's `verify` task with it, and
 * writes it into environment N+1's manifests — the fields marked `# {"$promotion": "<app>"}` — by a commit
 * pushed to the branch Flux follows, or by a pull request (the approval). Flux then applies N+1 and its
 * event continues the chain. Each step is a FluxTriggeredPipeline (authenticated, validated, one run per
 * revision, a newer run cancelling an older one of the same step); a promotion whose target already runs the
 * version changes nothing; a target is never lowered (semantic versions are compared), and a version the
 * source no longer runs at the head is not promoted; a push that loses a race is redone on the new head; a
 * newer version replaces a pending pull request's branch, an older one never does.
 */
export class Promotion extends Construct {
  /** The pipeline of each step, by target environment (add `finally` tasks to report, for example). */
  public readonly pipelines: { [environment: string]: Pipeline } = {};
  /** The trigger of each step, by target environment. */
  public readonly triggers: { [environment: string]: FluxTriggeredPipeline } = {};
  /**
   * The pipeline each environment's events run, by environment: the step onward (the same as `pipelines` of the
   * next environment), and for the last environment its own check, when it has `verify`, `onVerifyFailure` or the
   * promotion a `status`.
   */
  public readonly pipelinesOn: { [environment: string]: Pipeline } = {};
  /** The soak clock of each environment with a `soak`, by environment. */
  public readonly soakClocks: { [environment: string]: SoakClock } = {};
  /** The app promoted (the marker's name). */
  public readonly app: string;

  private readonly props: PromotionProps;
  private readonly promote: Task;

  constructor(scope: Construct, id: string, props: PromotionProps) {
    super(scope, id);
    this.app = props.app;
    this.props = props;
    const read = readVersionTask(this, props);
    this.promote = promoteTask(this, props);
    const envs = props.environments;
    envs.forEach((from, i) => {
      const to = envs[i + 1] as PromotionEnvironment | undefined;
      const rollsBack = from.onVerifyFailure?.rollsBack ?? false;
      // the last environment has a step of its own only when something is to be done on its events
      if (!to && !from.verify && !rollsBack && !props.status) return;
      this.addStep(read, from, to, i);
    });
    this.node.addValidation({ validate: () => this.problems(props) });
  }

  /**
   * Makes a build pipeline promote its own result into the first environment, through the same promote step as
   * every other (the first hop): a task `promote-<first environment>` that writes `version` (e.g. a task's result,
   * `build.result('tag')`) into the first environment's markers, by a commit pushed to the branch. The same run
   * (or event) twice makes one commit; a version lower than the one there is never written; a version a rollback
   * took back from the environment is not written again. The pipeline must be in the promotion's namespace (the
   * promote Task is; the pipeline reports another), and its runs read the git token's Secret (the step's env).
   * Returns the task added.
   */
  public entry(pipeline: Pipeline, options: PromotionEntryOptions): PipelineTask {
    const first = this.props.environments[0];
    const name = options.name ?? `promote-${first?.name ?? 'first'}`;
    return pipeline.addTask(name, {
      task: this.promote,
      runAfter: options.runAfter,
      params: {
        'repository': this.props.repositoryUrl,
        'branch': this.props.branch ?? 'main',
        'app': this.props.app,
        'revision': '$(context.pipelineRun.name)',
        'version': options.version,
        'from': pipeline.name,
        'from-path': '',
        'to': first?.name ?? '',
        'to-path': first?.path ?? '',
        'mode': PromotionMode.PUSH,
      },
      description: `Promotes ${this.props.app}'s build into ${first?.name ?? 'the first environment'}`,
    });
  }

  /** The step that runs on `from`'s events: read, verify (rolling back on failure), soak, promote to `to`. */
  private addStep(read: Task, from: PromotionEnvironment, to: PromotionEnvironment | undefined, index: number) {
    const props = this.props;
    const namespace = props.namespace;
    const pipeline = new Pipeline(this, to ? `to-${to.name}` : `at-${from.name}`, {
      namespace,
      description: to ? `Promote ${props.app} from ${from.name} to ${to.name}` : `Check ${props.app} in ${from.name}, the last environment`,
    });
    const rollsBack = from.verify !== undefined && (from.onVerifyFailure?.rollsBack ?? false);
    // the config revision the environment applied (the step's event): what the promote and rollback commits name,
    // and a verify Task may take; the last environment's step declares it only when something reads it
    const verifyTakesRevision = from.verify?.paramSpecs.some((p) => p.name === 'revision') ?? false;
    const hasRevision = to !== undefined || rollsBack || verifyTakesRevision;
    if (!to && verifyTakesRevision && !rollsBack) pipeline.addParam('revision', { description: `the revision of the config repo ${from.name} applied` });
    const readStep = pipeline.addTask('read-version', { task: read, params: { path: from.path, environment: from.name } });
    const version = readStep.result('version');
    const verifyName = `verify-${from.name}`;
    const verify = from.verify && pipeline.addTask(verifyName, {
      task: from.verify,
      params: Object.fromEntries(from.verify.paramSpecs
        .filter((p) => ['revision', 'version', 'environment'].includes(p.name))
        .map((p) => [p.name, p.name === 'version' ? version : p.name === 'environment' ? from.name : '$(params.revision)'])),
    });
    if (to) {
      pipeline.addTask('promote', {
        task: this.promote,
        runAfter: verify ? [verify] : [readStep],
        params: {
          'version': version,
          'from': from.name,
          'from-path': from.path,
          'to': to.name,
          'to-path': to.path,
          'mode': to.mode ?? PromotionMode.PUSH,
        },
      });
    }
    if (verify && rollsBack) {
      pipeline.addFinally(`rollback-${from.name}`, {
        task: rollbackTask(this, props),
        params: {
          version: version,
          environment: from.name,
          path: from.path,
          // the first environment is written by pushes (its builds' or image automation's)
          mode: index === 0 ? PromotionMode.PUSH : from.mode ?? PromotionMode.PUSH,
        },
        when: [When.input(verify.status).in(['Failed'])],
        description: `Sets ${from.name} back to the version it ran before, when its verification failed`,
      });
    }
    pipeline.addFinally('report', {
      task: reportTask(this, props),
      params: { status: pipeline.tasksStatus, from: from.name, to: to?.name ?? '(last)' },
      onError: OnError.CONTINUE,
    });
    const soak = to ? from.soak : undefined;
    const labels = { [PROMOTION_LABELS.app]: props.app, [PROMOTION_LABELS.from]: from.name, [PROMOTION_LABELS.to]: to?.name ?? '' };
    const trigger = new FluxTriggeredPipeline(this, `on-${from.name}`, {
      source: from.kustomization,
      pipeline,
      namespace,
      serviceAccountName: props.serviceAccountName,
      params: {
        commit: FluxEvent.commit(),
        ...(hasRevision ? { revision: FluxEvent.revision() } : {}),
        app: props.app,
        repository: props.repositoryUrl,
        branch: props.branch ?? 'main',
      },
      runLabels: soak ? { ...labels, [SOAK_LABEL]: String(soak.toSeconds({ integral: false })) } : labels,
      // a rollback acts on verify's failure: a superseded run's verify finishes instead of being cancelled (which
      // Tekton reports as Failed, and would roll back a healthy version)
      concurrency: props.concurrency ?? RunConcurrency.cancelInProgress(rollsBack ? { finishRunningTasks: true } : {}),
      listener: props.listener,
      status: props.status && !props.status._context ? props.status._withContext(`${props.app}/${from.name}`) : undefined,
      _startPending: soak !== undefined,
    });
    if (soak && to && Number.isInteger(soak.toSeconds({ integral: false })) && soak.toSeconds({ integral: false }) > 0) {
      this.soakClocks[from.name] = new SoakClock(this, `soak-${from.name}`, {
        name: `${trigger.name}-soak`,
        namespace: trigger.listener.namespace,
        selector: labels,
        from: from.name,
        step: `${from.name} to ${to.name}`,
        soak,
        every: props.soakCheckInterval ?? Duration.minutes(5),
      });
    }
    this.pipelinesOn[from.name] = pipeline;
    if (to) {
      this.pipelines[to.name] = pipeline;
      this.triggers[to.name] = trigger;
    }
  }

  private problems(props: PromotionProps): string[] {
    const errors: string[] = [];
    const envs = props.environments;
    if (envs.length < 2) errors.push(problem('too-few-environments', 'a promotion needs at least two environments: one to promote from, one to promote to'));
    const app = dnsLabelProblem('app', props.app);
    if (app) errors.push(problem('invalid-name', `${app}: it is the marker's name and a run label`));
    const names = envs.map((e) => e.name);
    for (const e of envs) {
      const bad = dnsLabelProblem('environment name', e.name);
      if (bad) errors.push(problem('invalid-name', `${bad}: it names the step's pipeline and is a run label`));
    }
    if (new Set(names).size !== names.length) errors.push(problem('duplicate-name', `environment names repeat (${names.join(', ')}): give each its own`));
    errors.push(...pathProblems(envs));
    errors.push(...sharedKustomizationProblems(envs));
    errors.push(...remoteVerifyProblems(this, envs));
    errors.push(...gateProblems(props));
    if (envs[0]?.mode !== undefined) {
      errors.push(problem('no-effect', `environment '${envs[0].name}' is the first: nothing is promoted to it, so its 'mode' has no effect: remove it`));
    }
    if (envs.some((e) => e.mode === PromotionMode.PULL_REQUEST) && !props.pullRequests) {
      errors.push(problem('missing-prop', "an environment is promoted by pull request, but 'pullRequests' is not set: give the provider, project and token Secret"));
    }
    const url = loopbackHttp(props.repositoryUrl) ? undefined : httpsUrlProblem('repositoryUrl', props.repositoryUrl);
    if (url) {
      errors.push(problem('not-https', `${url} (the token authenticates over https, from the Secret 'gitTokenSecretName'; plain http only to a loopback address)`));
    }
    const branch = props.branch === undefined ? undefined : branchNameProblem('branch', props.branch)
      ?? (BRANCH.test(props.branch) ? undefined
        : problem('invalid-branch', `branch '${props.branch}' has a character outside letters, digits and '._/+-': use a plain branch name`));
    if (branch) errors.push(branch);
    for (const [what, name] of [['gitTokenSecretName', props.gitTokenSecretName], ['pullRequests.tokenSecretName', props.pullRequests?.tokenSecretName]]) {
      const bad = name === undefined ? undefined : secretNameProblem(what!, name);
      if (bad) errors.push(bad);
    }
    const pr = props.pullRequests;
    if (pr) {
      if (!(pr.provider instanceof PullRequestProvider)) {
        errors.push(problem('invalid-enum', `pullRequests.provider '${String(pr.provider)}' is not PullRequestProvider.GITHUB or PullRequestProvider.GITLAB`));
      }
      if (!PROJECT.test(pr.project) || (pr.provider === PullRequestProvider.GITHUB && pr.project.split('/').length !== 2)) {
        errors.push(problem('invalid-repository',
          `pullRequests.project '${pr.project}' is not a repository path: write 'owner/name' (GitHub) or 'group/name' (GitLab)`));
      }
      const api = pr.apiUrl === undefined ? undefined : httpsUrlProblem('pullRequests.apiUrl', pr.apiUrl);
      if (api) errors.push(problem('not-https', `${api} (the token is sent to it: plain http would show it to the network)`));
    }
    for (const other of this.node.root.node.findAll()) {
      if (other === this) break;
      if (other instanceof Promotion && other.app === props.app) {
        errors.push(problem('duplicate-promotion', `app '${props.app}' is promoted by ${other.node.path} already: two promotions of one app ` +
          'would write the same markers; give this one its own app name, or add the environments to the other'));
      }
    }
    return errors;
  }
}

/** Soak, rollback and status: what each gate needs. */
function gateProblems(props: PromotionProps): string[] {
  const errors: string[] = [];
  const envs = props.environments;
  envs.forEach((e, i) => {
    if (e.onVerifyFailure !== undefined && !(e.onVerifyFailure instanceof PromotionFailure)) {
      errors.push(problem('invalid-enum', `environment '${e.name}': onVerifyFailure is not PromotionFailure.stop() or PromotionFailure.rollback()`));
    }
    if (e.onVerifyFailure?.rollsBack && !e.verify) {
      errors.push(problem('missing-prop', `environment '${e.name}' rolls back when its verification fails, but has no verify Task: ` +
        'give it verify, or leave onVerifyFailure out'));
    }
    if (e.soak === undefined) return;
    if (i === envs.length - 1) {
      errors.push(problem('no-effect', `environment '${e.name}' is the last: nothing is promoted from it, so its soak has no effect: remove it`));
      return;
    }
    const bad = durationProblems(`environment '${e.name}': soak`, e.soak);
    if (bad.length) {errors.push(...bad);} else if (!Number.isInteger(e.soak.toSeconds({ integral: false }))) {
      errors.push(problem('invalid-duration', `environment '${e.name}': soak must be a whole number of seconds: use e.g. Duration.hours(1)`));
    }
  });
  const every = props.soakCheckInterval;
  if (every !== undefined) {
    const minutes = every.toMinutes({ integral: false });
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 59) {
      errors.push(problem('invalid-duration', `soakCheckInterval must be a whole number of minutes from 1 to 59 (a cron step; got ${goDuration(every)}): ` +
        'use e.g. Duration.minutes(5)'));
    }
  }
  const cancel = props.concurrency?.cancelInProgressOptions;
  const rollback = envs.find((e) => e.onVerifyFailure?.rollsBack);
  if (cancel && rollback && !(cancel.finishRunningTasks && (cancel.runFinally ?? true))) {
    errors.push(problem('conflicting-props', `environment '${rollback.name}' rolls back when its verify fails, but concurrency cancels a ` +
      "superseded run's verify, which Tekton reports as failed: give RunConcurrency.cancelInProgress({ finishRunningTasks: true }), " +
      'or leave concurrency out'));
  }
  const context = props.status?._context;
  if (context !== undefined) {
    errors.push(problem('conflicting-props', `status: context '${context}' is given, but a promotion names each environment's status ` +
      `'${props.app}/<environment>', so that environments never overwrite each other's: leave context out`));
  }
  return errors;
}

/** Each environment's path is a relative folder of the repository, and none is (inside) another's. */
function pathProblems(envs: PromotionEnvironment[]): string[] {
  const errors: string[] = [];
  for (const e of envs) {
    if (!REPO_PATH.test(e.path) || e.path.split('/').some((s) => s === '.' || s === '..')) {
      errors.push(problem('invalid-path', `environment '${e.name}': path '${e.path}' is not a relative folder of the repository: write e.g. 'envs/${e.name}' ` +
        "(no leading '/', './' or trailing '/', no '.' or '..', letters, digits and '._-' only)"));
    }
  }
  for (let i = 0; i < envs.length; i++) {
    for (let j = i + 1; j < envs.length; j++) {
      const [a, b] = [envs[i], envs[j]];
      if (a.path === b.path || b.path.startsWith(`${a.path}/`) || a.path.startsWith(`${b.path}/`)) {
        errors.push(problem('overlapping-paths', `environments '${a.name}' and '${b.name}' share files ('${a.path}' and '${b.path}'): a promotion ` +
          "to one would rewrite the other's markers; give each environment a folder of its own"));
      }
    }
  }
  return errors;
}

/** An in-cluster DNS name: `<service>.<namespace>.svc[.cluster.local]`. */
const CLUSTER_LOCAL = /\b[a-z0-9]([a-z0-9-]*[a-z0-9])?\.[a-z0-9]([a-z0-9-]*[a-z0-9])?\.svc(\.cluster\.local)?(?![a-z0-9.-])/i;

/**
 * A verify Task runs with the promotion, in its cluster (CI's): an environment of another cluster is reached
 * there only at an address CI's cluster can resolve. A `.svc` name in the Task would reach CI's own Service
 * network (another app, or nothing), so it is refused.
 */
function remoteVerifyProblems(promotion: Construct, envs: PromotionEnvironment[]): string[] {
  const ours = Cluster.of(promotion);
  const errors: string[] = [];
  for (const e of envs) {
    const theirs = Cluster.of(e.kustomization);
    if (!e.verify || !theirs || theirs === ours || !(e.verify instanceof Task)) continue;
    const address = CLUSTER_LOCAL.exec(JSON.stringify(e.verify.resource.toJson()))?.[0];
    if (address) {
      errors.push(problem('cross-cluster-address', `environment '${e.name}' is in cluster '${theirs.name}', but its verify Task '${e.verify.name}' runs ` +
        `with the promotion in cluster '${ours?.name ?? '(none)'}' and addresses ${address}, a name of that cluster's own Service network: ` +
        `reach ${e.name} at an address '${ours?.name}' can resolve (e.g. its Ingress host, over https), or leave verify out and check it in '${theirs.name}'`));
    }
  }
  return errors;
}

/** Two environments on one Kustomization would both start on its every event (one dev reconcile, two steps). */
function sharedKustomizationProblems(envs: PromotionEnvironment[]): string[] {
  const errors: string[] = [];
  const seen = new Map<string, string>();
  for (const e of envs) {
    // one name in two clusters is two Kustomizations
    const cluster = Cluster.of(e.kustomization);
    const id = `${cluster ? `${cluster.name}:` : ''}${e.kustomization.namespace ?? ''}/${e.kustomization.name}`;
    const first = seen.get(id);
    if (first) {
      errors.push(problem('shared-kustomization', `environments '${first}' and '${e.name}' are both deployed by Kustomization ${id}: its every ` +
        'event would start the steps of both; give each environment its own Kustomization'));
    } else {
      seen.set(id, e.name);
    }
  }
  return errors;
}

function gitEnv(props: PromotionProps): { [name: string]: EnvValue } {
  return props.gitTokenSecretName ? { GIT_TOKEN: EnvValue.fromSecretKey(props.gitTokenSecretName, 'token') } : {};
}

function readVersionTask(scope: Construct, props: PromotionProps): Task {
  const task = new Task(scope, 'read-version', {
    namespace: props.namespace,
    description: `Read the version of ${props.app} an environment runs at a revision of the config repo`,
    metadata: { labels: { [CONFIG_REPO_LABEL]: 'true' } },
  });
  const p = (name: string) => `${task.addParam(name)}`;
  const [repository, branch, app, commit, path, environment] = ['repository', 'branch', 'app', 'commit', 'path', 'environment'].map(p);
  const version = task.addResult('version', { description: 'the marked value in the environment\'s manifests' });
  task.addStep({
    name: 'read',
    image: GIT_IMAGE,
    env: { ...gitEnv(props), REPOSITORY: repository, BRANCH: branch, APP: app, COMMIT: commit, ENV_PATH: path, ENVIRONMENT: environment },
    script: readVersionScript(version.path),
  });
  return task;
}

/**
 * A Task of the promotion that reads and writes the config repository: a git step whose env takes each of
 * `params` (Task param → env variable) after the repository, branch, app and revision, writing `result`; and, when
 * the promotion opens pull requests, the step that opens one for the branch the git step pushed (its title and
 * description come from the git step, through files in /workspace).
 */
function configRepoTask(scope: Construct, id: string, props: PromotionProps, options: {
  readonly description: string;
  readonly params: { [param: string]: string };
  readonly result: string;
  readonly script: (resultPath: string) => string;
  readonly resultDescription: string;
  /** The git step's variables the pull-request step gets too, beside BRANCH and APP. */
  readonly requestEnv?: string[];
}): Task {
  const task = new Task(scope, id, {
    namespace: props.namespace,
    description: options.description,
    metadata: { labels: { [CONFIG_REPO_LABEL]: 'true' } },
  });
  const params = { repository: 'REPOSITORY', branch: 'BRANCH', app: 'APP', revision: 'REVISION', ...options.params };
  const env = Object.fromEntries(Object.entries(params).map(([param, variable]) => [variable, `${task.addParam(param)}`]));
  const result = task.addResult(options.result, { description: options.resultDescription });
  task.addStep({ name: 'commit', image: GIT_IMAGE, env: { ...gitEnv(props), ...env }, script: options.script(result.path) });
  const requestEnv = ['BRANCH', 'APP', ...options.requestEnv ?? []];
  if (props.pullRequests) task.addStep(pullRequestStep(props.pullRequests, Object.fromEntries(requestEnv.map((v) => [v, env[v]]))));
  return task;
}

function promoteTask(scope: Construct, props: PromotionProps): Task {
  return configRepoTask(scope, 'promote', props, {
    description: `Write a version of ${props.app} into an environment's manifests: a commit, or a pull request`,
    params: { 'version': 'VERSION', 'from': 'FROM', 'from-path': 'FROM_PATH', 'to': 'TO', 'to-path': 'TO_PATH', 'mode': 'MODE' },
    result: 'pushed',
    resultDescription: 'the commit pushed, or none',
    script: promoteScript,
    // what the request step falls back on when the git step wrote no title
    requestEnv: ['VERSION', 'FROM', 'TO', 'REVISION'],
  });
}

/** The step that opens (or updates) the pull request for the branch the git step pushed. */
function pullRequestStep(pr: PullRequestOptions, env: { [name: string]: string }) {
  return {
    name: 'open-pull-request',
    image: CURL_IMAGE,
    env: {
      TOKEN: EnvValue.fromSecretKey(pr.tokenSecretName, 'token'),
      API: pr.apiUrl ?? pr.provider.defaultApiUrl,
      PROJECT: pr.project,
      PROVIDER: pr.provider.name,
      ...env,
    },
    script: openPullRequestScript(),
  };
}

function rollbackTask(scope: Construct, props: PromotionProps): Task {
  return (scope.node.tryFindChild('rollback') as Task | undefined) ?? configRepoTask(scope, 'rollback', props, {
    description: `Set an environment of ${props.app} back to the version it ran before, when its verification failed`,
    params: { version: 'VERSION', environment: 'ENVIRONMENT', path: 'ENV_PATH', mode: 'MODE' },
    result: 'restored',
    resultDescription: 'the version restored, or none',
    script: rollbackScript,
  });
}

function reportTask(scope: Construct, props: PromotionProps): Task {
  const existing = scope.node.tryFindChild('report') as Task | undefined;
  if (existing) return existing;
  const task = new Task(scope, 'report', { namespace: props.namespace, description: 'Say how a promotion step ended (extend it to notify)' });
  const status = task.addParam('status', { type: ParamType.STRING });
  const from = task.addParam('from');
  const to = task.addParam('to');
  task.addStep({ name: 'report', image: 'busybox:1.36', script: `#!/bin/sh\necho "promotion from ${from} to ${to}: ${status}"` });
  return task;
}

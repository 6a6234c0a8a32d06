import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { GitHost } from './git-host';
import { CURL_IMAGE, commitStatusScript } from './promotion-scripts';
import { COMMIT_STATUS_LABEL } from './run-labels';
import { loopbackHttp } from '../internal/loopback';
import { toDnsLabel } from '../internal/names';
import { httpsUrlProblem, secretNameProblem } from '../internal/validation';
import { problem } from '../problems';
import { IStringable } from '../tekton/params';
import { IPipeline, Pipeline } from '../tekton/pipeline';
import { PipelineTask } from '../tekton/pipeline-task';
import { OnError } from '../tekton/step';
import { Task } from '../tekton/task';
import { When } from '../tekton/when';

/** The pipeline param that carries the commit a run reports on (the event's); empty: the run reports nothing. */
export const STATUS_COMMIT_PARAM = 'status-commit';

/** The pipeline task that posts "pending" beside the first tasks, and the `finally` task that posts the end. */
export const STATUS_START_TASK = 'commit-status';
export const STATUS_END_TASK = 'commit-status-end';

/** What every Git host takes. */
export interface CommitStatusOptions {
  /**
   * An existing Secret (in the runs' namespace) whose key `token` may post commit statuses (GitHub: a
   * fine-grained token with "Commit statuses: write"; GitLab: `api` scope, Developer; Gitea: `write:repository`).
   * One of this and `tokenSecret`.
   * @default - `tokenSecret`
   */
  readonly tokenSecretName?: string;
  /**
   * The Secret (its key `token`), as a cdk8s-plus object: `kplus.Secret.fromSecretName(…)` or one of the app's.
   * One of this and `tokenSecretName`.
   * @default - `tokenSecretName`
   */
  readonly tokenSecret?: kplus.ISecret;
  /**
   * The API's base URL: GitHub Enterprise (`https://github.example.com/api/v3`), a self-hosted GitLab
   * (`https://gitlab.example.com/api/v4`), Gitea or Forgejo (`https://git.example.com/api/v1`). https, or http to a
   * loopback address only (a proxy beside the step): the token is sent to it.
   * @default - GitHub's and GitLab's public APIs (Gitea has none: give it)
   */
  readonly apiUrl?: string;
  /**
   * The status's name on the commit (GitHub's `context`, GitLab's `name`): one per pipeline, so that pipelines
   * (and environments) never overwrite each other's.
   * @default - `ci/<pipeline name>`
   */
  readonly context?: string;
  /**
   * The link from the status to the run: a URL in which `{namespace}` and `{name}` stand for the run's, e.g. the
   * Tekton Dashboard's `https://tekton.example.com/#/namespaces/{namespace}/pipelineruns/{name}`.
   * @default - no link
   */
  readonly runUrl?: string;
  /**
   * Whether a status that cannot be posted (a missing Secret, 401, 404, 422, 5xx or a timeout, after its retries)
   * fails the run. By default it is logged and the run's own result stands.
   * @default false
   */
  readonly required?: boolean;
}

/** Commit statuses on GitHub (or GitHub Enterprise). */
export interface GitHubCommitStatusOptions extends CommitStatusOptions {
  /** The repository the commits are in, `owner/name`. */
  readonly repository: string;
}

/** Commit statuses on GitLab (gitlab.com or self-hosted). */
export interface GitLabCommitStatusOptions extends CommitStatusOptions {
  /** The project the commits are in, `group[/subgroup…]/name`. */
  readonly project: string;
}

/** Commit statuses on Gitea or Forgejo. */
export interface GiteaCommitStatusOptions extends CommitStatusOptions {
  /** The repository the commits are in, `owner/name`. */
  readonly repository: string;
  /** The API's base URL, e.g. `https://git.example.com/api/v1`. */
  readonly apiUrl: string;
}

/** `owner/name` or `group/…/name`. */
const REPOSITORY = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/;
/** What a status's name may hold: GitHub and GitLab show it as is; nothing a JSON string must escape. */
const CONTEXT = /^[A-Za-z0-9][A-Za-z0-9._:/@+ -]*$/;
const MAX_CONTEXT = 100;

/**
 * Where and how every run of a pipeline reports on its commit, as GitHub Actions and Pipelines-as-Code do:
 * `pending` when it starts, then `success`, `failure` (naming the failed tasks) or, for a cancelled run, `error`
 * (GitLab: `running`, then `success`, `failed` or `canceled`), under one context per pipeline, linked to the run.
 *
 * Give it as `status` of a `FluxTriggeredPipeline` (or `addPipeline`, or a `Promotion`). It adds to the Pipeline a
 * param `status-commit` (default empty: runs that are not triggered by an event, e.g. by hand, report nothing),
 * a task `commit-status` that posts `pending` beside the first tasks, and a `finally` task `commit-status-end`
 * that reads `$(tasks.status)` and each task's status and reason, and posts the end (after every other task, so
 * never before `pending`). Both run one Task, `<pipeline>-commit-status`: curl, the token from the Secret through
 * the environment and a header file, never on a command line; every request bounded and retried (3 tries on
 * connection failures, 429 and 5xx), and a status that cannot be posted is logged without failing the run unless
 * `required`.
 */
export class CommitStatus {
  /** Commit statuses on GitHub (`POST /repos/{owner}/{repo}/statuses/{sha}`). */
  public static github(options: GitHubCommitStatusOptions): CommitStatus {
    return new CommitStatus(GitHost.GITHUB, options.repository, options);
  }

  /** Commit statuses on GitLab (`POST /projects/{id}/statuses/{sha}`). */
  public static gitlab(options: GitLabCommitStatusOptions): CommitStatus {
    return new CommitStatus(GitHost.GITLAB, options.project, options);
  }

  /** Commit statuses on Gitea or Forgejo (`POST /repos/{owner}/{repo}/statuses/{sha}`). */
  public static gitea(options: GiteaCommitStatusOptions): CommitStatus {
    return new CommitStatus(GitHost.GITEA, options.repository, options);
  }

  /** The Git host: `github`, `gitlab` or `gitea`. */
  public readonly provider: string;
  /** The repository (or project) path. */
  public readonly repository: string;
  /** The API's base URL. */
  public readonly apiUrl: string;
  /** Whether a status that cannot be posted fails the run. */
  public readonly required: boolean;

  private constructor(private readonly host: GitHost, repository: string, private readonly options: CommitStatusOptions) {
    this.provider = host.name;
    this.repository = repository;
    this.apiUrl = (options.apiUrl ?? host.defaultApiUrl ?? '').replace(/\/+$/, '');
    this.required = options.required ?? false;
  }

  /**
   * The same reporting under another status name (a Promotion's `<app>/<environment>`).
   * @internal
   */
  public _withContext(context: string): CommitStatus {
    return new CommitStatus(this.host, this.repository, { ...this.options, context });
  }

  /**
   * The status name given, if any.
   * @internal
   */
  public get _context(): string | undefined {
    return this.options.context;
  }

  /** The status's name for a pipeline: the `context` given, else `ci/<pipeline>`. */
  private contextFor(pipelineName: string): string {
    return this.options.context ?? `ci/${pipelineName}`;
  }

  /** The run's link, with Tekton's variables for the run's namespace and name; empty without `runUrl`. */
  private get targetUrl(): string {
    return (this.options.runUrl ?? '')
      .split('{namespace}').join('$(context.pipelineRun.namespace)')
      .split('{name}').join('$(context.pipelineRun.name)');
  }

  /** The Secret's name. */
  public get tokenSecretName(): string {
    return this.options.tokenSecret?.name ?? this.options.tokenSecretName ?? '';
  }

  /**
   * What is wrong with these options (coded messages).
   * @internal
   */
  public _problems(): string[] {
    const o = this.options;
    const errors: string[] = [];
    const label = this.host.label;
    if (!REPOSITORY.test(this.repository) || (!this.host.nested && this.repository.split('/').length !== 2)) {
      errors.push(problem('invalid-repository', `status: ${label} repository '${this.repository}' is not a repository path: ` +
        `write ${this.host.nested ? "'group/name' (or 'group/subgroup/name')" : "'owner/name'"}`));
    }
    if (o.tokenSecret && o.tokenSecretName !== undefined) {
      errors.push(problem('conflicting-props', `status: tokenSecret '${o.tokenSecret.name}' and tokenSecretName '${o.tokenSecretName}' ` +
        'name the token Secret twice: give one of them'));
    } else if (!o.tokenSecret && o.tokenSecretName === undefined) {
      errors.push(problem('missing-prop', 'status: no token Secret: give tokenSecretName (or tokenSecret), a Secret whose key \'token\' may post statuses'));
    } else {
      const bad = secretNameProblem('status.tokenSecretName', this.tokenSecretName);
      if (bad) errors.push(bad);
    }
    if (!this.apiUrl) {
      errors.push(problem('missing-prop', `status: ${label} has no public API: give apiUrl, e.g. 'https://git.example.com/api/v1'`));
    } else if (!loopbackHttp(this.apiUrl)) {
      const bad = httpsUrlProblem('status.apiUrl', this.apiUrl);
      if (bad) errors.push(problem('not-https', `${bad} (the token is sent to it: plain http is allowed to a loopback address only)`));
    }
    const context = o.context;
    if (context !== undefined && (!CONTEXT.test(context) || context.length > MAX_CONTEXT)) {
      errors.push(problem('invalid-status-context', `status: context '${context}' is not a status name: use letters, digits, spaces and ` +
        `'._:/@+-', starting with a letter or digit, at most ${MAX_CONTEXT} characters (e.g. 'ci/build')`));
    }
    if (o.runUrl !== undefined) {
      const bad = runUrlProblem(o.runUrl);
      if (bad) errors.push(problem('invalid-url', `status: runUrl '${o.runUrl}' ${bad}`));
    }
    return errors;
  }

  /**
   * Makes `pipeline` report with these settings: its status param, start task, `finally` task and the status
   * Task (once per pipeline; a second trigger of the same pipeline reuses them). Returns what stands in the way.
   * @internal
   */
  public _attachTo(pipeline: IPipeline, by: IConstruct): string[] {
    if (!(pipeline instanceof Pipeline)) {
      return [problem('status-needs-pipeline', `status: pipeline '${pipeline.name}' is not a Pipeline of this app, and commit statuses ` +
        `are reported by tasks added to it: define the pipeline with \`new Pipeline(…)\`, or leave status out (by ${by.node.path})`)];
    }
    const existing = ATTACHED.get(pipeline);
    if (existing) {
      if (existing.status.key === this.key) return [];
      return [problem('conflicting-status', `status: pipeline '${pipeline.name}' reports to ${existing.status.describe()} already ` +
        `(given by ${existing.by}), and a pipeline reports one way: give both triggers the same status, or use two pipelines`)];
    }
    ATTACHED.set(pipeline, { status: this, by: by.node.path });
    const task = this.statusTask(pipeline);
    const commit = pipeline.addParam(STATUS_COMMIT_PARAM, {
      default: '',
      description: 'the commit the run reports its status on (the event\'s); empty: no status',
    });
    const onError = this.required ? undefined : OnError.CONTINUE;
    const when = [When.input(commit).notIn([''])];
    const start = pipeline.addTask(STATUS_START_TASK, {
      task,
      params: { 'phase': 'start', 'commit': `${commit}`, 'target-url': this.targetUrl, 'aggregate': '', 'tasks': '' },
      when,
      onError,
      description: 'Posts the pending commit status',
    });
    // read at render time: tasks added after the status are reported too
    const others = new TaskOutcomes(pipeline, start);
    pipeline.addFinally(STATUS_END_TASK, {
      task,
      params: { 'phase': 'end', 'commit': `${commit}`, 'target-url': this.targetUrl, 'aggregate': pipeline.tasksStatus, 'tasks': others },
      when,
      onError,
      description: 'Posts the commit status the run ended with',
    });
    return [];
  }

  /** Two statuses are the same reporting when they post the same way. */
  private get key(): string {
    return JSON.stringify([this.host.name, this.repository, this.apiUrl, this.tokenSecretName, this.options.context ?? null,
      this.options.runUrl ?? null, this.required]);
  }

  private describe(): string {
    return `${this.host.label} ${this.repository}${this.options.context ? ` as '${this.options.context}'` : ''}`;
  }

  private statusTask(pipeline: Pipeline): Task {
    const task = new Task(pipeline, 'CommitStatus', {
      name: toDnsLabel(`${pipeline.name}-commit-status`),
      namespace: pipeline.namespace,
      description: `Posts the commit status of ${pipeline.name}'s runs to ${this.describe()}`,
      metadata: { labels: { [COMMIT_STATUS_LABEL]: 'true' } },
    });
    const p = (name: string, description: string, dflt?: string) => `${task.addParam(name, { description, default: dflt })}`;
    task.addStep({
      name: 'post',
      image: CURL_IMAGE,
      env: {
        TOKEN: { secretKeyRef: { name: this.tokenSecretName, key: 'token' } },
        PROVIDER: this.host.name,
        API: this.apiUrl,
        PROJECT: this.repository,
        CONTEXT: this.contextFor(pipeline.name),
        PIPELINE: pipeline.name,
        REQUIRED: String(this.required),
        PHASE: p('phase', "'start' (pending) or 'end'"),
        COMMIT: p('commit', 'the commit (40 or 64 hex digits)'),
        TARGET_URL: p('target-url', 'the link to the run', ''),
        AGGREGATE: p('aggregate', 'the aggregate status of the tasks (end only)', ''),
        TASKS: p('tasks', 'each task as name=status/reason, space-separated (end only)', ''),
      },
      script: commitStatusScript(),
    });
    return task;
  }
}

/** Each regular task's status and reason but the start task's, `name=status/reason` space-separated, when rendered. */
class TaskOutcomes implements IStringable {
  constructor(private readonly pipeline: Pipeline, private readonly start: PipelineTask) {}
  public toString(): string {
    return this.pipeline.regularTasks.filter((t) => t !== this.start).map((t) => `${t.name}=${t.status}/${t.reason}`).join(' ');
  }
}

/** The status each Pipeline reports with, and who gave it. */
const ATTACHED = new WeakMap<Pipeline, { status: CommitStatus; by: string }>();

/** Why a run URL template is none: an http(s) URL, no quote, space or control character, only `{namespace}` and `{name}`. */
function runUrlProblem(value: string): string | undefined {
  if (!/^https?:\/\/[^\s"'\\<>`]+$/.test(value)) return "is not an http(s) URL without spaces or quotes: write e.g. 'https://tekton.example.com/#/namespaces/{namespace}/pipelineruns/{name}'";
  const placeholders = value.match(/\{[^}]*\}/g) ?? [];
  const unknown = placeholders.filter((p) => p !== '{namespace}' && p !== '{name}');
  if (unknown.length) return `has ${unknown.join(', ')}: only {namespace} and {name} (the run's) are filled in`;
  if (/\$\(/.test(value)) return "holds '$(': write {namespace} and {name} for the run's, not Tekton variables";
  return undefined;
}

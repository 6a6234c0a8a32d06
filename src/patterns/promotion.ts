import { Construct } from 'constructs';
import { FluxEvent } from './flux-event';
import { FluxTriggeredPipeline } from './flux-triggered-pipeline';
import { PROMOTION_LABELS } from './run-labels';
import { IKustomization } from '../flux/kustomization';
import { ParamType } from '../tekton/params';
import { Pipeline } from '../tekton/pipeline';
import { OnError, EnvValue } from '../tekton/step';
import { ITask, Task } from '../tekton/task';

/** How a version reaches an environment's manifests. */
export enum PromotionMode {
  /** Commit to the config repo's branch and push. */
  PUSH = 'push',
  /** Push a branch and open a pull request (GitHub) or merge request (GitLab): the request is the approval. */
  PULL_REQUEST = 'pull-request',
}

/** Where pull requests are opened. */
export interface PullRequestOptions {
  /** `github` or `gitlab`. */
  readonly provider: 'github' | 'gitlab';
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
   * of `revision` (the config repo revision it runs), `version` and `environment`.
   * @default - none: promoted as soon as Flux applied it
   */
  readonly verify?: ITask;
  /**
   * How a version reaches this environment (not used for the first).
   * @default PromotionMode.PUSH
   */
  readonly mode?: PromotionMode;
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
}

/** The marker comment that marks the field(s) a promotion copies, e.g. `newTag: 1.4.2 # {"$promotion": "web"}`. */
export function promotionMarker(app: string): string {
  return `# {"$promotion": "${app}"}`;
}

const GIT_IMAGE = 'alpine/git:2.45.2';
const CURL_IMAGE = 'curlimages/curl:8.10.1';

/**
 * Promotes an app across environments, the way the Tekton + Flux proof of concept meant to: when Flux
 * reports that environment N applied revision R of the config repo (its Kustomization's
 * `ReconciliationSucceeded`), a pipeline reads the version N runs at R, runs N's `verify` task with it, and
 * writes it into environment N+1's manifests — the fields marked `# {"$promotion": "<app>"}` — by a commit
 * pushed to the branch Flux follows, or by a pull request (the approval). Flux then applies N+1 and its
 * event continues the chain. Each step is a FluxTriggeredPipeline (authenticated, validated, one run per
 * revision); a promotion whose target already runs the version changes nothing; a push that loses a race is
 * redone on the new head; a newer version replaces a pending pull request's branch.
 */
export class Promotion extends Construct {
  /** The pipeline of each step, by target environment (add `finally` tasks to report, for example). */
  public readonly pipelines: { [environment: string]: Pipeline } = {};
  /** The trigger of each step, by target environment. */
  public readonly triggers: { [environment: string]: FluxTriggeredPipeline } = {};

  constructor(scope: Construct, id: string, props: PromotionProps) {
    super(scope, id);
    const namespace = props.namespace;
    const read = readVersionTask(this, props);
    const promote = promoteTask(this, props);
    const envs = props.environments;
    for (let i = 0; i + 1 < envs.length; i++) {
      const from = envs[i];
      const to = envs[i + 1];
      const pipeline = new Pipeline(this, `to-${to.name}`, {
        namespace,
        description: `Promote ${props.app} from ${from.name} to ${to.name}`,
      });
      const readStep = pipeline.addTask('read-version', { task: read, params: { path: from.path, environment: from.name } });
      const version = readStep.result('version');
      const verify = from.verify && pipeline.addTask(`verify-${from.name}`, {
        task: from.verify,
        params: Object.fromEntries(from.verify.paramSpecs
          .filter((p) => ['revision', 'version', 'environment'].includes(p.name))
          .map((p) => [p.name, p.name === 'version' ? version : p.name === 'environment' ? from.name : '$(params.revision)'])),
      });
      pipeline.addTask('promote', {
        task: promote,
        runAfter: verify ? [verify] : [readStep],
        params: {
          'version': version,
          'from': from.name,
          'to': to.name,
          'to-path': to.path,
          'mode': to.mode ?? PromotionMode.PUSH,
        },
      });
      pipeline.addFinally('report', {
        task: reportTask(this, props),
        params: { status: pipeline.tasksStatus, from: from.name, to: to.name },
        onError: OnError.CONTINUE,
      });
      this.pipelines[to.name] = pipeline;
      this.triggers[to.name] = new FluxTriggeredPipeline(this, `on-${from.name}`, {
        source: from.kustomization,
        pipeline,
        namespace,
        serviceAccountName: props.serviceAccountName,
        params: {
          commit: FluxEvent.commit(),
          revision: FluxEvent.revision(),
          app: props.app,
          repository: props.repositoryUrl,
          branch: props.branch ?? 'main',
        },
        runLabels: { [PROMOTION_LABELS.app]: props.app, [PROMOTION_LABELS.from]: from.name, [PROMOTION_LABELS.to]: to.name },
      });
    }
    this.node.addValidation({ validate: () => this.problems(props) });
  }

  private problems(props: PromotionProps): string[] {
    const errors: string[] = [];
    if (props.environments.length < 2) errors.push('a promotion needs at least two environments: one to promote from, one to promote to');
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.app)) errors.push(`app '${props.app}' is not a DNS label: it names runs and labels`);
    const names = props.environments.map((e) => e.name);
    if (new Set(names).size !== names.length) errors.push(`environment names repeat (${names.join(', ')}): give each its own`);
    if (props.environments.some((e) => e.mode === PromotionMode.PULL_REQUEST) && !props.pullRequests) {
      errors.push("an environment is promoted by pull request, but 'pullRequests' is not set: give the provider, project and token Secret");
    }
    if (!/^https:\/\//.test(props.repositoryUrl)) errors.push(`repositoryUrl '${props.repositoryUrl}' must be an https:// URL (the token authenticates over https)`);
    return errors;
  }
}

function gitEnv(props: PromotionProps): { [name: string]: EnvValue } {
  return props.gitTokenSecretName ? { GIT_TOKEN: { secretKeyRef: { name: props.gitTokenSecretName, key: 'token' } } } : {};
}

/** The shell both git steps start with: clone the config repo (with the token, if any) into /workspace/repo. */
const CLONE = `#!/bin/sh
set -eu
# Tekton's /workspace is shared by the steps of a TaskRun (PROMOTION_WORKDIR lets the tests run it elsewhere)
work="\${PROMOTION_WORKDIR:-/workspace}"
auth=""
if [ -n "\${GIT_TOKEN:-}" ]; then
  auth="AUTHORIZATION: basic $(printf 'x-access-token:%s' "$GIT_TOKEN" | base64 | tr -d '\\n')"
fi
git_() { if [ -n "$auth" ]; then git -c http.extraHeader="$auth" "$@"; else git "$@"; fi; }
rm -rf "$work/repo"
git_ clone --quiet --branch "$BRANCH" "$REPOSITORY" "$work/repo"
cd "$work/repo"
marker='# {"$promotion": "'"$APP"'"}'
`;

function readVersionTask(scope: Construct, props: PromotionProps): Task {
  const task = new Task(scope, 'read-version', {
    namespace: props.namespace,
    description: `Read the version of ${props.app} an environment runs at a revision of the config repo`,
  });
  const p = (name: string) => `${task.addParam(name)}`;
  const [repository, branch, app, commit, path, environment] = ['repository', 'branch', 'app', 'commit', 'path', 'environment'].map(p);
  const version = task.addResult('version', { description: 'the marked value in the environment\'s manifests' });
  task.addStep({
    name: 'read',
    image: GIT_IMAGE,
    env: { ...gitEnv(props), REPOSITORY: repository, BRANCH: branch, APP: app, COMMIT: commit, ENV_PATH: path, ENVIRONMENT: environment },
    script: `${CLONE}git -c advice.detachedHead=false checkout --quiet "$COMMIT"
values=$(grep -rhF -- "$marker" "$ENV_PATH" 2>/dev/null | sed -e 's/^[^:]*:[[:space:]]*//' -e 's/[[:space:]]*#.*$//' | sort -u)
count=$(printf '%s' "$values" | grep -c . || true)
if [ "$count" != 1 ]; then
  echo "$ENVIRONMENT ($ENV_PATH) at $COMMIT has $count different values marked $marker: want exactly one" >&2
  exit 1
fi
case "$values" in
  *[!A-Za-z0-9._:/@+-]*) echo "refusing to promote the malformed version '$values'" >&2; exit 1 ;;
esac
printf '%s' "$values" > ${version.path}
echo "$ENVIRONMENT runs $values at $COMMIT"
`,
  });
  return task;
}

function promoteTask(scope: Construct, props: PromotionProps): Task {
  const task = new Task(scope, 'promote', {
    namespace: props.namespace,
    description: `Write a version of ${props.app} into an environment's manifests: a commit, or a pull request`,
  });
  const p = (name: string) => `${task.addParam(name)}`;
  const [repository, branch, app, revision, version, from, to, toPath, mode] =
    ['repository', 'branch', 'app', 'revision', 'version', 'from', 'to', 'to-path', 'mode'].map(p);
  const pushed = task.addResult('pushed', { description: 'the commit pushed, or none' });
  task.addStep({
    name: 'commit',
    image: GIT_IMAGE,
    env: {
      ...gitEnv(props),
      REPOSITORY: repository,
      BRANCH: branch,
      APP: app,
      REVISION: revision,
      VERSION: version,
      FROM: from,
      TO: to,
      TO_PATH: toPath,
      MODE: mode,
    },
    script: `${CLONE}case "$VERSION" in
  ''|*[!A-Za-z0-9._:/@+-]*) echo "refusing to promote the malformed version '$VERSION'" >&2; exit 1 ;;
esac
git config user.name "cdk8s-tekton-flux promotion"
git config user.email "promotion@cdk8s-tekton-flux.invalid"
target="$BRANCH"
if [ "$MODE" = pull-request ]; then target="promote/$APP/$TO"; fi
attempt=0
while :; do
  attempt=$((attempt + 1))
  git_ fetch --quiet origin "$BRANCH"
  git checkout --quiet -B promotion FETCH_HEAD
  files=$(grep -rlF -- "$marker" "$TO_PATH" 2>/dev/null || true)
  if [ -z "$files" ]; then echo "no field in $TO_PATH is marked $marker" >&2; exit 1; fi
  for f in $files; do
    # the value between 'key:' and the marker comment becomes the version
    awk -v m="$marker" -v v="$VERSION" 'index($0, m) { i = index($0, ":"); c = index($0, m); $0 = substr($0, 1, i) " " v " " substr($0, c) } { print }' "$f" > "$f.promotion"
    mv "$f.promotion" "$f"
  done
  if git diff --quiet; then
    echo "$TO already runs $VERSION: nothing to promote"
    printf none > ${pushed.path}
    exit 0
  fi
  git commit --quiet -am "promote $APP $VERSION from $FROM to $TO" -m "$FROM applied it at $REVISION."
  force=""
  if [ "$MODE" = pull-request ]; then force="+"; fi  # a newer version replaces a pending request's branch
  if git_ push --quiet origin "\${force}HEAD:refs/heads/$target"; then
    git rev-parse HEAD | tr -d '\\n' > ${pushed.path}
    if [ "$MODE" = pull-request ]; then printf '%s' "$target" > "$work/pull-request-branch"; fi
    echo "pushed $VERSION to $target"
    exit 0
  fi
  if [ "$attempt" -ge 5 ]; then echo "push to $target failed $attempt times" >&2; exit 1; fi
  echo "push to $target was rejected (a change landed first): redoing it on the new head" >&2
  sleep "$attempt"
done
`,
  });
  if (props.pullRequests) {
    const pr = props.pullRequests;
    const api = pr.apiUrl ?? (pr.provider === 'github' ? 'https://api.github.com' : 'https://gitlab.com/api/v4');
    task.addStep({
      name: 'open-pull-request',
      image: CURL_IMAGE,
      env: {
        TOKEN: { secretKeyRef: { name: pr.tokenSecretName, key: 'token' } },
        API: api,
        PROJECT: pr.project,
        PROVIDER: pr.provider,
        BRANCH: branch,
        APP: app,
        VERSION: version,
        FROM: from,
        TO: to,
        REVISION: revision,
      },
      script: `#!/bin/sh
set -eu
work="\${PROMOTION_WORKDIR:-/workspace}"
[ -f "$work/pull-request-branch" ] || { echo "no branch was pushed: no pull request"; exit 0; }
head=$(cat "$work/pull-request-branch")
title="promote $APP $VERSION from $FROM to $TO"
body="$FROM applied $VERSION at $REVISION."
if [ "$PROVIDER" = github ]; then
  status=$(curl -sS -o "$work/response" -w '%{http_code}' -X POST "$API/repos/$PROJECT/pulls" \\
    -H "Authorization: Bearer $TOKEN" -H 'Accept: application/vnd.github+json' \\
    -d "{\\"title\\": \\"$title\\", \\"head\\": \\"$head\\", \\"base\\": \\"$BRANCH\\", \\"body\\": \\"$body\\"}")
else
  project=$(printf '%s' "$PROJECT" | sed 's|/|%2F|g')
  status=$(curl -sS -o "$work/response" -w '%{http_code}' -X POST "$API/projects/$project/merge_requests" \\
    -H "PRIVATE-TOKEN: $TOKEN" -H 'Content-Type: application/json' \\
    -d "{\\"title\\": \\"$title\\", \\"source_branch\\": \\"$head\\", \\"target_branch\\": \\"$BRANCH\\", \\"description\\": \\"$body\\"}")
fi
case "$status" in
  2??) echo "opened: $title" ;;
  409|422) echo "a request for $head is open already: its branch now carries $VERSION" ;;
  *) echo "the $PROVIDER API answered $status:" >&2; cat "$work/response" >&2; exit 1 ;;
esac
`,
    });
  }
  return task;
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

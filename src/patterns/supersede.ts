import { Construct } from 'constructs';
import { CancelInProgressOptions } from './run-concurrency';
import { CANCELLER_LABEL } from './run-labels';
import { runPatcherAccount } from './run-patcher-account';
import { toDnsLabel } from '../internal/names';
import { Task } from '../tekton/task';

/** The default image: Flux's CLI image has sh, awk and kubectl, and runs as a non-root user. */
export const CANCELLER_IMAGE = 'ghcr.io/fluxcd/flux-cli:v2.7.3';

/**
 * Cancels, in the run's namespace, every PipelineRun of the same trigger (Triggers labels what it creates with
 * its listener and trigger) that is unfinished, not already cancelled, and older than $RUN: created before it,
 * or in the same second with a name that sorts first, so that of two runs racing exactly one survives.
 * Everything it reads arrives in env (never as script text); names from the API are DNS labels, split with
 * globbing off. A patch that fails because the run finished meanwhile is not an error.
 */
const CANCEL_SCRIPT = `#!/bin/sh
set -euf
k() { kubectl --cache-dir=/tmp/kubectl-cache "$@"; }
CREATED=$(k get pipelinerun "$RUN" -o 'jsonpath={.metadata.creationTimestamp}')
export CREATED
# one line per run: created|name|spec.status|Succeeded status
fields='{.metadata.creationTimestamp}{"|"}{.metadata.name}{"|"}{.spec.status}{"|"}{.status.conditions[?(@.type=="Succeeded")].status}'
runs=$(k get pipelineruns -l "triggers.tekton.dev/eventlistener=$LISTENER,triggers.tekton.dev/trigger=$TRIGGER" \\
  -o 'jsonpath={range .items[*]}'"$fields"'{"\\n"}{end}')
older=$(printf '%s\\n' "$runs" | awk -F'|' '
  $2 != "" && $2 != ENVIRON["RUN"] && $3 !~ /^(Cancelled|CancelledRunFinally|StoppedRunFinally)$/ && $4 != "True" && $4 != "False" &&
  ($1 < ENVIRON["CREATED"] || ($1 == ENVIRON["CREATED"] && $2 < ENVIRON["RUN"])) { print $2 "/" ($3 == "PipelineRunPending" ? "pending" : "started") }')
if [ -z "$older" ]; then
  echo "no older run of $TRIGGER is running"
  exit 0
fi
for entry in $older; do
  name=\${entry%/*}
  stop=$STOP
  # a run that never started has no task to let finish: Tekton ends a pending run only when it is cancelled
  if [ "\${entry#*/}" = pending ] && [ "$stop" = StoppedRunFinally ]; then stop=CancelledRunFinally; fi
  echo "$RUN supersedes $name: setting its status to $stop"
  if ! k patch pipelinerun "$name" --type=merge -p "{\\"spec\\":{\\"status\\":\\"$stop\\"}}"; then
    state=$(k get pipelinerun "$name" -o 'jsonpath={.status.conditions[?(@.type=="Succeeded")].status}')
    if [ "$state" != True ] && [ "$state" != False ]; then exit 1; fi
    echo "$name finished meanwhile"
  fi
done
`;

/**
 * What cancels the superseded runs of one trigger: a Task (the script above), the ServiceAccount it runs as and
 * that account's Role. The template creates a TaskRun of the Task next to each run. A Task of its own (not a
 * spec embedded in each TaskRun) labels the TaskRuns `tekton.dev/task`, the label Tekton Pruner keeps history by.
 */
export class SupersededRunCanceller extends Construct {
  /** The Task the cancelling TaskRuns run (and their ServiceAccount's name). */
  public readonly name: string;

  constructor(scope: Construct, id: string, private readonly props: {
    readonly name: string;
    readonly namespace: string;
    readonly listenerName: string;
    readonly triggerName: string;
    readonly options: CancelInProgressOptions;
  }) {
    super(scope, id);
    const name = toDnsLabel(`${props.name}-supersede`);
    this.name = name;
    const metadata = { name, namespace: props.namespace };
    // get its own run (its creation time), list the trigger's runs, patch spec.status of the older ones
    runPatcherAccount(this, metadata);
    const task = new Task(this, 'Task', {
      name,
      namespace: props.namespace,
      description: `Cancels the runs of trigger ${props.triggerName} (listener ${props.listenerName}) that a newer run supersedes: ` +
        'RunConcurrency.cancelInProgress().',
    });
    const run = task.addParam('run', { description: 'the new run: older runs of the same trigger that are still running are cancelled' });
    task.addStep({
      name: 'cancel-older-runs',
      image: props.options.image ?? CANCELLER_IMAGE,
      env: {
        RUN: `${run}`,
        LISTENER: props.listenerName,
        TRIGGER: props.triggerName,
        STOP: !(props.options.runFinally ?? true) ? 'Cancelled' : props.options.finishRunningTasks ? 'StoppedRunFinally' : 'CancelledRunFinally',
      },
      script: CANCEL_SCRIPT,
    });
  }

  /**
   * The TaskRun the template creates next to the run named `runName` (a name with `$(tt.params.…)`).
   * `name` is its own name, unique per revision like the run's.
   */
  public renderTaskRun(name: string, runName: string) {
    return {
      apiVersion: 'tekton.dev/v1',
      kind: 'TaskRun',
      metadata: { name, labels: { [CANCELLER_LABEL]: this.props.triggerName } },
      spec: {
        taskRef: { name: this.name },
        params: [{ name: 'run', value: runName }],
        serviceAccountName: this.name,
        timeout: '5m0s',
      },
    };
  }
}

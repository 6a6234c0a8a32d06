import { ApiObject, Cron, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { runPatcherAccount } from './run-patcher-account';
import { CANCELLER_IMAGE } from './supersede';
import { toDnsLabel } from '../internal/names';

/** The label of a run that waits out a soak (its value: the soak in seconds), and of the clock's objects. */
export const SOAK_LABEL = 'cdk8s-tekton-flux/soak-seconds';

/**
 * Starts the due runs of one promotion step: every run of the step (selected by its labels) that is still
 * `PipelineRunPending` and was created at least SOAK seconds ago. Tekton holds a pending run without a Pod and
 * without starting its timeout; the start is one JSON patch that first tests the field, so a run cancelled (or
 * started) meanwhile is never started again. Everything it reads comes in env or from the API (DNS names), never
 * as script text. BusyBox's sh, awk and date (the image's).
 */
export const SOAK_CLOCK_SCRIPT = `set -euf
k() { kubectl --cache-dir=/tmp/kubectl-cache "$@"; }
case "$SOAK" in ''|*[!0-9]*) echo "SOAK '$SOAK' is not a number of seconds" >&2; exit 1 ;; esac
now=$(date -u +%s)
runs=$(k get pipelineruns -l "$SELECTOR" \\
  -o 'jsonpath={range .items[*]}{.metadata.name}{"|"}{.metadata.creationTimestamp}{"|"}{.spec.status}{"\\n"}{end}')
# created (RFC 3339, UTC) to seconds since the epoch: days from the civil date, months counted from March
plan=$(printf '%s\\n' "$runs" | NOW=$now SOAK=$SOAK awk -F'|' '
  function epoch(t,   y, m, d) {
    y = substr(t, 1, 4) + 0; m = substr(t, 6, 2) + 0; d = substr(t, 9, 2) + 0
    if (m <= 2) { y--; m += 12 }
    return (365 * y + int(y / 4) - int(y / 100) + int(y / 400) + int((153 * (m - 3) + 2) / 5) + d - 719469) * 86400 \\
      + substr(t, 12, 2) * 3600 + substr(t, 15, 2) * 60 + substr(t, 18, 2)
  }
  $3 == "PipelineRunPending" && $2 ~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z$/ {
    left = epoch($2) + ENVIRON["SOAK"] - ENVIRON["NOW"]
    if (left <= 0) print "start " $1; else print "wait " $1 " " left
  }')
if [ -z "$plan" ]; then echo "no run of $STEP is waiting out its soak"; exit 0; fi
printf '%s\\n' "$plan" | while read -r what name left; do
  if [ "$what" = wait ]; then
    echo "$name waits $left s more: $FROM has run its version for less than $SOAK s"
    continue
  fi
  if k patch pipelinerun "$name" --type=json \\
      -p '[{"op":"test","path":"/spec/status","value":"PipelineRunPending"},{"op":"remove","path":"/spec/status"}]'; then
    echo "$name: $FROM has run its version for $SOAK s: started"
  else
    echo "$name was cancelled or started meanwhile: left as it is"
  fi
done
`;

/** Props of a `SoakClock`. */
export interface SoakClockProps {
  /** Names the CronJob, its ServiceAccount and Role. */
  readonly name: string;
  /**
   * The runs' namespace.
   * @default - the chart's
   */
  readonly namespace?: string;
  /** The labels that select the step's runs, e.g. the promotion's app, from and to. */
  readonly selector: { [key: string]: string };
  /** The environment that soaks (for messages). */
  readonly from: string;
  /** The step (for messages). */
  readonly step: string;
  /** How long a run waits. */
  readonly soak: Duration;
  /** How often the clock looks. */
  readonly every: Duration;
}

/**
 * The clock of a promotion step with a soak: a CronJob that, every few minutes, starts the step's pending runs
 * whose soak is over (a run for a newer revision has superseded, i.e. cancelled, the older ones meanwhile). It
 * holds no Pod while it waits: Tekton keeps a `PipelineRunPending` run as an object only, and the clock's Pod
 * lives for one `kubectl get` and the patches. Its ServiceAccount may get, list and patch PipelineRuns in the
 * runs' namespace, nothing else.
 */
export class SoakClock extends Construct {
  /** The CronJob. */
  public readonly cronJob: kplus.CronJob;

  constructor(scope: Construct, id: string, props: SoakClockProps) {
    super(scope, id);
    const name = toDnsLabel(props.name, 52); // a CronJob's name leaves 11 characters for its Jobs' suffix
    const metadata = { name, namespace: props.namespace, labels: { [SOAK_LABEL]: String(props.soak.toSeconds()) } };
    // list the step's runs; get and patch the due ones
    const account = runPatcherAccount(this, metadata);
    const minutes = Math.max(1, Math.round(props.every.toMinutes({ integral: false })));
    const selector = Object.entries(props.selector).map(([k, v]) => `${k}=${v}`).join(',');
    this.cronJob = new kplus.CronJob(this, 'CronJob', {
      metadata,
      schedule: Cron.schedule({ minute: `*/${minutes}` }),
      // one look at a time; a missed look is made up by the next
      concurrencyPolicy: kplus.ConcurrencyPolicy.FORBID,
      startingDeadline: Duration.minutes(minutes),
      successfulJobsRetained: 1,
      failedJobsRetained: 3,
      serviceAccount: account,
      automountServiceAccountToken: true,
      restartPolicy: kplus.RestartPolicy.NEVER,
      activeDeadline: Duration.minutes(2),
      securityContext: { ensureNonRoot: true, user: 65534, group: 65534 },
      containers: [{
        name: 'start-due-runs',
        image: CANCELLER_IMAGE,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        command: ['/bin/sh', '-c', SOAK_CLOCK_SCRIPT],
        envVariables: {
          SELECTOR: kplus.EnvValue.fromValue(selector),
          SOAK: kplus.EnvValue.fromValue(String(props.soak.toSeconds())),
          FROM: kplus.EnvValue.fromValue(props.from),
          STEP: kplus.EnvValue.fromValue(props.step),
        },
        securityContext: { ensureNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, user: 65534, group: 65534 },
        resources: {
          cpu: { request: kplus.Cpu.millis(10), limit: kplus.Cpu.millis(200) },
          memory: { request: Size.mebibytes(32), limit: Size.mebibytes(128) },
        },
        volumeMounts: [{ path: '/tmp', volume: kplus.Volume.fromEmptyDir(this, 'tmp', 'tmp') }],
      }],
    });
    // cdk8s-plus writes `hostNetwork: false`, which the API server drops (its default): the object Flux applies
    // would differ from the one it reads back
    ApiObject.of(this.cronJob).addJsonPatch(JsonPatch.remove('/spec/jobTemplate/spec/template/spec/hostNetwork'));
  }
}

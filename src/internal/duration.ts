import { Duration } from 'cdk8s';
import { problem } from '../problems';

/**
 * Renders a duration the way Kubernetes stores a `metav1.Duration` (Go's `time.Duration.String()`):
 * `1h0m0s`, `10m0s`, `1m30s`, `45s`, `500ms`. Writing the canonical form means the object the API
 * server returns equals the one in git, so Flux sees no drift.
 */
export function goDuration(duration: Duration): string {
  // not integral: a fraction is reported by durationProblems() at validation, rendering must not throw first
  const totalMs = Math.round(duration.toMilliseconds({ integral: false }));
  if (totalMs === 0) return '0s';
  if (totalMs < 1000) return `${totalMs}ms`;
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor((totalMs % 3_600_000) / 60_000);
  const ms = totalMs % 60_000;
  const seconds = `${ms / 1000}`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** The longest Go `time.Duration`, in whole milliseconds. */
const MAX_GO_DURATION_MS = 9_223_372_036_854;

/** Problems of a duration used as `what` (empty when fine): it must be a positive whole number of milliseconds. */
export function durationProblems(what: string, duration: Duration | undefined): string[] {
  if (duration === undefined) return [];
  const ms = duration.toMilliseconds({ integral: false });
  if (!Number.isFinite(ms) || ms <= 0) return [problem('invalid-duration', `${what} must be longer than 0 (got ${ms}ms): use e.g. Duration.minutes(1)`)];
  if (!Number.isInteger(ms)) return [problem('invalid-duration', `${what} must be a whole number of milliseconds (got ${ms}ms)`)];
  // Kubernetes and Tekton parse durations as Go's time.Duration: at most 2^63-1 ns (about 292 years)
  if (ms > MAX_GO_DURATION_MS) return [problem('invalid-duration', `${what} is longer than a Go duration can be (at most ${goDuration(Duration.millis(MAX_GO_DURATION_MS))}): use a shorter one`)];
  return [];
}

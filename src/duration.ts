import { Duration } from 'cdk8s';

/**
 * Renders a duration the way Kubernetes stores a `metav1.Duration` (Go's `time.Duration.String()`):
 * `1h0m0s`, `10m0s`, `1m30s`, `45s`, `500ms`. Writing the canonical form means the object the API
 * server returns equals the one in git, so Flux sees no drift.
 */
export function goDuration(duration: Duration): string {
  const totalMs = duration.toMilliseconds();
  if (totalMs === 0) return '0s';
  if (totalMs < 1000) return `${totalMs}ms`;
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor((totalMs % 3_600_000) / 60_000);
  const ms = totalMs % 60_000;
  const seconds = ms % 1000 === 0 ? `${ms / 1000}` : `${(ms / 1000).toString()}`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

import { Lazy } from 'cdk8s';

/**
 * A value that cdk8s produces when it renders the object (`Lazy.any`), typed as what `produce` returns: an L1's
 * spec can then be given one without a cast, and what the producer returns is checked against the spec's type.
 * @internal
 */
export function lazy<T>(produce: () => T): T {
  // Lazy.any is typed `any` by cdk8s: the token stands in for the value until it is resolved
  return Lazy.any({ produce });
}

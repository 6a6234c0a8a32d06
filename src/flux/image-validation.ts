/**
 * The checks Flux's image controllers apply to the values the image automation constructs write, at synth time.
 * @internal
 */
import { problem } from '../problems';

type Re2 = typeof import('re2js').RE2JS;
let re2: Re2 | undefined;

/**
 * RE2JS, loaded the first time a pattern is checked: the constructs' entry loads none of the simulator's
 * dependencies (test/integration/init.test.ts), and most apps have no tag pattern.
 */
function RE2(): Re2 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  re2 ??= (require('re2js') as typeof import('re2js')).RE2JS;
  return re2;
}

/**
 * A regular expression as Go's `regexp` compiles it (RE2 syntax: no lookaround, no backreference). Returns the
 * problem, or undefined.
 */
export function goRegexProblem(what: string, pattern: string): string | undefined {
  try {
    RE2().compile(pattern);
    return undefined;
  } catch (e) {
    return problem('invalid-regex', `${what} '${pattern}' is not a Go regular expression: Flux compiles it with Go's regexp ` +
      `(RE2: no lookahead, lookbehind or backreferences), which says ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The capture groups a `$name`, `${name}` or `$1` of `template` refers to that `pattern` does not have
 * (Go's `Regexp.Expand` makes them empty: every tag would be extracted as '').
 */
export function missingGroups(pattern: string, template: string): string[] {
  let compiled;
  try {
    compiled = RE2().compile(pattern);
  } catch {
    return []; // reported by goRegexProblem
  }
  const named = compiled.namedGroups();
  const count = compiled.groupCount();
  const missing: string[] = [];
  for (const m of template.matchAll(/\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|\$)/g)) {
    const ref = m[1] ?? m[2];
    if (ref === undefined) continue; // `$$`, a literal '$'
    const known = /^[0-9]+$/.test(ref) ? Number(ref) <= count : Object.prototype.hasOwnProperty.call(named, ref);
    if (!known) missing.push(ref);
  }
  return missing;
}

const VERSION = '[vV]?(?:[0-9]+|[xX*])(?:\\.(?:[0-9]+|[xX*])){0,2}(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?';
const COMPARISON = new RegExp(`^(?:=|!=|>=|=>|<=|=<|>|<|~>|~|\\^)?${VERSION}$`);
const HYPHEN_RANGE = new RegExp(`(^|\\s)(${VERSION})\\s+-\\s+(${VERSION})(?=\\s|,|$)`, 'g');

/**
 * A semver range as image-reflector-controller reads it (github.com/Masterminds/semver/v3 constraints):
 * comparisons such as `>=1.0.0 <2.0.0`, `~1.2`, `^1.x`, `1.2 - 1.4`, joined by spaces or commas (and) and `||` (or).
 */
export function semverRangeProblem(what: string, range: string): string | undefined {
  const ok = range.split('||').every((alternative) => {
    const text = alternative.trim().replace(HYPHEN_RANGE, (_, before: string, a: string, b: string) => `${before}>=${a} <=${b}`)
      .replace(/(=|!=|>=|=>|<=|=<|>|<|~>|~|\^)\s+/g, '$1');
    const comparisons = text.split(/[\s,]+/).filter((c) => c !== '');
    return comparisons.length > 0 && comparisons.every((c) => COMPARISON.test(c));
  });
  return ok ? undefined
    : problem('invalid-semver-range', `${what} '${range}' is not a semver range: write comparisons such as '>=1.0.0', ` +
      "'>=1.0.0 <2.0.0', '~1.2', '^1.4.0' or '1.2 - 1.4', joined by spaces or commas (and) or '||' (or)");
}

/**
 * Wording shared by every layer's validation: duplicate names and did-you-mean suggestions.
 * @internal
 */

/** "x is declared twice" errors. */
export function duplicates(what: string, names: string[]): string[] {
  const seen = new Set<string>();
  const errors: string[] = [];
  for (const n of names) {
    if (seen.has(n)) errors.push(problem('duplicate-name', `${what} '${n}' is declared more than once: ${what} names must be unique, rename or remove one`));
    seen.add(n);
  }
  return errors;
}

/** The known name nearest to `name` (at most two edits away; the first of equals), for "did you mean". */
export function closest(name: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = distance(k, name);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

/** "did you mean" help for an unknown name. */
export function suggest(name: string, known: string[], how: string): string {
  const close = closest(name, known);
  if (close) return `did you mean '${close}'?`;
  return known.length ? `declare it with ${how}('${name}') (declared: ${known.join(', ')})` : `declare it with ${how}('${name}')`;
}

/** Levenshtein distance, for did-you-mean. */
export function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i][j] = Math.min(dp[i - 1][j] + 1, dp[i][j - 1] + 1, dp[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length][b.length];
}

/**
 * One problem a synth found: where (the construct path), what kind (a stable code that tooling can filter by),
 * what is wrong, and what to do about it.
 */
export interface Problem {
  /** The path of the construct that reported it, e.g. `production/ci/on-push`. */
  readonly path: string;
  /**
   * A stable code of the kind of problem, e.g. `invalid-secret-name`, `unknown-reference`; `unclassified` for a
   * message that has none yet.
   */
  readonly code: string;
  /** What is wrong. */
  readonly message: string;
  /**
   * What to do about it.
   * @default - the message says it
   */
  readonly fix?: string;
}

/**
 * What `GitOpsApp.synth()` throws when the app is invalid: every problem of every construct (of every cluster) at
 * once. Its message is cdk8s's own (`Validation failed with the following errors:` and a line `[path] message: fix`
 * each), so that nothing that reads it changes.
 */
export class SynthError extends Error {
  constructor(
    /** The problems, in the order of the construct tree. */
    public readonly problems: Problem[],
  ) {
    super(`Validation failed with the following errors:\n  ${problems.map((p) => `[${p.path}] ${p.message}${p.fix ? `: ${p.fix}` : ''}`).join('\n  ')}`);
    this.name = 'SynthError';
  }
}

/** The codes of the messages made by `problem` (a message identifies its problem), bounded. */
const CODES = new Map<string, string>();
const MAX_CODES = 100_000;

/**
 * A validation message with its code: the message (`what is wrong: what to do`) as validations return it, its
 * code remembered for the `SynthError` a failed synth throws.
 * @internal
 */
export function problem(code: string, message: string): string {
  // the most recently made last: a message in use is never the one dropped
  CODES.delete(message);
  if (CODES.size >= MAX_CODES) CODES.delete(CODES.keys().next().value!);
  CODES.set(message, code);
  return message;
}

/**
 * A validation message as a `Problem` of the construct at `path`: its code (if `problem` made it), and the
 * message split into what is wrong and what to do at its first `: ` outside quotes.
 * @internal
 */
export function problemAt(path: string, text: string): Problem {
  const code = CODES.get(text) ?? 'unclassified';
  if (CODES.has(text)) {
    // read: keep it among the most recent
    CODES.delete(text);
    CODES.set(text, code);
  }
  let quote = '';
  for (let i = 0; i < text.length - 1; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" && /[\s(]/.test(text[i - 1] ?? ' ')) {
      quote = c;
    } else if (c === ':' && text[i + 1] === ' ') {
      return { path, code, message: text.slice(0, i), fix: text.slice(i + 2) };
    }
  }
  return { path, code, message: text };
}

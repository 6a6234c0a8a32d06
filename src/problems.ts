/**
 * Wording shared by every layer's validation: duplicate names and did-you-mean suggestions.
 * @internal
 */

/** "x is declared twice" errors. */
export function duplicates(what: string, names: string[]): string[] {
  const seen = new Set<string>();
  const errors: string[] = [];
  for (const n of names) {
    if (seen.has(n)) errors.push(`${what} '${n}' is declared more than once: ${what} names must be unique, rename or remove one`);
    seen.add(n);
  }
  return errors;
}

/** "did you mean" help for an unknown name. */
export function suggest(name: string, known: string[], how: string): string {
  const close = known.find((k) => distance(k, name) <= 2);
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

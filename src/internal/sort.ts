/**
 * Orders strings by Unicode code point: the order of their UTF-8 bytes, of Go's `sort.Strings` and of
 * `LC_ALL=C sort`, whatever the locale.
 *
 * Never a locale-aware comparison (String's locale comparison, `Intl.Collator`) for anything written out: Node (full ICU) takes its default locale
 * from `LC_ALL` / `LANG`, so the same app would write `dist/` in another order on another machine (Danish sorts
 * `aa` after `z`, Czech `ch` after `h`, English `a` before `B`). Plain `.sort()` and `<` are locale-independent
 * but compare UTF-16 code units, which differ from code points in one range only: a character above U+FFFF
 * (a surrogate pair, D800–DFFF) sorts before U+E000–U+FFFF as code units, after them as code points. This
 * compares code units and moves surrogates above U+E000–U+FFFF, as ICU's code-point-order comparison does.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) < fixup(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** A UTF-16 code unit, moved so that surrogates (D800–DFFF) come after E000–FFFF and the rest keeps its order. */
function fixup(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}

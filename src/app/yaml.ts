/**
 * YAML that Kubernetes reads exactly as the constructs meant it.
 *
 * kubectl, the API server and Flux read YAML with sigs.k8s.io/yaml (go-yaml), which resolves plain
 * scalars by YAML 1.1 rules and a few of its own: `0o10`, `0O10`, `0X10`, `0B11`, `-0o7` are numbers to it,
 * `yes`/`on` booleans, `~` null, and it cannot read U+2028, U+2029, DEL, U+FFFE or a lone surrogate in the
 * stream at all (one such character makes the whole file unreadable), while NEL in a plain scalar becomes a
 * space. js-yaml's dump schema already quotes every YAML 1.1 and 1.2 form and escapes invisible and
 * non-printable characters in double quotes; the rule below adds go-yaml's own number forms, and a lone
 * surrogate (which has no UTF-8 form) is a synth error. e2e/harness reads a corpus of hostile values
 * written here back with the real sigs.k8s.io/yaml.
 */
import { SCALAR_STYLE, DEFAULT_SCALAR_STYLE_RULES, ScalarLayout, dump } from 'js-yaml';

/**
 * Plain scalars go-yaml reads as something other than a string beyond the YAML 1.1/1.2 forms js-yaml
 * quotes already: prefixed integers with an upper-case or mixed prefix, underscores or a sign, and anything
 * that starts like a date (go-yaml turns timestamps into times, which JSON then rewrites).
 */
const GO_NON_STRINGS = [
  /^[-+]?0[bBoOxX][0-9a-fA-F_]*$/,
  /^[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?$/,
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}/,
];

function quoteGoNonStrings(layout: ScalarLayout): void {
  if (layout.style === SCALAR_STYLE.PLAIN && layout.node.tag.endsWith(':str') && GO_NON_STRINGS.some((r) => r.test(layout.node.value))) {
    layout.style = SCALAR_STYLE.DOUBLE_QUOTED;
  }
}

const RULES = [quoteGoNonStrings, ...Object.values(DEFAULT_SCALAR_STYLE_RULES)];

/** A string that no YAML stream can carry, with where it is, or undefined. */
export function unwritableString(value: unknown, at = ''): string | undefined {
  if (typeof value === 'string') {
    // a lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one
    return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value) ? at || '.' : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unwritableString(value[i], `${at}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = unwritableString(k, `${at}.${k}`) ?? unwritableString(v, `${at}.${k}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Serializes Kubernetes objects as a multi-document YAML stream that sigs.k8s.io/yaml reads back unchanged.
 * Throws, naming the object and field, for a string no YAML stream can carry (a lone UTF-16 surrogate).
 */
export function toKubernetesYaml(objects: readonly unknown[]): string {
  return fastYaml(objects) ?? referenceYaml(objects);
}

/** `toKubernetesYaml` by js-yaml alone, one `dump` per object: what `fastYaml` must equal byte for byte. */
export function referenceYaml(objects: readonly unknown[]): string {
  for (const o of objects) {
    const at = unwritableString(o);
    if (at) {
      const { kind, metadata } = (o ?? {}) as { readonly kind?: unknown; readonly metadata?: { readonly name?: unknown } };
      throw new Error(`${kind ?? 'object'} '${metadata?.name ?? '?'}' has a lone UTF-16 surrogate at ${at}, which no YAML file can hold ` +
        '(it has no UTF-8 form): remove it or replace it with the character it was half of');
    }
  }
  return objects.map((o) => dump(o, DUMP_OPTIONS)).join('---\n');
}

const DUMP_OPTIONS = { lineWidth: -1, noRefs: true, quoteStyle: 'double', scalarStyleRules: RULES } as const;

/*
 * The fast writer. js-yaml's dump builds an AST of every value and tests each scalar against large Unicode
 * patterns and every implicit type; at 10,000 objects that was a third of a synth. Here each object is written
 * by the same layout as js-yaml's presenter (block mappings and sequences, two spaces, `- ` items inline, `{}`
 * and `[]` for empty ones, `...` after a document that ends open), and each distinct scalar is styled by
 * js-yaml itself, once, in one `dump` of all of them: a scalar's style (plain, double-quoted or literal block)
 * depends on its value and on whether it is a key, not on its depth (below the root), and a single-line
 * scalar's text does not depend on its depth either; a literal block is indented here as js-yaml indents it,
 * and checked against js-yaml's text at depth 1. Anything else (a non-plain object, a function, a surrogate,
 * a multi-line or long key, a scalar document) leaves the whole stream to `referenceYaml`. test/yaml.test.ts
 * compares the two on the e2e corpus of hostile values in every kind of field and on the synth app's objects.
 */

/** What the fast writer does not handle: the caller falls back to js-yaml. */
class Unusual extends Error {}

/** A scalar value's text at any depth below the root, or a literal block's value (indented where it is written). */
type Styled = { readonly text: string } | { readonly literal: string };

interface Scalars {
  /** Keys, by string. */
  readonly keys: Map<string, string>;
  /** Values: strings by string, numbers and the rest by value (-0 apart from 0). */
  readonly strings: Map<string, Styled>;
  readonly others: Map<unknown, string>;
}

/** A UTF-16 surrogate without its other half (a well-formed pair, an emoji say, is written as any character). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isPlainObject(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  return proto === null || proto === Object.prototype;
}

/** Gathers every distinct key and scalar value, or throws Unusual. */
function collect(value: unknown, keys: Set<string>, strings: Set<string>, others: Set<unknown>): void {
  switch (typeof value) {
    case 'string':
      strings.add(value);
      return;
    case 'number':
      others.add(Object.is(value, -0) ? MINUS_ZERO : value);
      return;
    case 'boolean':
      others.add(value);
      return;
    case 'object':
      if (value === null) {
        others.add(null);
      } else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          if (item === undefined) others.add(null);
          else collect(item, keys, strings, others);
        }
      } else if (isPlainObject(value)) {
        for (const key of Object.keys(value)) {
          const item = (value as { readonly [key: string]: unknown })[key];
          if (item === undefined) continue;
          keys.add(key);
          collect(item, keys, strings, others);
        }
      } else {
        throw new Unusual();
      }
      return;
    default:
      // undefined at the root, functions, symbols, bigints
      throw new Unusual();
  }
}

const MINUS_ZERO = Symbol('-0');

/** Lines of a `dump` of a block sequence or mapping of single-line scalars, each without its prefix. */
function singleLines(text: string, count: number, prefix: string, suffix: string): string[] {
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines.length !== count) throw new Unusual();
  return lines.map((line) => {
    if (!line.startsWith(prefix) || !line.endsWith(suffix) || line.length < prefix.length + suffix.length) throw new Unusual();
    return line.slice(prefix.length, line.length - suffix.length);
  });
}

/** Styles every distinct scalar with js-yaml, in one dump per kind. */
function style(keys: Set<string>, strings: Set<string>, others: Set<unknown>): Scalars {
  const scalars: Scalars = { keys: new Map(), strings: new Map(), others: new Map() };
  // keys: at depth 1 of a mapping; a multi-line or long one would be an explicit `? ` key
  const probe: { [key: string]: number } = Object.create(null);
  for (const k of keys) {
    if (k.length > 1024 || k.includes('\n') || LONE_SURROGATE.test(k)) throw new Unusual();
    probe[k] = 0;
  }
  // in js-yaml's order (Object.keys: integer-like keys first)
  const keyList = Object.keys(probe);
  if (keyList.length) {
    singleLines(dump(probe, DUMP_OPTIONS), keyList.length, '', ': 0').forEach((t, i) => {
      // a key of more than 1024 characters as written would be an explicit `? ` key
      if (t.length > 1024) throw new Unusual();
      scalars.keys.set(keyList[i], t);
    });
  }
  const single: string[] = [];
  const multi: string[] = [];
  for (const s of strings) {
    if (LONE_SURROGATE.test(s)) throw new Unusual();
    (s.includes('\n') ? multi : single).push(s);
  }
  const otherList = [...others];
  const values = [...single, ...otherList.map((o) => (o === MINUS_ZERO ? -0 : o))];
  if (values.length) {
    const texts = singleLines(dump(values, DUMP_OPTIONS), values.length, '- ', '');
    single.forEach((s, i) => scalars.strings.set(s, { text: texts[i] }));
    otherList.forEach((o, i) => scalars.others.set(o, texts[single.length + i]));
  }
  if (multi.length) {
    // items start at column 0 with '- '; a literal block's lines are indented or empty
    let text = dump(multi, DUMP_OPTIONS);
    if (text.endsWith('\n...\n')) text = text.slice(0, -4);
    if (!text.startsWith('- ') || !text.endsWith('\n')) throw new Unusual();
    const items = `\n${text.slice(0, -1)}`.split('\n- ').slice(1);
    if (items.length !== multi.length) throw new Unusual();
    multi.forEach((s, i) => {
      const item = items[i];
      if (item.startsWith('"') && !item.includes('\n')) {
        scalars.strings.set(s, { text: item });
      } else if (item.startsWith('|') && literalBlock(s, 1) === item) {
        scalars.strings.set(s, { literal: s });
      } else {
        throw new Unusual();
      }
    });
  }
  return scalars;
}

/** js-yaml's literal block of `value` at `level` (its renderLiteralBlock with two-space indentation). */
function literalBlock(value: string, level: number): string {
  const indent = ' '.repeat(2 * level);
  let body = '';
  let position = 0;
  while (position < value.length) {
    const next = value.indexOf('\n', position);
    const end = next === -1 ? value.length : next + 1;
    const line = value.slice(position, end);
    if (line !== '\n') body += indent;
    body += line;
    position = end;
  }
  if (body.endsWith('\n')) body = body.slice(0, -1);
  const indicator = /^\n* /.test(value) ? '2' : '';
  const clip = value.endsWith('\n');
  const chomp = clip && (value[value.length - 2] === '\n' || value === '\n') ? '+' : clip ? '' : '-';
  return `|${indicator}${chomp}\n${body}`;
}

/** Writes documents as js-yaml's presenter does, for the values `collect` accepts. */
class Writer {
  /** Whether the last scalar written was a literal block that ends open (js-yaml then ends the document with `...`). */
  private openEnded = false;

  constructor(private readonly scalars: Scalars) {}

  public document(value: object): string {
    this.openEnded = false;
    const body = this.node(value, 0, true);
    return `${body}\n${this.openEnded ? '...\n' : ''}`;
  }

  private node(value: unknown, level: number, compact: boolean): string {
    if (typeof value === 'string') {
      const styled = this.scalars.strings.get(value)!;
      if ('text' in styled) {
        this.openEnded = false;
        return styled.text;
      }
      const literal = styled.literal;
      this.openEnded = literal === '\n' || literal.endsWith('\n\n');
      return literalBlock(literal, level);
    }
    if (value === null || typeof value !== 'object') {
      this.openEnded = false;
      return this.scalars.others.get(Object.is(value, -0) ? MINUS_ZERO : value)!;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) {
        this.openEnded = false;
        return '[]';
      }
      let result = '';
      for (let i = 0; i < value.length; i++) {
        const item = this.node(value[i] === undefined ? null : value[i], level + 1, true);
        if (!compact || result !== '') result += `\n${' '.repeat(2 * level)}`;
        result += item === '' || item.charCodeAt(0) === 10 ? '-' : '- ';
        result += item;
      }
      return result;
    }
    let result = '';
    for (const key of Object.keys(value)) {
      const item = (value as { readonly [key: string]: unknown })[key];
      if (item === undefined) continue;
      if (!compact || result !== '') result += `\n${' '.repeat(2 * level)}`;
      result += this.scalars.keys.get(key)!;
      const text = this.node(item, level + 1, false);
      result += text === '' || text.charCodeAt(0) === 10 ? ':' : ': ';
      result += text;
    }
    if (result === '') {
      this.openEnded = false;
      return '{}';
    }
    return result;
  }
}

/** `referenceYaml`'s text, faster, or undefined where the objects hold anything the fast writer leaves to it. */
export function fastYaml(objects: readonly unknown[]): string | undefined {
  const keys = new Set<string>();
  const strings = new Set<string>();
  const others = new Set<unknown>();
  try {
    for (const o of objects) {
      // a document of a scalar, or of nothing, is js-yaml's
      if (o === null || typeof o !== 'object') throw new Unusual();
      collect(o, keys, strings, others);
    }
    const writer = new Writer(style(keys, strings, others));
    // (each an object: checked above)
    return objects.map((o) => writer.document(o as object)).join('---\n');
  } catch (e) {
    if (e instanceof Unusual) return undefined;
    throw e;
  }
}

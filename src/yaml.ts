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
export function toKubernetesYaml(objects: any[]): string {
  for (const o of objects) {
    const at = unwritableString(o);
    if (at) {
      throw new Error(`${o?.kind ?? 'object'} '${o?.metadata?.name ?? '?'}' has a lone UTF-16 surrogate at ${at}, which no YAML file can hold ` +
        '(it has no UTF-8 form): remove it or replace it with the character it was half of');
    }
  }
  return objects.map((o) => dump(o, { lineWidth: -1, noRefs: true, quoteStyle: 'double', scalarStyleRules: RULES })).join('---\n');
}

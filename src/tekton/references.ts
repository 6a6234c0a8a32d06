/**
 * Finds Tekton variable references (`$(params.x)`, `$(tasks.a.results.b)`, `$(workspaces.w.path)` …)
 * in rendered specs, so that validation sees typos in hand-written scripts as well as references made
 * through objects. Shell command substitutions such as `$(date)` are not Tekton variables and are skipped.
 */

/** The variable roots Tekton substitutes. */
const ROOTS = new Set(['params', 'tasks', 'workspaces', 'results', 'context', 'steps', 'step', 'tt', 'finally']);

/** One `$(…)` reference. */
export interface VariableReference {
  /** The root: `params`, `tasks`, `workspaces`, … */
  readonly root: string;
  /** The path after the root: `["revision"]`, `["build", "results", "digest"]`; `[*]` and indexes dropped. */
  readonly path: string[];
  /** The text as written, e.g. `$(params.revision)`. */
  readonly text: string;
  /** Where it was found in the object, e.g. `steps[0].script`. */
  readonly location: string;
}

const TOKEN = /\$\(([^()]*)\)/g;
const SEGMENT = /^(?:\.([A-Za-z0-9_-]+)|\[\s*["']([^"']+)["']\s*\]|\[\s*(\*|\d+)\s*\])/;

/** Parses one string, returning the Tekton references in it. */
export function referencesIn(text: string, location = ''): VariableReference[] {
  const found: VariableReference[] = [];
  for (const match of text.matchAll(TOKEN)) {
    const inner = match[1].trim();
    const rootMatch = /^([A-Za-z]+)/.exec(inner);
    if (!rootMatch || !ROOTS.has(rootMatch[1])) continue;
    let rest = inner.slice(rootMatch[1].length);
    if (rest === '' || !(rest.startsWith('.') || rest.startsWith('['))) continue;
    const path: string[] = [];
    while (rest.length > 0) {
      const seg = SEGMENT.exec(rest);
      if (!seg) break;
      if (seg[1] !== undefined) path.push(seg[1]);
      else if (seg[2] !== undefined) path.push(seg[2]);
      rest = rest.slice(seg[0].length);
    }
    found.push({ root: rootMatch[1], path, text: match[0], location });
  }
  return found;
}

/** Walks any JSON-like value and returns every Tekton reference in its strings. */
export function referencesInValue(value: unknown, location = ''): VariableReference[] {
  const found: VariableReference[] = [];
  walk(value, [location], found);
  return found;
}

// The location is kept as a list of parts and joined only where a reference is found: most strings have none.
function walk(value: unknown, at: string[], found: VariableReference[]) {
  if (typeof value === 'string') {
    if (value.includes('$(')) found.push(...referencesIn(value, joinLocation(at)));
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      at.push(`[${i}]`);
      walk(value[i], at, found);
      at.pop();
    }
  } else if (value && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      at.push(`.${k}`);
      walk((value as Record<string, unknown>)[k], at, found);
      at.pop();
    }
  }
}

function joinLocation(parts: string[]): string {
  const text = parts.join('');
  return text.startsWith('.') ? text.slice(1) : text;
}

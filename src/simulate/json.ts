/**
 * Reading JSON whose shape is not known (objects read from YAML, a Flux event, what kubectl prints): each field
 * is read as `unknown` and narrowed where it is used, so a value of the wrong shape is skipped (or named in an
 * error) rather than a TypeError.
 */

/** A JSON map, read field by field. */
export interface JsonMap {
  readonly [key: string]: unknown;
}

/** A map (not a list, a string or null). */
export function isMap(value: unknown): value is JsonMap {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `value` if it is a map, else an empty one. */
export function asMap(value: unknown): JsonMap {
  return isMap(value) ? value : {};
}

/** `value` if it is a list, else an empty one. */
export function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The maps of a list (other items left out); an empty list when `value` is none. */
export function asMaps(value: unknown): JsonMap[] {
  return asList(value).filter(isMap);
}

/** `value` if it is a string. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The value at `path` below `value` (maps only), or undefined. */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isMap(current) || !Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** The string at `path` below `value`, or undefined. */
export function stringAt(value: unknown, ...path: string[]): string | undefined {
  return asString(at(value, ...path));
}

/** A Kubernetes object as the tools read it: a kind and a name, the rest unknown. */
export interface KubeObject extends JsonMap {
  readonly apiVersion?: unknown;
  readonly kind: string;
  readonly metadata: JsonMap & { readonly name: string; readonly namespace?: unknown; readonly labels?: unknown };
  readonly spec?: unknown;
}

/** Whether `value` is an object of a kind and a name. */
export function isKubeObject(value: unknown): value is KubeObject {
  return isMap(value) && typeof value.kind === 'string' && value.kind !== '' && typeof at(value, 'metadata', 'name') === 'string' &&
    at(value, 'metadata', 'name') !== '';
}

/** Its namespace (`default` when it has none). */
export function namespaceOf(o: KubeObject): string {
  return asString(o.metadata.namespace) ?? 'default';
}

/** Its apiVersion, '' when it has none. */
export function apiVersionOf(o: KubeObject): string {
  return asString(o.apiVersion) ?? '';
}

/** Its labels (string values only). */
export function labelsOf(o: unknown): { [key: string]: string } {
  const labels = at(o, 'metadata', 'labels');
  return Object.fromEntries(Object.entries(asMap(labels)).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

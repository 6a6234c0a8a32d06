import { CelScalar, celMethod, celFunc, isCelError, isCelList, isCelMap, listType, run, type CelFunc, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

/** Secrets the simulation can compare against: `<namespace>/<name>` → key → value. */
export type SecretStore = Map<string, { [key: string]: string }>;

/** What a CEL expression in a Tekton Triggers interceptor can see. */
export interface CelRequest {
  /** The request body (the Flux event). */
  readonly body: unknown;
  /** Header name → values (names in canonical form, e.g. `X-Flux-Token`). */
  readonly header: { [name: string]: string[] };
  /** Values added by earlier interceptors and overlays. */
  readonly extensions: { [key: string]: unknown };
  /**
   * The URL the request was sent to.
   * @default ''
   */
  readonly requestURL?: string;
}

/** Converts JSON to CEL input: objects become maps, integers stay numbers (JSON has doubles only). */
export function toCel(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(toCel) as CelInput;
  if (value && typeof value === 'object') return new Map(Object.entries(value).map(([k, v]) => [k, toCel(v)])) as CelInput;
  return value as CelInput;
}

/** Converts a CEL result back to JSON. */
export function fromCel(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), fromCel(v)]));
  if (isCelMap(value)) return Object.fromEntries([...value.keys()].map((k) => [String(k), fromCel(value.get(k))]));
  if (isCelList(value)) return [...value].map(fromCel);
  if (Array.isArray(value)) return value.map(fromCel);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** `Canonical-Header-Form` of an HTTP header name (Go's textproto.CanonicalMIMEHeaderKey). */
export function canonicalHeader(name: string): string {
  return name.split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1).toLowerCase()).join('-');
}

/**
 * The functions Tekton Triggers adds to CEL (https://tekton.dev/docs/triggers/cel_expressions/) that
 * listeners commonly use, on top of cel-go's string extensions.
 */
export function tektonFunctions(secrets: SecretStore, namespace: string,
  unknownSecret?: (id: string, key: string) => boolean | undefined): CelFunc[] {
  const compare = function (this: string, key: string, name: string, ns?: string): boolean {
    const secret = secrets.get(`${ns ?? namespace}/${name}`);
    if (!secret || !(key in secret)) {
      const assumed = unknownSecret?.(`${ns ?? namespace}/${name}`, key);
      if (assumed !== undefined) return assumed;
      throw new Error(`compareSecret: secret '${ns ?? namespace}/${name}' key '${key}' is not known: give the value of ${ns ?? namespace}/${name} key '${key}'`);
    }
    return secret[key] === this;
  };
  return [
    ...strings,
    celMethod('canonical', CelScalar.DYN, [CelScalar.STRING], CelScalar.STRING, function (this: unknown, name: string) {
      const values = isCelMap(this) || this instanceof Map ? this.get(canonicalHeader(name)) : undefined;
      if (values === undefined) return '';
      const list = fromCel(values);
      return Array.isArray(list) ? String(list[0] ?? '') : String(list);
    }),
    celMethod('compareSecret', CelScalar.STRING, [CelScalar.STRING, CelScalar.STRING], CelScalar.BOOL, function (this: string, key: string, name: string) {
      return compare.call(this, key, name);
    }),
    celMethod('compareSecret', CelScalar.STRING, [CelScalar.STRING, CelScalar.STRING, CelScalar.STRING], CelScalar.BOOL, function (this: string, key: string, name: string, ns: string) {
      return compare.call(this, key, name, ns);
    }),
    celMethod('truncate', CelScalar.STRING, [CelScalar.INT], CelScalar.STRING, function (this: string, n: bigint) {
      return this.slice(0, Number(n));
    }),
    celMethod('decodeb64', CelScalar.STRING, [], CelScalar.STRING, function (this: string) {
      return Buffer.from(this, 'base64').toString('utf8');
    }),
    celMethod('parseJSON', CelScalar.STRING, [], CelScalar.DYN, function (this: string) {
      return toCel(JSON.parse(this));
    }),
    celMethod('marshalJSON', CelScalar.DYN, [], CelScalar.STRING, function (this: unknown) {
      return JSON.stringify(fromCel(this));
    }),
    celMethod('first', listType(CelScalar.DYN), [], CelScalar.DYN, function (this: Iterable<CelInput>) {
      return [...this][0] ?? null;
    }),
    celMethod('last', listType(CelScalar.DYN), [], CelScalar.DYN, function (this: Iterable<CelInput>) {
      const items = [...this];
      return items[items.length - 1] ?? null;
    }),
    celFunc('split', [CelScalar.STRING, CelScalar.STRING], listType(CelScalar.STRING), (s: string, sep: string) => s.split(sep)),
  ];
}

/** Evaluates one expression; throws with the expression and CEL's message on error. */
export function evaluateCel(expression: string, request: CelRequest, secrets: SecretStore, namespace: string,
  unknownSecret?: (id: string, key: string) => boolean | undefined): unknown {
  const header = new Map(Object.entries(request.header).map(([k, v]) => [canonicalHeader(k), v]));
  const result = run(expression, {
    body: toCel(request.body),
    header,
    extensions: toCel(request.extensions),
    requestURL: request.requestURL ?? '',
  }, { funcs: tektonFunctions(secrets, namespace, unknownSecret) });
  if (isCelError(result)) {
    throw new Error(`CEL error in \`${expression}\`: ${result.message ?? String(result)}`);
  }
  return fromCel(result);
}

import { IConstruct } from 'constructs';
import { touch } from '../internal/generation';
import { problem } from '../problems';

/** The type of a Tekton param. */
export enum ParamType {
  /** A single string (Tekton's default). */
  STRING = 'string',
  /** A list of strings; reference it whole with `param.all`. */
  ARRAY = 'array',
  /** A map of string keys to strings; reference a key with `param.key(k)`. */
  OBJECT = 'object',
}

/** Any value that renders to a string in a template literal (a param, result or workspace reference). */
export interface IStringable {
  /** The Tekton substitution the reference stands for, e.g. `$(params.revision)`. */
  toString(): string;
}

/** The value given to a param: a string (or reference), a list of them, or a map of them. */
export type ParamValue = string | IStringable | Array<string | IStringable> | { [key: string]: string | IStringable };

/** Options of a Task or Pipeline param. */
export interface ParamOptions {
  /**
   * The param type.
   * @default - inferred from `default` (array / object), else `ParamType.STRING`
   */
  readonly type?: ParamType;
  /**
   * The value used when a run gives none. Its shape must match `type`.
   * @default - none: every run must give a value
   */
  readonly default?: string | string[] | { [key: string]: string };
  /**
   * What the param is for (shown in the Tekton dashboard and carried up to the Pipeline).
   * @default - none
   */
  readonly description?: string;
  /**
   * The only values a run may give (Tekton's `enum`: an alpha feature, rejected unless the cluster sets the
   * `enable-param-enum` feature flag).
   * @default - any value
   */
  readonly enum?: string[];
  /**
   * The keys of an object param (all string-typed).
   * @default - the keys of `default`, when it is an object
   */
  readonly properties?: string[];
}

/** A param as Tekton stores it, with its admission defaults written out. */
export interface ParamSpec {
  /** The param name. */
  readonly name: string;
  /** The param type (always written out). */
  readonly type: ParamType;
  /**
   * What the param is for.
   * @default - none
   */
  readonly description?: string;
  /**
   * The value used when a run gives none.
   * @default - none: every run must give a value
   */
  readonly default?: string | string[] | { [key: string]: string };
  /**
   * The only values allowed.
   * @default - any value
   */
  readonly enum?: string[];
  /**
   * The keys of an object param.
   * @default - none (not an object param)
   */
  readonly properties?: { [key: string]: { type: 'string' } };
}

/** Builds the stored form of a param: type inferred like Tekton's defaulting webhook does. */
/**
 * Declares a param on a Task or Pipeline (`into` is its list): the one `addParam` of both.
 * @internal
 */
export function declareParam(owner: IConstruct, into: ParamSpec[], name: string, options: ParamOptions = {}): Param {
  touch(owner);
  const spec = paramSpec(name, options);
  into.push(spec);
  return new Param(name, spec);
}

export function paramSpec(name: string, options: ParamOptions = {}): ParamSpec {
  const type = options.type ?? inferType(options.default, options.properties);
  const keys = options.properties
    ?? (type === ParamType.OBJECT && options.default && typeof options.default === 'object' && !Array.isArray(options.default)
      ? Object.keys(options.default) : undefined);
  return {
    name,
    type,
    description: options.description,
    default: options.default,
    enum: options.enum,
    properties: keys ? Object.fromEntries(keys.map((k) => [k, { type: 'string' as const }])) : undefined,
  };
}

function inferType(value: ParamOptions['default'], properties?: string[]): ParamType {
  if (Array.isArray(value)) return ParamType.ARRAY;
  if (value !== undefined && typeof value === 'object') return ParamType.OBJECT;
  if (properties) return ParamType.OBJECT;
  return ParamType.STRING;
}

/** Problems with a param declaration (empty list when it is fine). */
export function paramSpecProblems(spec: ParamSpec): string[] {
  const problems: string[] = [];
  const d = spec.default;
  if (d !== undefined) {
    const actual = Array.isArray(d) ? ParamType.ARRAY : typeof d === 'object' ? ParamType.OBJECT : ParamType.STRING;
    if (actual !== spec.type) {
      problems.push(problem('param-type-mismatch',
        `param '${spec.name}' is of type ${spec.type} but its default is ${article(actual)}: give a default of type ${spec.type}, or change the type`));
    }
  }
  if (spec.type === ParamType.OBJECT && !spec.properties) {
    problems.push(problem('invalid-param', `object param '${spec.name}' needs its keys: set 'properties' (or a default object)`));
  }
  if (spec.enum) {
    if (spec.type !== ParamType.STRING) problems.push(problem('invalid-param', `param '${spec.name}': 'enum' is only allowed on string params`));
    if (typeof d === 'string' && !spec.enum.includes(d)) {
      problems.push(problem('invalid-param', `param '${spec.name}': default '${d}' is not one of its enum values [${spec.enum.join(', ')}]`));
    }
  }
  return problems;
}

function article(type: ParamType) {
  return type === ParamType.ARRAY ? 'an array' : type === ParamType.OBJECT ? 'an object' : 'a string';
}

/** A param value as Tekton stores it: a string, a list of strings or a map of them. */
export type RenderedParamValue = string | string[] | { [key: string]: string };

/** Renders a param value to what Tekton stores (references become their `$(…)` text). */
export function renderParamValue(value: ParamValue): RenderedParamValue {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value;
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  }
  return String(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * A reference to a declared param. In a template literal it renders `$(params.<name>)`; use `all`
 * for a whole array or object and `key()` for one key of an object.
 */
export class Param implements IStringable {
  /** @internal */
  constructor(public readonly name: string, public readonly spec: ParamSpec, private readonly prefix = 'params') {}

  /** The param type. */
  public get type(): ParamType {
    return this.spec.type;
  }

  /** `$(params.<name>[*])`: the whole array or object (only where Tekton accepts a list or map). */
  public get all(): string {
    return `$(${this.prefix}.${this.name}[*])`;
  }

  /** `$(params.<name>.<key>)`: one key of an object param. */
  public key(key: string): string {
    if (this.spec.type !== ParamType.OBJECT) {
      throw new Error(`param '${this.name}' is a ${this.spec.type}, not an object: key('${key}') needs type object`);
    }
    if (!this.spec.properties || !Object.prototype.hasOwnProperty.call(this.spec.properties, key)) {
      throw new Error(`object param '${this.name}' has no key '${key}' (keys: ${Object.keys(this.spec.properties ?? {}).join(', ')})`);
    }
    return `$(${this.prefix}.${this.name}.${key})`;
  }

  /** `$(params.<name>[i])`: one item of an array param. */
  public index(i: number): string {
    if (this.spec.type !== ParamType.ARRAY) {
      throw new Error(`param '${this.name}' is a ${this.spec.type}, not an array: index(${i}) needs type array`);
    }
    return `$(${this.prefix}.${this.name}[${i}])`;
  }

  public toString(): string {
    return `$(${this.prefix}.${this.name})`;
  }
}

/** What `wholeParamProblems` reads of a rendered step (`spec.steps[]`). */
interface RenderedStep {
  readonly name?: string;
  readonly image?: string;
  readonly workingDir?: string;
  readonly script?: string;
  readonly env?: ReadonlyArray<{ readonly name: string; readonly value?: string }>;
  readonly volumeMounts?: ReadonlyArray<{ readonly name?: string; readonly mountPath?: string; readonly subPath?: string }>;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
}

/** `$(params.x)` or `$(params.x[*])`: the whole param (not a key or an index); the name is group 1 or 2. */
const WHOLE_PARAM = /\$\(\s*params(?:\.([A-Za-z0-9_-]+)|\[\s*['"]([^'"]+)['"]\s*\])(?:\[\*\])?\s*\)/g;

/**
 * Where Tekton lets a step use an array or object param whole (its admission webhook rejects the rest):
 * an array whole only as a complete `command` or `args` item (it expands to several items), an object whole
 * nowhere in a step (use its keys). Indexes (`$(params.list[0])`) and keys (`$(params.map.key)`) are strings,
 * fine anywhere. `steps` is the rendered `spec.steps`.
 * @internal
 */
export function wholeParamProblems(steps: readonly RenderedStep[], params: ParamSpec[]): string[] {
  const types = new Map(params.map((p) => [p.name, p.type]));
  const problems: string[] = [];
  const check = (text: unknown, where: string, isolatedAllowed: boolean) => {
    if (typeof text !== 'string' || !text.includes('$(')) return;
    for (const m of text.matchAll(WHOLE_PARAM)) {
      const name = m[1] ?? m[2];
      const type = types.get(name);
      if (type === ParamType.OBJECT) {
        problems.push(problem('misplaced-reference', `${where} uses object param '${name}' whole (${m[0]}): a step can only use its keys, e.g. $(params.${name}.<key>)`));
      } else if (type === ParamType.ARRAY && !(isolatedAllowed && m[0] === text)) {
        problems.push(problem('misplaced-reference', `${where} uses array param '${name}' whole (${m[0]}): Tekton expands a whole array only as ` +
          `a complete command or args item (args: [param.all]); in a string use one item, $(params.${name}[0])`));
      }
    }
  };
  steps.forEach((step, i) => {
    const at = `steps[${i}]`;
    for (const field of ['name', 'image', 'workingDir', 'script'] as const) check(step[field], `${at}.${field}`, false);
    (step.env ?? []).forEach((e) => check(e.value, `${at}.env.${e.name}`, false));
    (step.volumeMounts ?? []).forEach((v, j) => {
      for (const field of ['name', 'mountPath', 'subPath'] as const) check(v[field], `${at}.volumeMounts[${j}].${field}`, false);
    });
    for (const field of ['command', 'args'] as const) (step[field] ?? []).forEach((a, j) => check(a, `${at}.${field}[${j}]`, true));
  });
  return problems;
}

/** `$(params.x[*])` or `$(tasks.t.results.r[*])` alone: a whole array or object passed on. */
const WHOLE_REFERENCE = /^\$\((params\.[A-Za-z0-9_-]+|tasks\.[A-Za-z0-9_-]+\.results\.[A-Za-z0-9_-]+)\[\*\]\)$/;

/**
 * Why a rendered value does not fit a param of `type` (undefined when it does): a string param takes a
 * string, an array param a list, an object param a map, or a whole-array/object reference (`param.all`).
 * Tekton would accept the Pipeline and fail every run with a type mismatch.
 * @internal
 */
export function valueTypeProblem(type: ParamType, value: unknown): string | undefined {
  const shape = Array.isArray(value) ? ParamType.ARRAY : typeof value === 'object' && value !== null ? ParamType.OBJECT : ParamType.STRING;
  if (shape === type) return undefined;
  if (shape === ParamType.STRING && type !== ParamType.STRING && WHOLE_REFERENCE.test(String(value))) return undefined;
  const example = type === ParamType.ARRAY ? "a list (['a', 'b'])" : type === ParamType.OBJECT ? "a map ({ key: 'value' })" : 'a string';
  return `is ${article(type)} param, but the value is ${article(shape)}: give ${example}${type === ParamType.STRING ? '' : ', or a whole reference such as `param.all`'}`;
}

import { ApiObject, ApiObjectMetadata, ApiObjectMetadataDefinition, App, Chart, ImplicitTokenResolver, JsonPatch, Lazy, LazyResolver, NumberStringUnionResolver } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { addCachedValidation } from './internal/generation';
import { defaultName, namespaceOf } from './internal/names';
import { claimName } from './internal/registry';
import { labelsProblems } from './internal/validation';

/** The API version and resource type of each kind of this library's L2s. */
const API: { [kind: string]: [string, string] } = {
  Task: ['tekton.dev/v1', 'tasks'],
  Pipeline: ['tekton.dev/v1', 'pipelines'],
  PipelineRun: ['tekton.dev/v1', 'pipelineruns'],
  EventListener: ['triggers.tekton.dev/v1beta1', 'eventlisteners'],
  Trigger: ['triggers.tekton.dev/v1beta1', 'triggers'],
  TriggerBinding: ['triggers.tekton.dev/v1beta1', 'triggerbindings'],
  TriggerTemplate: ['triggers.tekton.dev/v1beta1', 'triggertemplates'],
  GitRepository: ['source.toolkit.fluxcd.io/v1', 'gitrepositories'],
  OCIRepository: ['source.toolkit.fluxcd.io/v1', 'ocirepositories'],
  Kustomization: ['kustomize.toolkit.fluxcd.io/v1', 'kustomizations'],
  Provider: ['notification.toolkit.fluxcd.io/v1beta3', 'providers'],
  Alert: ['notification.toolkit.fluxcd.io/v1beta3', 'alerts'],
  Receiver: ['notification.toolkit.fluxcd.io/v1', 'receivers'],
  ImageRepository: ['image.toolkit.fluxcd.io/v1', 'imagerepositories'],
  ImagePolicy: ['image.toolkit.fluxcd.io/v1', 'imagepolicies'],
  ImageUpdateAutomation: ['image.toolkit.fluxcd.io/v1', 'imageupdateautomations'],
};

/** What every object of this library is given: its name, namespace and extra metadata. */
export interface ResourceProps {
  /**
   * The object's `metadata.name`.
   * @default - the construct ids below the chart, joined by '-'
   */
  readonly name?: string;
  /**
   * The namespace.
   * @default - the chart's namespace (Flux objects: else `flux-system`)
   */
  readonly namespace?: string;
  /**
   * Extra labels and annotations.
   * @default - none
   */
  readonly metadata?: Omit<ApiObjectMetadata, 'name' | 'namespace'>;
}

/** An object of this library in a namespace, by name (what `fromXName` returns, too). */
export interface IResource extends IConstruct {
  /** Its `metadata.name`. */
  readonly name: string;
  /**
   * Its namespace.
   * @default - not known
   */
  readonly namespace?: string;
}

/** How a kind defaults its name and namespace (what a subclass of `Resource` passes to its constructor). */
export interface ResourceKind {
  /** The Kubernetes kind (for the name registry and messages). */
  readonly kind: string;
  /** The longest default name. @default 63 */
  readonly maxNameLength?: number;
  /** Flux objects default to `flux-system` outside a namespaced chart. @default false */
  readonly flux?: boolean;
}

/**
 * The base of every L2 here, in the manner of cdk8s-plus's `Resource`: it owns the name (from `name`, else
 * the construct ids), the namespace (from `namespace`, else the chart's), the claim of `kind/namespace/name`
 * (a second object of the same kind and name fails validation, as does a name the API server rejects),
 * the metadata of the L1 child, which each subclass creates under the id `Resource`, and cached validation.
 */
export abstract class Resource extends Construct implements IResource, kplus.IApiResource {
  public readonly name: string;
  public readonly namespace?: string;
  /** The Kubernetes kind, e.g. `Pipeline`. */
  public readonly kind: string;
  /** The API version written, e.g. `tekton.dev/v1`. */
  public readonly apiVersion: string;
  /** The API group, e.g. `tekton.dev` (cdk8s-plus's `IApiResource`: `role.allowRead(pipeline)`). */
  public readonly apiGroup: string;
  /** The resource type, e.g. `pipelines` (cdk8s-plus's `IApiResource`). */
  public readonly resourceType: string;
  private readonly extraMetadata?: Omit<ApiObjectMetadata, 'name' | 'namespace'>;
  private readonly explicitNamespace?: string;

  protected constructor(scope: Construct, id: string, kind: ResourceKind, props: ResourceProps) {
    super(scope, id);
    const api = API[kind.kind];
    if (!api) throw new Error(`[${this.node.path}] kind '${kind.kind}' has no API version here (resource.ts API)`);
    this.kind = kind.kind;
    this.apiVersion = api[0];
    this.apiGroup = api[0].includes('/') ? api[0].split('/')[0] : '';
    this.resourceType = api[1];
    this.name = props.name ?? defaultName(this, kind.maxNameLength);
    this.namespace = kind.flux ? props.namespace ?? Chart.of(this).namespace ?? 'flux-system' : namespaceOf(this, props.namespace);
    // Flux objects write their namespace out; others leave it to the chart (which writes it on every object)
    this.explicitNamespace = kind.flux ? this.namespace : props.namespace;
    this.extraMetadata = props.metadata;
    claimName(this, kind.kind, this.namespace, this.name);
    // the API server refuses a label it cannot select by (a space, a capital in a prefix, more than 63 characters)
    const labels = labelsProblems('metadata.labels', props.metadata?.labels);
    if (labels.length) this.addValidation(() => labels);
  }

  /** The object's name, for cdk8s-plus's `IApiResource` (a Role's `resourceNames`). */
  public get resourceName(): string {
    return this.name;
  }

  /**
   * The L1 object's metadata, to add labels and annotations after construction (`metadata.addLabel(…)`), as
   * cdk8s-plus's resources offer.
   */
  public get metadata(): ApiObjectMetadataDefinition {
    const l1 = this.node.tryFindChild('Resource');
    if (!(l1 instanceof ApiObject)) throw new Error(`[${this.node.path}] has no L1 object 'Resource' yet`);
    return l1.metadata;
  }

  /** The L1 child's metadata: the user's labels and annotations, the name and the namespace. */
  protected get resourceMetadata(): ApiObjectMetadata {
    return { ...this.extraMetadata, name: this.name, namespace: this.explicitNamespace };
  }

  /**
   * Adds a validation whose result is cached until the construct tree changes (see generation.ts): the one way
   * this library's objects register theirs. What it reads must change only through methods that `touch()`.
   */
  protected addValidation(validate: () => string[]): void {
    addCachedValidation(this, validate);
  }
}

/** What `ApiObject.toJson()` leaves to `fastResolve`'s caller: a value cdk8s would render another way, or fail on. */
class NotPlain extends Error {}

/**
 * cdk8s's `sanitizeValue(resolve(value))` with the app's default resolvers (Lazy, implicit tokens, number-or-string
 * unions), in one pass that copies the value once: the same result, or NotPlain where cdk8s would take another
 * path (it keeps the value as it is, throws, or drops a key).
 */
function fastResolve(value: unknown, sortKeys: boolean): unknown {
  if (value === null || value === undefined) return undefined;
  const type = typeof value;
  // what resolve's resolvers look for on any value (`resolve`, `value`), read as cdk8s reads them
  const v = value as { readonly resolve?: unknown; readonly value?: unknown; readonly constructor?: unknown };
  if (type === 'string' || type === 'number' || type === 'boolean') {
    // (a primitive's prototype has neither, unless someone added them)
    if (typeof v.resolve === 'function' || NUMBER_OR_STRING.has(typeof v.value)) throw new NotPlain();
    return value;
  }
  if (type !== 'object') throw new NotPlain();
  // resolve's resolvers, in their order: LazyResolver, ImplicitTokenResolver, NumberStringUnionResolver
  if (value instanceof Lazy) return fastResolve(value.produce(), sortKeys);
  if (typeof v.resolve === 'function') return fastResolve((value as { resolve(): unknown }).resolve(), sortKeys);
  const proto = Object.getPrototypeOf(value);
  if (v.constructor !== Object && NUMBER_OR_STRING.has(typeof v.value)) {
    // a union such as IntOrString: resolved as { value }
    const inner = fastResolve(v.value, sortKeys);
    return inner === undefined ? {} : { value: inner };
  }
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) throw new NotPlain();
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = fastResolve(value[i], sortKeys);
    return out;
  }
  if (proto !== Object.prototype || Object.prototype.hasOwnProperty.call(value, 'constructor')) throw new NotPlain();
  // resolved in resolve's order (Lazy values are produced in it), written in sanitize's (sorted, null and undefined left out)
  const map = value as { readonly [key: string]: unknown };
  const keys = Object.keys(map);
  const resolved: unknown[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === '__proto__') throw new NotPlain();
    resolved[i] = fastResolve(map[keys[i]], sortKeys);
  }
  if (sortKeys) sortTogether(keys, resolved);
  const out: { [key: string]: unknown } = {};
  for (let i = 0; i < keys.length; i++) if (resolved[i] !== undefined && resolved[i] !== null) out[keys[i]] = resolved[i];
  return out;
}

/** Sorts `keys` as `Array.prototype.sort()` does (by UTF-16 code units; keys are unique), moving `values` along. */
function sortTogether(keys: string[], values: unknown[]): void {
  if (keys.length > 24) {
    const order = keys.map((_, i) => i).sort((a, b) => (keys[a] < keys[b] ? -1 : 1));
    const k = order.map((i) => keys[i]);
    const v = order.map((i) => values[i]);
    for (let i = 0; i < keys.length; i++) {
      keys[i] = k[i];
      values[i] = v[i];
    }
    return;
  }
  // insertion sort: most objects have a few keys, and this allocates nothing
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i];
    const value = values[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > key) {
      keys[j + 1] = keys[j];
      values[j + 1] = values[j];
      j--;
    }
    keys[j + 1] = key;
    values[j + 1] = value;
  }
}

const NUMBER_OR_STRING = new Set(['number', 'string']);

/** cdk8s's own rendering of an ApiObject (what a generated L1's `toJson` calls as `super.toJson()`). */
const API_OBJECT_TO_JSON = ApiObject.prototype.toJson;

/** Whether `resolvers` are an app's default ones, which `fastResolve` does. */
function defaultResolvers(resolvers: unknown): boolean {
  return Array.isArray(resolvers) && resolvers.length === 3 && resolvers[0] instanceof LazyResolver &&
    resolvers[1] instanceof ImplicitTokenResolver && resolvers[2] instanceof NumberStringUnionResolver;
}

/**
 * `ApiObject.prototype.toJson()` of `o`, the same object, faster: cdk8s resolves every value with a resolution
 * context, a copy of its key path and the app looked up from the object, then copies it all again to sort and
 * clean it; with the app's default resolvers this does both in one pass. cdk8s's own (`ApiObject.prototype.toJson`)
 * renders where anything else is involved: other resolvers, or a value that is not plain data (a class instance,
 * which cdk8s refuses; an object of another realm; a `__proto__` or `constructor` key), after which its Lazy values
 * are produced a second time.
 * @internal
 */
export function renderApiObject(o: ApiObject): unknown {
  const slow = (): unknown => API_OBJECT_TO_JSON.call(o);
  const app = App.of(o) as App;
  // cdk8s's private fields (checked below: a cdk8s that keeps them elsewhere renders the slow way)
  const { props, patches } = o as unknown as { readonly props?: unknown; readonly patches?: unknown };
  if (!RENDERING.fast || !defaultResolvers(app.resolvers) || props === null || typeof props !== 'object' || !Array.isArray(patches)) return slow();
  let json: unknown;
  try {
    const data = { ...props, metadata: o.metadata.toJson() };
    json = fastResolve(data, process.env.CDK8S_DISABLE_SORT ? false : true);
  } catch (e) {
    if (e instanceof NotPlain) return slow();
    throw new Error(`Failed serializing construct at path '${o.node.path}' with name '${o.name}': ${e}`);
  }
  try {
    const patched = JsonPatch.apply(json, ...patches);
    // cdk8s's order: apiVersion, kind and metadata first
    const result: { [key: string]: unknown } = {};
    for (const k of ['apiVersion', 'kind', 'metadata', ...Object.keys(patched)]) {
      if (k in patched) result[k] = patched[k];
    }
    return result;
  } catch (e) {
    throw new Error(`Failed serializing construct at path '${o.node.path}' with name '${o.name}': ${e}`);
  }
}

/** Whether `renderApiObject` takes its faster path (the tests compare it with cdk8s's own). @internal */
export const RENDERING = { fast: true };

/** A generated L1 class (`cdk8s import`): its kind, and what its `toJson` does with `super.toJson()`. */
type L1Class = (new (scope: Construct, id: string, props?: never) => ApiObject) & {
  readonly GVK: { readonly apiVersion: string; readonly kind: string };
};

/**
 * The L1 class `base` rendering through `renderApiObject`: a generated L1's `toJson` is
 * `{ ...GVK, ...toJson_<Kind>Props(super.toJson()) }`, and so is this one's, with the faster `super.toJson()`.
 * @internal
 */
export function fasterL1<C extends L1Class, P>(base: C, convert: (props: P) => object | undefined): C {
  const Base: L1Class = base;
  const faster = class extends Base {
    public toJson(): unknown {
      // what cdk8s's toJson gives a generated L1: its props, resolved
      return { ...base.GVK, ...convert(renderApiObject(this) as P) };
    }
  };
  Object.defineProperty(faster, 'name', { value: base.name });
  return faster as unknown as C;
}

import { ApiObjectMetadata, Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { addCachedValidation } from './generation';
import { defaultName, namespaceOf } from './names';
import { claimName } from './registry';

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

/** How a kind defaults its name and namespace. @internal */
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
export abstract class Resource extends Construct implements IResource {
  public readonly name: string;
  public readonly namespace?: string;
  private readonly extraMetadata?: Omit<ApiObjectMetadata, 'name' | 'namespace'>;
  private readonly explicitNamespace?: string;

  protected constructor(scope: Construct, id: string, kind: ResourceKind, props: ResourceProps) {
    super(scope, id);
    this.name = props.name ?? defaultName(this, kind.maxNameLength);
    this.namespace = kind.flux ? props.namespace ?? Chart.of(this).namespace ?? 'flux-system' : namespaceOf(this, props.namespace);
    // Flux objects write their namespace out; others leave it to the chart (which writes it on every object)
    this.explicitNamespace = kind.flux ? this.namespace : props.namespace;
    this.extraMetadata = props.metadata;
    claimName(this, kind.kind, this.namespace, this.name);
  }

  /** The L1 child's metadata: the user's labels and annotations, the name and the namespace. */
  protected get resourceMetadata(): ApiObjectMetadata {
    return { ...this.extraMetadata, name: this.name, namespace: this.explicitNamespace };
  }

  /** Adds a validation whose result is cached until the construct tree changes (see generation.ts). */
  protected addValidation(validate: () => string[]): void {
    addCachedValidation(this, validate);
  }
}

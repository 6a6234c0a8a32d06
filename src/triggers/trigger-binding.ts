import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { cachedPerGeneration, touch } from '../internal/generation';
import { Resource, ResourceProps, IResource } from '../resource';
import { TriggersResource } from './resource';
import { duplicates, problem } from '../problems';

/** The kinds of binding a trigger can refer to. */
export type TriggerBindingKind = 'TriggerBinding' | 'ClusterTriggerBinding';

/** A TriggerBinding (or ClusterTriggerBinding) a trigger can use. */
export interface ITriggerBinding extends IResource {
  /**
   * `TriggerBinding`, or `ClusterTriggerBinding` for a cluster-scoped one.
   * @default 'TriggerBinding'
   */
  readonly bindingKind?: TriggerBindingKind;
  /**
   * Its namespace (a trigger finds TriggerBindings only in its listener's namespace).
   * @default - not known (not checked)
   */
  readonly namespace?: string;
}

/** Props for `TriggerBinding`. */
export interface TriggerBindingProps extends ResourceProps {
  /**
   * Params and where their values come from: `$(body.…)`, `$(header.…)`, `$(extensions.…)` or literals.
   * @default - none (add with `addParam`)
   */
  readonly params?: { [name: string]: string };
  /**
   * The object name.
   * @default - the construct ids below the chart, joined by '-'
   */
  readonly name?: string;
  /**
   * The namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
}

/** A Tekton Triggers `TriggerBinding`: maps fields of the event to params.
 *
 * @see https://tekton.dev/docs/triggers/triggerbindings/
 */
export class TriggerBinding extends Resource implements ITriggerBinding {
  /** A TriggerBinding that exists already, in the listener's namespace. */
  public static fromTriggerBindingName(scope: Construct, id: string, name: string): ITriggerBinding {
    return new ImportedBinding(scope, id, name, 'TriggerBinding');
  }

  /** A ClusterTriggerBinding that exists already (cluster-scoped: any listener can use it). */
  public static fromClusterTriggerBindingName(scope: Construct, id: string, name: string): ITriggerBinding {
    return new ImportedBinding(scope, id, name, 'ClusterTriggerBinding');
  }

  public readonly bindingKind: TriggerBindingKind = 'TriggerBinding';
  /** The L1 object (escape hatch). */
  public readonly resource: TriggersResource;
  private readonly staticParams: Array<{ name: string; value: string }> = [];
  private readonly producers: Array<() => { [name: string]: string }> = [];
  /** The params, read once per change (validation and synthesis both read them). */
  private readonly currentParams = cachedPerGeneration(this, () =>
    [...this.staticParams, ...this.producers.flatMap((p) => Object.entries(p()).map(([name, value]) => ({ name, value })))]);

  constructor(scope: Construct, id: string, props: TriggerBindingProps = {}) {
    super(scope, id, { kind: 'TriggerBinding' }, props);
    for (const [name, value] of Object.entries(props.params ?? {})) this.addParam(name, value);
    this.resource = new TriggersResource(this, 'Resource', 'TriggerBinding',
      this.resourceMetadata,
      Lazy.any({ produce: () => ({ params: this.params }) }));
    this.addValidation(() => [
      ...duplicates('binding param', this.params.map((p) => p.name)),
      ...this.params.filter((p) => /\$\((?!body|header|extensions)[^)]*\)/.test(p.value))
        .map((p) => problem('misplaced-reference', `binding param '${p.name}' = '${p.value}': a binding can only read $(body.…), $(header.…) and $(extensions.…)`)),
    ]);
  }

  /** Adds a param: `addParam('commit', '$(extensions.commit)')`. */
  public addParam(name: string, value: string): void {
    touch(this);
    this.staticParams.push({ name, value });
  }

  /** Adds params computed at synth time (e.g. from a Pipeline's derived params). */
  public addParamsFrom(produce: () => { [name: string]: string }): void {
    touch(this);
    this.producers.push(produce);
  }

  private get params(): Array<{ name: string; value: string }> {
    return this.currentParams();
  }

  /** The names of the params it binds. */
  public get paramNames(): string[] {
    return this.params.map((p) => p.name);
  }
}

class ImportedBinding extends Construct implements ITriggerBinding {
  constructor(scope: Construct, id: string, public readonly name: string, public readonly bindingKind: TriggerBindingKind) {
    super(scope, id);
  }
}

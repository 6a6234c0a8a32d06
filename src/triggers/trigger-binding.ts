import { Lazy } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { addCachedValidation, touch } from '../generation';
import { defaultName, namespaceOf } from '../names';
import { claimName } from '../registry';
import { TriggersResource } from './resource';
import { duplicates } from '../tekton/task';

/** A TriggerBinding a trigger can use. */
export interface ITriggerBinding extends IConstruct {
  /** Its name. */
  readonly bindingName: string;
}

/** Props for `TriggerBinding`. */
export interface TriggerBindingProps {
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

/** A Tekton Triggers `TriggerBinding`: maps fields of the event to params. */
export class TriggerBinding extends Construct implements ITriggerBinding {
  public readonly bindingName: string;
  /** The L1 object (escape hatch). */
  public readonly resource: TriggersResource;
  private readonly staticParams: Array<{ name: string; value: string }> = [];
  private readonly producers: Array<() => { [name: string]: string }> = [];

  constructor(scope: Construct, id: string, props: TriggerBindingProps = {}) {
    super(scope, id);
    this.bindingName = props.name ?? defaultName(this);
    claimName(this, 'TriggerBinding', namespaceOf(this, props.namespace), this.bindingName);
    for (const [name, value] of Object.entries(props.params ?? {})) this.addParam(name, value);
    this.resource = new TriggersResource(this, 'Resource', 'TriggerBinding',
      { name: this.bindingName, namespace: props.namespace },
      Lazy.any({ produce: () => ({ params: this.params }) }));
    addCachedValidation(this, () => [
      ...duplicates('binding param', this.params.map((p) => p.name)),
      ...this.params.filter((p) => /\$\((?!body|header|extensions)[^)]*\)/.test(p.value))
        .map((p) => `binding param '${p.name}' = '${p.value}': a binding can only read $(body.…), $(header.…) and $(extensions.…)`),
    ]);
  }

  /** Adds a param: `addParam('commit', '$(extensions.commit)')`. */
  public addParam(name: string, value: string): void {
    touch();
    this.staticParams.push({ name, value });
  }

  /** Adds params computed at synth time (e.g. from a Pipeline's derived params). */
  public addParamsFrom(produce: () => { [name: string]: string }): void {
    touch();
    this.producers.push(produce);
  }

  private get params(): Array<{ name: string; value: string }> {
    return [...this.staticParams, ...this.producers.flatMap((p) => Object.entries(p()).map(([name, value]) => ({ name, value })))];
  }

  /** The names of the params it binds. */
  public get paramNames(): string[] {
    return this.params.map((p) => p.name);
  }
}

import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { DNS_LABEL, crossNamespaceProblems } from '../internal/names';
import { problem } from '../problems';
import { Resource, ResourceProps } from '../resource';
import { Interceptor } from './interceptor';
import { TriggersResource } from './resource';
import { ITriggerBinding } from './trigger-binding';
import { ITriggerTemplate } from './trigger-template';

/** What a trigger does with a request: interceptors, then bindings into a template. */
export interface TriggerSpecOptions {
  /**
   * Interceptors, in order; the first that rejects the request stops it.
   * @default - none (every request fires)
   */
  readonly interceptors?: Interceptor[];
  /**
   * The bindings that give the template its params.
   * @default - none (the template's params then need defaults)
   */
  readonly bindings?: ITriggerBinding[];
  /** The template that creates the run. */
  readonly template: ITriggerTemplate;
}

/** An inline trigger of an EventListener. */
export interface EventListenerTriggerOptions extends TriggerSpecOptions {
  /** The trigger name (unique in the listener). */
  readonly name: string;
}

/**
 * Problems of a trigger's interceptors and references: a trigger finds its TriggerBindings and TriggerTemplate by
 * name in its own (the listener's) namespace only.
 * @internal
 */
export function triggerNamespaceProblems(options: TriggerSpecOptions, namespace: string | undefined, what: string): string[] {
  // (a ClusterTriggerBinding has no namespace, so it is never reported)
  return [
    // the interceptors' own problems are the trigger's: an interceptor is no construct
    ...(options.interceptors ?? []).flatMap((i) => i._problems()),
    ...(options.bindings ?? []).flatMap((b) => crossNamespaceProblems(what, 'TriggerBinding', b.name, b.namespace, namespace,
      `define the TriggerBinding in '${namespace}'`)),
    ...crossNamespaceProblems(what, 'TriggerTemplate', options.template.name, options.template.namespace, namespace,
      `define the TriggerTemplate in '${namespace}'`),
  ];
}

/**
 * A trigger name that is not a DNS label.
 * @internal
 */
export function triggerNameProblem(name: string): string {
  return problem('invalid-name', `trigger name '${name}' is not a DNS label`);
}

/** @internal */
export function renderTriggerSpec(options: TriggerSpecOptions) {
  return {
    interceptors: options.interceptors?.length ? options.interceptors.map((i) => i.render()) : undefined,
    bindings: options.bindings?.length ? options.bindings.map((b) => ({ ref: b.name, kind: b.bindingKind ?? 'TriggerBinding' })) : undefined,
    template: { ref: options.template.name },
  };
}

/** Props for `Trigger`. */
export interface TriggerProps extends TriggerSpecOptions, ResourceProps {
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

/** A standalone Tekton Triggers `Trigger`, shared by listeners through `EventListener.addTriggerRef`.
 *
 * @see https://tekton.dev/docs/triggers/triggers/
 */
export class Trigger extends Resource {
  /** The L1 object (escape hatch). */
  public readonly resource: TriggersResource;
  /** The template it fills (what its listener creates for it). */
  public readonly template: ITriggerTemplate;

  constructor(scope: Construct, id: string, props: TriggerProps) {
    super(scope, id, { kind: 'Trigger' }, props);
    this.template = props.template;
    this.resource = new TriggersResource(this, 'Resource', 'Trigger', this.resourceMetadata,
      Lazy.any({ produce: () => renderTriggerSpec(props) }));
    this.addValidation(() => [
      ...(DNS_LABEL.test(this.name) ? [] : [triggerNameProblem(this.name)]),
      ...triggerNamespaceProblems(props, this.namespace, `Trigger '${this.name}'`),
    ]);
  }
}

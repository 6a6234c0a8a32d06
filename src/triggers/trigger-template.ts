import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { cachedPerGeneration, touch } from '../internal/generation';
import { Resource, ResourceProps, IResource } from '../resource';
import { TriggersResource } from './resource';
import { duplicates, problem, suggest } from '../problems';
import { IStringable } from '../tekton/params';
import { referencesInValue } from '../tekton/references';

/** What the template reads of a resource template (any Kubernetes object as JSON): its kind and name. */
interface ResourceTemplateView {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly metadata?: { readonly name?: unknown; readonly generateName?: unknown };
}

/** A TriggerTemplate a trigger can use. */
export interface ITriggerTemplate extends IResource {
  /**
   * Its namespace (a trigger finds its template only in its listener's namespace).
   * @default - not known (not checked)
   */
  readonly namespace?: string;
  /**
   * The kinds of object it creates (`apiVersion` and `kind` of each resource template): the listener's
   * role grants `create` on these only.
   * @default - not known: Tekton's run kinds (PipelineRun, TaskRun)
   */
  readonly createdKinds?: Array<{ apiVersion: string; kind: string }>;
}

/** Options of a TriggerTemplate param. */
export interface TemplateParamOptions {
  /**
   * What it is.
   * @default - none
   */
  readonly description?: string;
  /**
   * The value when no binding gives one.
   * @default - none: a binding must give it
   */
  readonly default?: string;
}

/** A TriggerTemplate param; renders `$(tt.params.<name>)`. */
export class TemplateParam implements IStringable {
  /** @internal */
  constructor(public readonly name: string, public readonly options: TemplateParamOptions) {}
  public toString(): string {
    return `$(tt.params.${this.name})`;
  }
}

/** Props for `TriggerTemplate`. */
export interface TriggerTemplateProps extends ResourceProps {
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

/**
 * A Tekton Triggers `TriggerTemplate`: the objects (usually one PipelineRun) created for each event.
 * Runs here use `generateName`: Triggers creates them, so every event makes a new one.
 *
 * @see https://tekton.dev/docs/triggers/triggertemplates/
 */
export class TriggerTemplate extends Resource implements ITriggerTemplate {
  /** A TriggerTemplate that exists already, in the listener's namespace. */
  public static fromTriggerTemplateName(scope: Construct, id: string, name: string): ITriggerTemplate {
    return new ImportedTemplate(scope, id, name);
  }

  /** The L1 object (escape hatch). */
  public readonly resource: TriggersResource;
  private readonly staticParams: TemplateParam[] = [];
  private readonly producers: Array<() => { [name: string]: TemplateParamOptions }> = [];
  private readonly templates: Array<() => object> = [];
  /** The params, read once per change. */
  private readonly currentParams = cachedPerGeneration(this, () =>
    [...this.staticParams, ...this.producers.flatMap((p) => Object.entries(p()).map(([n, o]) => new TemplateParam(n, o)))]);

  /** Rendered once per change: validation and synthesis both read it. */
  private readonly renderSpec = cachedPerGeneration(this, () => this.computeSpec());

  constructor(scope: Construct, id: string, props: TriggerTemplateProps = {}) {
    super(scope, id, { kind: 'TriggerTemplate' }, props);
    this.resource = new TriggersResource(this, 'Resource', 'TriggerTemplate',
      this.resourceMetadata,
      Lazy.any({ produce: () => this.renderSpec() }));
    this.addValidation(() => this.validateTemplate());
  }

  /** Declares a param; the reference renders `$(tt.params.<name>)`. */
  public addParam(name: string, options: TemplateParamOptions = {}): TemplateParam {
    touch(this);
    const p = new TemplateParam(name, options);
    this.staticParams.push(p);
    return p;
  }

  /** Adds params computed at synth time (e.g. from a Pipeline's derived params). */
  public addParamsFrom(produce: () => { [name: string]: TemplateParamOptions }): void {
    touch(this);
    this.producers.push(produce);
  }

  private get params(): TemplateParam[] {
    return this.currentParams();
  }

  /**
   * Adds an object to create per event: a Kubernetes object as JSON (`apiVersion`, `kind`, `metadata`, `spec`), or a
   * function that returns one when the template renders (so it may read late additions).
   */
  public addResourceTemplate(template: object | (() => object)): void {
    touch(this);
    this.templates.push(typeof template === 'function' ? template as () => object : () => template);
  }

  /** The kinds of object it creates, from its resource templates. */
  public get createdKinds(): Array<{ apiVersion: string; kind: string }> {
    return this.renderSpec().resourcetemplates
      .filter((t): t is { apiVersion: string; kind: string } => typeof t?.apiVersion === 'string' && typeof t?.kind === 'string')
      .map((t) => ({ apiVersion: t.apiVersion, kind: t.kind }));
  }

  /** The declared param names. */
  public get paramNames(): string[] {
    return this.params.map((p) => p.name);
  }

  private computeSpec() {
    return {
      params: this.params.length
        ? this.params.map((p) => ({ name: p.name, description: p.options.description, default: p.options.default }))
        : undefined,
      resourcetemplates: this.templates.map((t) => t() as ResourceTemplateView),
    };
  }

  private validateTemplate(): string[] {
    const errors = duplicates('template param', this.params.map((p) => p.name));
    const spec = this.renderSpec();
    if (spec.resourcetemplates.length === 0) errors.push(problem('no-resource-templates', 'a TriggerTemplate needs at least one resource template: addResourceTemplate(…)'));
    spec.resourcetemplates.forEach((t, i) => {
      if (/Run$/.test(String(t?.kind ?? '')) && t.metadata?.name && !t.metadata?.generateName && !String(t.metadata.name).includes('$(tt.params.')) {
        errors.push(problem('fixed-run-name', `resourcetemplates[${i}] (${t.kind}) has a fixed name: the second event would fail to create it, ` +
          'use metadata.generateName, or a name from the event ($(tt.params.…)) to create one run per event value'));
      }
    });
    const names = this.paramNames;
    for (const ref of referencesInValue(spec.resourcetemplates, 'resourcetemplates')) {
      if (ref.root === 'tt' && ref.path[0] === 'params' && !names.includes(ref.path[1])) {
        errors.push(problem('unknown-reference', `${ref.location} references ${ref.text}, but the template has no param '${ref.path[1]}': ${suggest(ref.path[1] ?? '', names, 'addParam')}`));
      }
    }
    return errors;
  }
}

class ImportedTemplate extends Construct implements ITriggerTemplate {
  constructor(scope: Construct, id: string, public readonly name: string) {
    super(scope, id);
  }
}

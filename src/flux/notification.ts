import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { FluxObjectProps, IFluxEventSource, eventSourceProblems } from './event-source';
import * as l1 from '../../imports/notification.toolkit.fluxcd.io';
import { touch } from '../internal/generation';
import { secretNameProblem, urlProblem } from '../internal/validation';
import { problem } from '../problems';
import { Resource, fasterL1, IResource } from '../resource';

// The L1s render through renderApiObject: the same objects as the generated toJson, faster (see resource.ts).
const ProviderResource = fasterL1(l1.Provider, l1.toJson_ProviderProps);
const AlertResource = fasterL1(l1.Alert, l1.toJson_AlertProps);
const ReceiverResource = fasterL1(l1.Receiver, l1.toJson_ReceiverProps);

/** A Flux notification Provider an Alert can send to. */
export interface IProvider extends IResource {
  /** Its namespace. */
  readonly namespace: string;
}

/** Props for `Provider`. */
export interface ProviderProps extends FluxObjectProps {
  /**
   * The provider type.
   * @default ProviderType.GENERIC (an HTTP POST of the event JSON)
   */
  readonly type?: l1.ProviderSpecType;
  /** Where to send events, e.g. an EventListener's URL. */
  readonly address: string;
  /**
   * An existing Secret (by name): for `generic`, a `headers` key adds HTTP headers (e.g. a shared token);
   * for `generic-hmac`, a `token` key signs the body.
   * @default - none
   */
  readonly secretName?: string;
  /**
   * An existing Secret (by name) whose `ca.crt` key holds the CA that signed the address's TLS certificate.
   * @default - the system's CAs
   */
  readonly certSecretName?: string;
}

/** Options of `Provider.fromProviderName`. */
export interface ProviderRefOptions {
  /**
   * Its namespace.
   * @default 'flux-system'
   */
  readonly namespace?: string;
}

class ImportedProvider extends Construct implements IProvider {
  constructor(scope: Construct, id: string, public readonly name: string, public readonly namespace: string) {
    super(scope, id);
  }
}

/** A Flux notification `Provider` (`notification.toolkit.fluxcd.io/v1beta3`).
 *
 * @see https://fluxcd.io/flux/components/notification/providers/
 */
export class Provider extends Resource implements IProvider {
  /** A Provider that exists already. */
  public static fromProviderName(scope: Construct, id: string, name: string, options: ProviderRefOptions = {}): IProvider {
    return new ImportedProvider(scope, id, name, options.namespace ?? 'flux-system');
  }

  declare public readonly namespace: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.Provider;

  constructor(scope: Construct, id: string, props: ProviderProps) {
    super(scope, id, { kind: 'Provider', flux: true }, props);
    this.resource = new ProviderResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: {
        type: props.type ?? l1.ProviderSpecType.GENERIC,
        address: props.address,
        secretRef: props.secretName ? { name: props.secretName } : undefined,
        certSecretRef: props.certSecretName ? { name: props.certSecretName } : undefined,
      },
    });
    // an empty name would be dropped (no header, no CA) instead of failing: it is an error like any invalid one
    this.addValidation(() => [
      urlProblem('address', props.address),
      props.secretName === undefined ? undefined : secretNameProblem('secretName', props.secretName),
      props.certSecretName === undefined ? undefined : secretNameProblem('certSecretName', props.certSecretName),
    ].filter((p): p is string => !!p));
  }
}

/** Which events an Alert sends. */
export class EventSeverity {
  /** Every event (the default): new revisions, reconciliations, failures. */
  public static readonly INFO = new EventSeverity('info');
  /** Failures only. */
  public static readonly ERROR = new EventSeverity('error');

  private constructor(
    /** The value Flux reads (`spec.eventSeverity`). */
    public readonly value: 'info' | 'error',
  ) {}
}

/** Props for `Alert`. */
export interface AlertProps extends FluxObjectProps {
  /** Where to send. */
  readonly provider: IProvider;
  /** The objects whose events are sent. */
  readonly eventSources: IFluxEventSource[];
  /**
   * `info` sends every event, `error` only failures.
   * @default 'info'
   */
  readonly eventSeverity?: EventSeverity;
  /**
   * Regexes: only events whose message matches one are sent.
   * @default - all
   */
  readonly inclusionList?: string[];
  /**
   * Regexes: events whose message matches one are not sent.
   * @default - none
   */
  readonly exclusionList?: string[];
  /**
   * Metadata Flux adds to every event it forwards (over the event's own annotations' keys), e.g. the cluster's name.
   * @default - none
   */
  readonly eventMetadata?: { [key: string]: string };
  /**
   * The object name.
   * @default - the construct ids below the chart, joined by '-'
   */
  readonly name?: string;
  /**
   * The namespace (must be the Provider's).
   * @default - the provider's namespace
   */
  readonly namespace?: string;
}

/** A Flux notification `Alert` (`notification.toolkit.fluxcd.io/v1beta3`).
 *
 * @see https://fluxcd.io/flux/components/notification/alerts/
 */
export class Alert extends Resource {
  declare public readonly namespace: string;
  private emptyReportedElsewhere = false;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.Alert;

  constructor(scope: Construct, id: string, props: AlertProps) {
    super(scope, id, { kind: 'Alert', flux: true }, { ...props, namespace: props.namespace ?? props.provider.namespace });
    this.resource = new AlertResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: Lazy.any({
        produce: (): l1.AlertSpec => ({
          providerRef: { name: props.provider.name },
          eventSeverity: (props.eventSeverity ?? EventSeverity.INFO).value as l1.AlertSpecEventSeverity,
          eventSources: props.eventSources.map((s) => ({
            kind: s.kind as l1.AlertSpecEventSourcesKind,
            name: s.name,
            namespace: s.namespace,
          })),
          inclusionList: props.inclusionList,
          exclusionList: props.exclusionList,
          eventMetadata: props.eventMetadata,
        }),
      }) as any,
    });
    this.addValidation(() => [
      ...props.eventSources.flatMap(eventSourceProblems),
      ...(props.provider.namespace !== this.namespace
        ? [problem('cross-namespace-reference',
          `provider '${props.provider.name}' is in namespace '${props.provider.namespace}': an Alert must be in its Provider's namespace`)] : []),
      ...(props.eventSources.length || this.emptyReportedElsewhere ? [] : [problem('no-event-sources', 'an Alert needs at least one event source')]),
    ]);
  }

  /** Whether the sources that would have filled it were refused with an error of their own (one mistake, one error). @internal */
  public get _emptyReportedElsewhere(): boolean {
    return this.emptyReportedElsewhere;
  }

  /** @internal */
  public set _emptyReportedElsewhere(value: boolean) {
    // the validation reads it: a cached result is computed again
    touch(this);
    this.emptyReportedElsewhere = value;
  }
}

/** Props for `Receiver`. */
export interface ReceiverProps extends FluxObjectProps {
  /** The webhook type, e.g. `github`, `gitlab`, `generic`, `generic-hmac`. */
  readonly type: l1.ReceiverSpecType;
  /** The objects to reconcile when the webhook is called. */
  readonly resources: IFluxEventSource[];
  /** An existing Secret (by name) with the `token` that protects the webhook URL. */
  readonly secretName: string;
  /**
   * Event types to accept (e.g. `push` for GitHub).
   * @default - all
   */
  readonly events?: string[];
}

/** A Flux notification `Receiver` (`notification.toolkit.fluxcd.io/v1`): a webhook that makes Flux fetch now.
 *
 * @see https://fluxcd.io/flux/components/notification/receivers/
 */
export class Receiver extends Resource {
  declare public readonly namespace: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.Receiver;

  constructor(scope: Construct, id: string, props: ReceiverProps) {
    super(scope, id, { kind: 'Receiver', flux: true }, props);
    this.resource = new ReceiverResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: {
        type: props.type,
        events: props.events,
        secretRef: { name: props.secretName },
        resources: props.resources.map((r) => ({ kind: r.kind as l1.ReceiverSpecResourcesKind, name: r.name, namespace: r.namespace })),
      },
    });
    this.addValidation(() => [
      ...props.resources.flatMap(eventSourceProblems),
      ...[secretNameProblem('secretName', props.secretName)].filter((p): p is string => !!p),
    ]);
  }
}

export { ProviderSpecType as ProviderType, ReceiverSpecType as ReceiverType } from '../../imports/notification.toolkit.fluxcd.io';

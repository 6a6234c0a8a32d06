import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FluxObjectProps, IFluxEventSource, eventSourceProblems } from './event-source';
import * as l1 from '../../imports/notification.toolkit.fluxcd.io';
import { touch } from '../internal/generation';
import { lazy } from '../internal/lazy';
import { reference, urlProblem } from '../internal/validation';
import { problem } from '../problems';
import { Resource, fasterL1, IResource } from '../resource';
import { ImportedFluxObject } from './imported';

// The L1s render through renderApiObject: the same objects as the generated toJson, faster (see resource.ts).
const ProviderResource = fasterL1(l1.Provider, l1.toJson_ProviderProps);
const AlertResource = fasterL1(l1.Alert, l1.toJson_AlertProps);
const ReceiverResource = fasterL1(l1.Receiver, l1.toJson_ReceiverProps);

/** What a Provider sends events to (its `spec.type`): the services Flux's notification-controller posts to. */
export class ProviderType {
  /** Slack. */
  public static readonly SLACK = new ProviderType('slack');
  /** Discord. */
  public static readonly DISCORD = new ProviderType('discord');
  /** Microsoft Teams. */
  public static readonly MSTEAMS = new ProviderType('msteams');
  /** Rocket.Chat. */
  public static readonly ROCKET = new ProviderType('rocket');
  /** An HTTP POST of the event JSON (a `headers` key of the Secret adds headers). */
  public static readonly GENERIC = new ProviderType('generic');
  /** An HTTP POST of the event JSON, signed with the Secret's `token` (`X-Signature`). */
  public static readonly GENERIC_HMAC = new ProviderType('generic-hmac');
  /** GitHub commit statuses. */
  public static readonly GITHUB = new ProviderType('github');
  /** GitLab commit statuses. */
  public static readonly GITLAB = new ProviderType('gitlab');
  /** Gitea commit statuses. */
  public static readonly GITEA = new ProviderType('gitea');
  /** Comments on Gitea pull requests. */
  public static readonly GITEA_PULL_REQUEST_COMMENT = new ProviderType('giteapullrequestcomment');
  /** Bitbucket Server commit statuses. */
  public static readonly BITBUCKET_SERVER = new ProviderType('bitbucketserver');
  /** Bitbucket Cloud commit statuses. */
  public static readonly BITBUCKET = new ProviderType('bitbucket');
  /** Azure DevOps commit statuses. */
  public static readonly AZURE_DEVOPS = new ProviderType('azuredevops');
  /** Google Chat. */
  public static readonly GOOGLE_CHAT = new ProviderType('googlechat');
  /** Google Cloud Pub/Sub. */
  public static readonly GOOGLE_PUBSUB = new ProviderType('googlepubsub');
  /** Webex. */
  public static readonly WEBEX = new ProviderType('webex');
  /** Sentry. */
  public static readonly SENTRY = new ProviderType('sentry');
  /** Azure Event Hubs. */
  public static readonly AZURE_EVENT_HUB = new ProviderType('azureeventhub');
  /** Telegram. */
  public static readonly TELEGRAM = new ProviderType('telegram');
  /** Lark. */
  public static readonly LARK = new ProviderType('lark');
  /** Matrix. */
  public static readonly MATRIX = new ProviderType('matrix');
  /** Opsgenie alerts. */
  public static readonly OPSGENIE = new ProviderType('opsgenie');
  /** Prometheus Alertmanager. */
  public static readonly ALERTMANAGER = new ProviderType('alertmanager');
  /** Grafana annotations. */
  public static readonly GRAFANA = new ProviderType('grafana');
  /** GitHub repository dispatch events. */
  public static readonly GITHUB_DISPATCH = new ProviderType('githubdispatch');
  /** Comments on GitHub pull requests. */
  public static readonly GITHUB_PULL_REQUEST_COMMENT = new ProviderType('githubpullrequestcomment');
  /** Comments on GitLab merge requests. */
  public static readonly GITLAB_MERGE_REQUEST_COMMENT = new ProviderType('gitlabmergerequestcomment');
  /** PagerDuty. */
  public static readonly PAGERDUTY = new ProviderType('pagerduty');
  /** Datadog events. */
  public static readonly DATADOG = new ProviderType('datadog');
  /** A NATS subject. */
  public static readonly NATS = new ProviderType('nats');
  /** Zulip. */
  public static readonly ZULIP = new ProviderType('zulip');
  /** OpenTelemetry traces. */
  public static readonly OTEL = new ProviderType('otel');

  private constructor(
    /** The value Flux reads (`spec.type`). */
    public readonly value: string,
  ) {}
}

/** Who calls a Receiver's webhook (its `spec.type`), which decides how the call is verified. */
export class ReceiverType {
  /** Any caller that knows the URL (its path holds a digest of the token). */
  public static readonly GENERIC = new ReceiverType('generic');
  /** A caller that signs the body with the token (`X-Signature`). */
  public static readonly GENERIC_HMAC = new ReceiverType('generic-hmac');
  /** A caller with an OIDC token. */
  public static readonly GENERIC_OIDC = new ReceiverType('generic-oidc');
  /** GitHub webhooks (signed with the token). */
  public static readonly GITHUB = new ReceiverType('github');
  /** GitLab webhooks (the token in `X-Gitlab-Token`). */
  public static readonly GITLAB = new ReceiverType('gitlab');
  /** Bitbucket Server webhooks. */
  public static readonly BITBUCKET = new ReceiverType('bitbucket');
  /** Harbor webhooks. */
  public static readonly HARBOR = new ReceiverType('harbor');
  /** Docker Hub webhooks. */
  public static readonly DOCKERHUB = new ReceiverType('dockerhub');
  /** Quay webhooks. */
  public static readonly QUAY = new ReceiverType('quay');
  /** Google Container Registry (Pub/Sub push). */
  public static readonly GCR = new ReceiverType('gcr');
  /** Sonatype Nexus webhooks. */
  public static readonly NEXUS = new ReceiverType('nexus');
  /** Azure Container Registry webhooks. */
  public static readonly ACR = new ReceiverType('acr');
  /** CDEvents. */
  public static readonly CDEVENTS = new ReceiverType('cdevents');

  private constructor(
    /** The value Flux reads (`spec.type`). */
    public readonly value: string,
  ) {}
}

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
  readonly type?: ProviderType;
  /** Where to send events, e.g. an EventListener's URL. */
  readonly address: string;
  /**
   * An existing Secret (by name): for `generic`, a `headers` key adds HTTP headers (e.g. a shared token);
   * for `generic-hmac`, a `token` key signs the body.
   * @default - none
   */
  readonly secretName?: string;
  /**
   * The same Secret as a cdk8s-plus object (`kplus.Secret.fromSecretName(…)` or one of the app's). One of this and `secretName`.
   * @default - `secretName`
   */
  readonly secret?: kplus.ISecret;
  /**
   * An existing Secret (by name) whose `ca.crt` key holds the CA that signed the address's TLS certificate.
   * @default - the system's CAs
   */
  readonly certSecretName?: string;
  /**
   * The same CA Secret as a cdk8s-plus object. One of this and `certSecretName`.
   * @default - `certSecretName`
   */
  readonly certSecret?: kplus.ISecret;
}

/** Options of `Provider.fromProviderName`. */
export interface ProviderRefOptions {
  /**
   * Its namespace.
   * @default 'flux-system'
   */
  readonly namespace?: string;
}

/** A Flux notification `Provider` (`notification.toolkit.fluxcd.io/v1beta3`).
 *
 * @see https://fluxcd.io/flux/components/notification/providers/
 */
export class Provider extends Resource implements IProvider {
  /** A Provider that exists already. */
  public static fromProviderName(scope: Construct, id: string, name: string, options: ProviderRefOptions = {}): IProvider {
    return new ImportedFluxObject(scope, id, name, options.namespace ?? 'flux-system');
  }

  declare public readonly namespace: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.Provider;

  constructor(scope: Construct, id: string, props: ProviderProps) {
    super(scope, id, { kind: 'Provider', flux: true }, props);
    const secret = reference({ kind: 'Secret', objectProp: 'secret', nameProp: 'secretName' }, props.secret, props.secretName);
    const cert = reference({ kind: 'Secret', objectProp: 'certSecret', nameProp: 'certSecretName' }, props.certSecret, props.certSecretName);
    this.resource = new ProviderResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: {
        type: (props.type ?? ProviderType.GENERIC).value as l1.ProviderSpecType,
        address: props.address,
        secretRef: secret.name ? { name: secret.name } : undefined,
        certSecretRef: cert.name ? { name: cert.name } : undefined,
      },
    });
    // an empty name would be dropped (no header, no CA) instead of failing: it is an error like any invalid one
    this.addValidation(() => [
      ...[urlProblem('address', props.address)].filter((p): p is string => !!p),
      ...secret.problems,
      ...cert.problems,
    ]);
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
      spec: lazy((): l1.AlertSpec => ({
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
      })),
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
  /** The webhook type, e.g. `ReceiverType.GITHUB`, `ReceiverType.GENERIC_HMAC`. */
  readonly type: ReceiverType;
  /** The objects to reconcile when the webhook is called. */
  readonly resources: IFluxEventSource[];
  /**
   * An existing Secret (by name) with the `token` that protects the webhook URL. One of this and `secret`.
   * @default - `secret`'s
   */
  readonly secretName?: string;
  /**
   * The same Secret as a cdk8s-plus object (`kplus.Secret.fromSecretName(…)` or one of the app's). One of this and `secretName`.
   * @default - `secretName`
   */
  readonly secret?: kplus.ISecret;
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
    const secret = reference({ kind: 'Secret', objectProp: 'secret', nameProp: 'secretName' }, props.secret, props.secretName);
    this.resource = new ReceiverResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: {
        type: props.type.value as l1.ReceiverSpecType,
        events: props.events,
        secretRef: { name: secret.name! },
        resources: props.resources.map((r) => ({ kind: r.kind as l1.ReceiverSpecResourcesKind, name: r.name, namespace: r.namespace })),
      },
    });
    this.addValidation(() => [
      ...props.resources.flatMap(eventSourceProblems),
      ...secret.name === undefined ? [problem('missing-prop', "no Secret: give secretName (or secret), a Secret whose key 'token' protects the webhook")] : [],
      ...secret.problems,
    ]);
  }
}


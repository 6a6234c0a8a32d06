import { Chart } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { ListenerAuthentication, SharedTokenAuthentication } from './listener-authentication';
import { ListenerExposure } from './listener-exposure';
import { ListenerTokenSource } from './listener-token-source';
import { Cluster, nameSpaceOf } from '../app/cluster';
import { IFluxEventSource, eventSourceProblems } from '../flux/event-source';
import { Alert, EventSeverity, Provider } from '../flux/notification';
import { toDnsLabel } from '../internal/names';
import { headerNameProblem, secretKeyProblem, secretNameProblem } from '../internal/validation';
import { problem } from '../problems';
import { EventListener, ListenerClient } from '../triggers/event-listener';
import { Trigger, TriggerSpecOptions } from '../triggers/trigger';

/** HTTPS between Flux's notification-controller and the listener. */
export interface FluxListenerTls {
  /** An existing `kubernetes.io/tls` Secret in the listener's namespace: the listener's certificate and key. */
  readonly listenerSecretName: string;
  /** An existing Secret in the listener's namespace (where its Provider is) whose `ca.crt` holds the CA that signed it. */
  readonly providerCaSecretName: string;
}

/** The label by which a listener selects its `Trigger` objects. */
export const LISTENER_LABEL = 'cdk8s-tekton-flux/listener';

/**
 * Who lets the listener read what Triggers' listener code watches cluster-wide (ClusterInterceptors and
 * ClusterTriggerBindings).
 */
export class ListenerClusterAccess {
  /** A ClusterRole and ClusterRoleBinding of the listener's own, in dist/ (the default). */
  public static own(): ListenerClusterAccess {
    return new ListenerClusterAccess(true);
  }

  /**
   * The platform grants it (e.g. with `ListenerPlatformAccess` in its own app): the listener's dist/ holds no
   * cluster-scoped object, so that it applies under a tenant-restricted Flux (a Kustomization with a
   * `serviceAccountName` that has no cluster rights).
   */
  public static grantedByPlatform(): ListenerClusterAccess {
    return new ListenerClusterAccess(false);
  }

  private constructor(
    /** Whether the listener's own ClusterRole and binding are written. */
    public readonly ownClusterRole: boolean,
  ) {}
}

/** Props for `FluxListener`. */
export interface FluxListenerProps {
  /**
   * The listener's name (at most 60 characters: its Service is `el-<name>`).
   * @default 'flux-events'
   */
  readonly name?: string;
  /**
   * The namespace of the listener, its Triggers and the runs.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * Who may call the listener (a NetworkPolicy admits only them).
   * @default - Flux's notification-controller: pods `app: notification-controller` in `flux-system`
   */
  readonly allowedClients?: ListenerClient[];
  /**
   * How the listener authenticates Flux's requests (`ListenerAuthentication.unauthenticated()` to opt out).
   * @default ListenerAuthentication.sharedToken(): one Secret `<name>-flux-token` in the listener's namespace,
   * with the keys `headers` (what the Provider sends) and `token` (what the listener compares)
   */
  readonly authentication?: ListenerAuthentication;
  /**
   * HTTPS between Flux and the listener (the Providers then verify the listener's certificate).
   * @default - plain HTTP inside the cluster
   */
  readonly tls?: FluxListenerTls;
  /**
   * Who grants the listener its cluster-wide reads.
   * @default ListenerClusterAccess.own()
   */
  readonly clusterAccess?: ListenerClusterAccess;
  /**
   * Where the token Secret comes from: `ListenerTokenSource.externalSecretsPassword()` makes `dist/` bring it
   * (External Secrets Operator generates it in the cluster), so that no Secret is created by hand.
   * @default ListenerTokenSource.createdByHand()
   */
  readonly tokenSource?: ListenerTokenSource;
  /**
   * The HTTPS URL at which the notification-controllers of other clusters reach the listener (`Cluster`): a
   * source in another cluster than the listener gets its Provider and Alert there, posting to this URL with a
   * token of its cluster's own. `exposure` routes the URL to the listener.
   * @default - reachable inside its cluster only (a source in another cluster is an error)
   */
  readonly externalUrl?: string;
  /**
   * What routes `externalUrl` to the listener in its cluster.
   * @default ListenerExposure.ingress()
   */
  readonly exposure?: ListenerExposure;
  /**
   * A Secret in each other cluster's Provider namespace whose `ca.crt` holds the CA of `externalUrl`'s certificate.
   * @default - the system's CAs (a publicly trusted certificate)
   */
  readonly externalCaSecretName?: string;
}

/** The events of one cluster's sources: the Provider and Alert that send them (in that cluster), and what they list. */
interface FluxSide {
  readonly provider: Provider;
  readonly alert: Alert;
  readonly sources: IFluxEventSource[];
  readonly keys: Set<string>;
}

/** The shared-token settings of a listener, with their defaults (both Secrets in the listener's namespace). */
export interface ListenerToken {
  /** The Secret whose `headers` key the Provider sends. */
  readonly providerSecretName: string;
  /** The Secret the listener compares against (Triggers v0.37's `compareSecret` reads the listener's namespace only). */
  readonly listenerSecretName: string;
  /** The key of the token in the compared Secret. */
  readonly listenerSecretKey: string;
  /** The header that carries the token. */
  readonly header: string;
}

/** The default listener's name. */
export const DEFAULT_LISTENER_NAME = 'flux-events';

/**
 * One Tekton Triggers EventListener for any number of pipelines: every `FluxTriggeredPipeline` (and `addPipeline`,
 * and `Promotion` step) that joins it adds one `Trigger` object (its filters, binding and template), which the
 * listener selects by the label `cdk8s-tekton-flux/listener`, so that the EventListener object stays small
 * however many pipelines join (Triggers' `spec.labelSelector`). Flux's side is shared too: one `Provider` and
 * one `Alert` listing every source, in the listener's namespace, and one Secret to create (see the README's
 * "Security"). By default every FluxTriggeredPipeline of an app joins its namespace's
 * listener (`FluxListener.of`), created on first use.
 */
export class FluxListener extends Construct {
  /**
   * The default listener of `namespace` in the cluster (else the app) of `scope`: the FluxListener named `flux-events`
   * there (one created by an earlier call, or by the app itself, e.g. to give it a `tokenSource`), else a new one in
   * the chart of `scope`.
   */
  public static of(scope: IConstruct, namespace: string): FluxListener {
    const root = nameSpaceOf(scope);
    let registry = REGISTRIES.get(root);
    if (!registry) {
      registry = new Map();
      REGISTRIES.set(root, registry);
    }
    const known = registry.get(namespace);
    if (known) return known;
    const chart = scope.node.scopes.reverse().find((c): c is Chart => c instanceof Chart);
    if (!chart) {
      throw new Error(`[${scope.node.path || '<app>'}] FluxListener.of needs a scope inside a Chart (the listener is created in it): ` +
        'pass a chart or a construct of one');
    }
    // registers itself (see the constructor)
    return constructed('default', () => new FluxListener(chart, `flux-listener-${namespace}`, { namespace }));
  }

  /** The listener's name. */
  public readonly name: string;
  /** Its namespace (of its Triggers and runs too). */
  public readonly namespace: string;
  /** The EventListener. */
  public readonly eventListener: EventListener;
  private readonly props: FluxListenerProps;
  /** Who made it: the app (`new FluxListener`), `FluxListener.of`, or a pipeline for itself. */
  private readonly origin: ListenerOrigin;
  /** Per cluster of sources (undefined: the listener's own cluster, or an app without clusters). */
  private readonly flux = new Map<Cluster | undefined, FluxSide>();

  constructor(scope: Construct, id: string, props: FluxListenerProps = {}) {
    super(scope, id);
    this.props = props;
    this.name = props.name ?? DEFAULT_LISTENER_NAME;
    const namespace = props.namespace ?? Chart.of(this).namespace;
    if (!namespace) throw new Error(`[${this.node.path}] the listener needs a namespace: set \`namespace\`, or give the chart one`);
    this.namespace = namespace;
    const problems = propProblems(props);
    this.node.addValidation({ validate: () => problems });
    this.origin = origin;
    // the namespace's default listener is the one named flux-events: the pipelines that name no listener join it
    // (a pipeline's listener of its own never is, whatever its name)
    if (this.name === DEFAULT_LISTENER_NAME && origin !== 'pipeline') {
      const space = nameSpaceOf(this);
      const registry = REGISTRIES.get(space) ?? REGISTRIES.set(space, new Map()).get(space)!;
      const first = registry.get(namespace);
      if (first) {
        problems.push(problem('name-clash', `the listener '${DEFAULT_LISTENER_NAME}' of namespace '${namespace}' is ${first.node.path} already (pipelines that name no ` +
          'listener join it): create this FluxListener before those pipelines, so that they join it, or give it another name'));
      } else {
        registry.set(namespace, this);
      }
    }
    const token = this.token;
    if (token && !problems.length) {
      const source = props.tokenSource ?? ListenerTokenSource.createdByHand();
      source._render(this, namespace, token.listenerSecretName, token.header, token.listenerSecretKey);
    }
    const exposure = props.externalUrl === undefined ? undefined : props.exposure ?? ListenerExposure.ingress();
    const clients = props.allowedClients ?? [{ namespace: 'flux-system', podLabels: { app: 'notification-controller' } }];
    this.eventListener = new EventListener(this, 'EventListener', {
      name: this.name,
      namespace,
      // other clusters' notification-controllers come through the ingress (or gateway) controller
      allowedClients: exposure ? [...clients, exposure.controller] : clients,
      // an invalid name is reported once, here, in the words of this construct's props
      tls: props.tls && { secretName: reported(props.tls.listenerSecretName, secretNameProblem) },
      triggerSelector: { [LISTENER_LABEL]: this.name },
      ownClusterRole: (props.clusterAccess ?? ListenerClusterAccess.own()).ownClusterRole,
    });
    const url = props.externalUrl === undefined ? undefined : parseUrl(props.externalUrl);
    if (exposure && url && !problems.length) exposure._render(this, this.name, namespace, url, `el-${this.name}`, 8080);
  }

  /** The cluster the listener is in (undefined in an app without clusters). */
  public get cluster(): Cluster | undefined {
    return Cluster.of(this);
  }

  /**
   * The token settings for the events of `source`: the listener's own (`token`) for a source of its cluster; for
   * a source in another cluster, a token of that cluster's own, so that one cluster cannot post as another: Secret
   * `<name>-<listener's cluster>-<namespace>-flux-token` in that cluster (its Provider's, with `headers`) and
   * `<secret>-<source's cluster>` beside the listener (with the token key), of one value.
   */
  public tokenFor(source: IFluxEventSource): ListenerToken | undefined {
    const token = this.token;
    const remote = this.remoteCluster(source);
    if (!token || !remote) return token;
    return {
      ...token,
      // in the source's cluster, named after this listener (its cluster and namespace too): a cluster whose events
      // reach two listeners holds two tokens, and neither listener's can post to the other
      providerSecretName: toDnsLabel(`${this.remoteName()}-flux-token`, 253),
      // beside the listener, named after the source's cluster
      listenerSecretName: toDnsLabel(`${token.listenerSecretName}-${remote.name}`, 253),
    };
  }

  /** The name of this listener's Provider and Alert in another cluster: `<name>-<cluster>-<namespace>`. */
  private remoteName(): string {
    return toDnsLabel(`${this.name}-${this.cluster?.name ?? 'listener'}-${this.namespace}`);
  }

  /**
   * The cluster whose name the events of `source` carry in their metadata (`cluster`, added by the Alert's
   * `eventMetadata`), or undefined in an app without clusters.
   */
  public clusterTagOf(source: IFluxEventSource): string | undefined {
    return (Cluster.of(source) ?? this.cluster)?.name;
  }

  /** The source's cluster when it is another than the listener's. */
  private remoteCluster(source: IFluxEventSource): Cluster | undefined {
    const theirs = Cluster.of(source);
    return theirs && theirs !== this.cluster ? theirs : undefined;
  }

  /**
   * The shared-token settings, or undefined when the listener is unauthenticated. By default one Secret,
   * `<name>-flux-token` in the listener's namespace, holds both keys: `headers` (what the Provider sends) and
   * `token` (what the listener's filters compare).
   */
  public get token(): ListenerToken | undefined {
    return resolvedToken(this.props);
  }

  /**
   * Makes the events of `source` reach the listener: the listener's one Alert (created on first use, with its
   * Provider, in the listener's namespace) lists it as an event source. Returns that Provider and Alert. A source
   * of an unknown kind is an error of `reportedBy` (the construct that was given it), and is left out of the Alert.
   */
  public addSource(source: IFluxEventSource, reportedBy: IConstruct = this): { provider: Provider; alert: Alert } {
    const remote = this.remoteCluster(source);
    const side = remote ? this.remoteSide(remote, source, reportedBy) : this.localSide();
    const problems = eventSourceProblems(source);
    if (problems.length) {
      reportedBy.node.addValidation({ validate: () => problems });
      side.alert._emptyReportedElsewhere = true;
      return side;
    }
    const key = `${source.kind}/${source.namespace}/${source.name}`;
    if (!side.keys.has(key)) {
      side.keys.add(key);
      side.sources.push(source);
    }
    return side;
  }

  /** The Provider and Alert of the listener's own cluster, created on first use. */
  private localSide(): FluxSide {
    const known = this.flux.get(undefined);
    if (known) return known;
    const token = this.token;
    // In the listener's namespace, not the sources': the Provider's Secret is then the listener's own (one
    // Secret for both keys), and a team writes nothing into Flux's namespace. The Alert names its sources with
    // their namespaces, which Flux allows unless notification-controller runs with --no-cross-namespace-refs.
    const provider = new Provider(this, 'Provider', {
      name: this.name,
      namespace: this.namespace,
      address: this.eventListener.url,
      secretName: token && reported(token.providerSecretName, secretNameProblem),
      certSecretName: this.props.tls && reported(this.props.tls.providerCaSecretName, secretNameProblem),
    });
    // the Alert renders this list when it synthesizes: sources added later are in it
    const sources: IFluxEventSource[] = [];
    const cluster = this.cluster;
    const alert = new Alert(this, 'Alert', {
      name: this.name, provider, eventSources: sources, eventSeverity: EventSeverity.INFO, eventMetadata: cluster && { cluster: cluster.name },
    });
    const side = { provider, alert, sources, keys: new Set<string>() };
    this.flux.set(undefined, side);
    return side;
  }

  /**
   * The Provider and Alert in another cluster (in the chart and namespace of its first source), named
   * `<name>-<listener's cluster>-<namespace>`: they post to `externalUrl` with that cluster's own token, and tag its
   * events with its name.
   */
  private remoteSide(cluster: Cluster, source: IFluxEventSource, reportedBy: IConstruct): FluxSide {
    const known = this.flux.get(cluster);
    if (known) return known;
    const errors: string[] = [];
    const where = `${source.kind} '${source.namespace}/${source.name}' is in cluster '${cluster.name}', the listener ${this.node.path} in ` +
      `'${this.cluster?.name ?? '(none)'}'`;
    if (this.props.externalUrl === undefined) {
      errors.push(problem('missing-prop', this.origin === 'default'
        ? `${where}, the namespace's listener, which no other cluster can reach: create it yourself, before the pipelines that join it, ` +
          `with the URL ${cluster.name}'s notification-controller can reach: new FluxListener(chart, 'listener', { externalUrl: 'https://…' }) ` +
          '(named flux-events, the namespace\'s listener), or pass `listener`'
        : `${where}: give the FluxListener an \`externalUrl\` (https://…) that ${cluster.name}'s notification-controller can reach`));
    }
    if (!this.token) {
      errors.push(problem('unauthenticated-listener', `${where}, and the listener is unauthenticated: across clusters anyone who reaches the URL could start runs; ` +
        'authenticate it with ListenerAuthentication.sharedToken()'));
    }
    if (errors.length) reportedBy.node.addValidation({ validate: () => errors });
    const token = this.tokenFor(source);
    const scope = Chart.of(source);
    const name = this.remoteName();
    let id = `FluxListener-${name}`;
    for (let i = 2; scope.node.tryFindChild(id); i++) id = `FluxListener-${name}-${i}`;
    const holder = new Construct(scope, id);
    const provider = new Provider(holder, 'Provider', {
      name,
      namespace: source.namespace,
      address: this.props.externalUrl ?? 'https://invalid',
      secretName: token && reported(token.providerSecretName, secretNameProblem),
      certSecretName: this.props.externalCaSecretName && reported(this.props.externalCaSecretName, secretNameProblem),
    });
    const sources: IFluxEventSource[] = [];
    const alert = new Alert(holder, 'Alert', {
      name, provider, eventSources: sources, eventSeverity: EventSeverity.INFO, eventMetadata: { cluster: cluster.name },
    });
    const side = { provider, alert, sources, keys: new Set<string>() };
    this.flux.set(cluster, side);
    return side;
  }

  /** Adds a Trigger that the listener selects: named `name`, in the listener's namespace. */
  public addTrigger(scope: Construct, name: string, options: TriggerSpecOptions): Trigger {
    const trigger = new Trigger(scope, 'Trigger', {
      ...options,
      name,
      namespace: this.namespace,
      metadata: { labels: { [LISTENER_LABEL]: this.name } },
    });
    this.eventListener.addSelectedTrigger(trigger);
    return trigger;
  }
}

const REGISTRIES = new WeakMap<IConstruct, Map<string, FluxListener>>();

/** Who makes a FluxListener: the app, `FluxListener.of` (the namespace's default), or a pipeline for itself. */
type ListenerOrigin = 'app' | 'default' | 'pipeline';
let origin: ListenerOrigin = 'app';

/** Runs `make` with the FluxListeners it constructs marked as made by `by`. */
function constructed<T>(by: ListenerOrigin, make: () => T): T {
  const before = origin;
  origin = by;
  try {
    return make();
  } finally {
    origin = before;
  }
}

/** A pipeline's listener of its own: never its namespace's default, whatever its name. @internal */
export function ownListener(scope: Construct, id: string, props: FluxListenerProps): FluxListener {
  return constructed('pipeline', () => new FluxListener(scope, id, props));
}

/**
 * A listener's shared-token settings with their defaults (one Secret `<name>-flux-token` with both keys), or undefined
 * when it is unauthenticated.
 */
function resolvedToken(props: FluxListenerProps): ListenerToken | undefined {
  const options = (props.authentication ?? ListenerAuthentication.sharedToken()).sharedTokenOptions;
  if (!options) return undefined;
  const secret = toDnsLabel(`${props.name ?? DEFAULT_LISTENER_NAME}-flux-token`, 253);
  return {
    providerSecretName: options.providerSecretName ?? secret,
    listenerSecretName: options.listenerSecretName ?? options.providerSecretName ?? secret,
    listenerSecretKey: options.listenerSecretKey ?? 'token',
    header: options.header ?? 'X-Flux-Token',
  };
}

/** The options of `ListenerAuthentication.sharedToken()`. */
const SHARED_TOKEN_OPTIONS = ['providerSecretName', 'listenerSecretName', 'listenerSecretKey', 'header'];

/** The props that reach a Secret reference or the listener's filter, checked as the API server (or Flux) would. */
function propProblems(props: FluxListenerProps): string[] {
  const errors: string[] = [];
  const options = (props.authentication ?? ListenerAuthentication.sharedToken()).sharedTokenOptions;
  if (options) {
    for (const key of Object.keys(options).filter((k) => !SHARED_TOKEN_OPTIONS.includes(k))) {
      errors.push(problem('unknown-option', `ListenerAuthentication.sharedToken() has no option '${key}': use ${SHARED_TOKEN_OPTIONS.join(', ')}`));
    }
    const named = (key: keyof SharedTokenAuthentication, check: (what: string, value: string) => string | undefined) => {
      const value = options[key];
      return value === undefined ? undefined : check(`authentication's ${key}`, value);
    };
    errors.push(...[
      named('providerSecretName', secretNameProblem),
      named('listenerSecretName', secretNameProblem),
      named('listenerSecretKey', secretKeyProblem),
      named('header', headerNameProblem),
    ].filter((p): p is string => !!p));
  }
  const token = resolvedToken(props);
  if (token && token.listenerSecretKey === 'headers' && token.providerSecretName === token.listenerSecretName) {
    errors.push(problem('conflicting-props', "authentication's listenerSecretKey 'headers' is the key of the Provider's headers, in the same Secret: the token cannot " +
      "be both; leave it out for 'token'"));
  }
  if (props.tokenSource) {
    errors.push(...props.tokenSource._problems());
    if (props.tokenSource.generatesSecret && !options) {
      errors.push(problem('conflicting-props', 'tokenSource generates a token, but the listener is unauthenticated: leave tokenSource out, or authenticate with ' +
        'ListenerAuthentication.sharedToken()'));
    }
    // one generated Secret must be both the Provider's and the listener's
    if (props.tokenSource.generatesSecret && token && token.providerSecretName !== token.listenerSecretName) {
      errors.push(problem('conflicting-props', `tokenSource generates one Secret with both keys, but authentication names two ('${token.providerSecretName}' and ` +
        `'${token.listenerSecretName}'): ` +
        'name one Secret (providerSecretName only), or leave tokenSource out and create both by hand'));
    }
  }
  if (props.externalUrl !== undefined) {
    const bad = externalUrlProblem(props.externalUrl);
    if (bad) errors.push(bad);
    if (props.tls) {
      errors.push(problem('conflicting-props', 'externalUrl and tls: the Ingress (or Gateway) ends HTTPS for other clusters and reaches the listener inside its cluster; ' +
        'leave tls out, or leave externalUrl out'));
    }
  } else if (props.exposure || props.externalCaSecretName !== undefined) {
    errors.push(problem('missing-prop', `${props.exposure ? 'exposure' : 'externalCaSecretName'} is for a listener that other clusters reach: set externalUrl too, or leave it out`));
  }
  if (props.externalCaSecretName !== undefined) {
    const bad = secretNameProblem('externalCaSecretName', props.externalCaSecretName);
    if (bad) errors.push(bad);
  }
  if (props.tls) {
    errors.push(...[
      secretNameProblem('tls.listenerSecretName', props.tls.listenerSecretName),
      secretNameProblem('tls.providerCaSecretName', props.tls.providerCaSecretName),
    ].filter((p): p is string => !!p));
  }
  return errors;
}

/** A DNS-1123 subdomain (what an Ingress host must be): no IP address, wildcard or trailing dot. */
const HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Why `value` cannot be a listener's external URL, or undefined: https (other clusters post the token to it), a
 * host an Ingress (or HTTPRoute) can route and Go's URL parser reads as written, a plain path, no port, query,
 * fragment or credentials, and what a Provider's address holds (2,048 characters).
 */
function externalUrlProblem(value: string): string | undefined {
  const url = parseUrl(value);
  const fix = 'write e.g. https://ci.example.com/flux-events (https, a DNS name, a path of letters, digits and -._~/; no port, query ' +
    'or credentials)';
  if (!url || url.protocol !== 'https:') {
    return problem('not-https', `externalUrl '${value}' is not an https URL: other clusters post the token to it, so plain http would show it to the network; ${fix}`);
  }
  const written = value === url.href || `${value}/` === url.href;
  const wrong = url.username || url.password || url.search || url.hash || url.port || !written || value.length > 2048 ? 'is not a plain URL'
    : !HOST.test(url.hostname) || /^[0-9.]+$/.test(url.hostname) ? `has host '${url.hostname}', which is not a DNS name an Ingress routes`
      : !/^[A-Za-z0-9._~/-]*$/.test(url.pathname) ? `has path '${url.pathname}', which an ingress controller may refuse` : undefined;
  return wrong && problem('invalid-url', `externalUrl '${value}' ${wrong}: ${fix}`);
}

/** The URL, or undefined when it is none. */
function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** `value`, or a placeholder when it is invalid (the listener reports it, once). */
function reported(value: string, check: (what: string, value: string) => string | undefined): string {
  return check('', value) ? 'invalid' : value;
}

import { JsonPatch, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { touch } from '../internal/generation';
import { lazy } from '../internal/lazy';
import { DNS_LABEL, DNS_SUBDOMAIN, crossNamespaceProblems, toDnsLabel } from '../internal/names';
import { Resource, ResourceProps } from '../resource';
import { TriggersResource } from './resource';
import { EventListenerTriggerOptions, Trigger, renderTriggerSpec, triggerNameProblem, triggerNamespaceProblems } from './trigger';
import { dnsLabelProblem, labelsProblems, reference, secretKeyProblem } from '../internal/validation';
import { duplicates, problem } from '../problems';

/** The longest EventListener name: its Service is `el-<name>`, a DNS label of at most 63 characters. */
export const MAX_LISTENER_NAME = 60;


/** A TLS certificate for the listener: an existing Secret of type `kubernetes.io/tls` (give `secret` or `secretName`). */
export interface ListenerTls {
  /**
   * The Secret's name (in the listener's namespace).
   * @default - `secret`'s
   */
  readonly secretName?: string;
  /**
   * The Secret, as a cdk8s-plus object: `kplus.Secret.fromSecretName(…)` or one of the app's. One of this and `secretName`.
   * @default - `secretName`
   */
  readonly secret?: kplus.ISecret;
  /**
   * The key of the certificate.
   * @default 'tls.crt'
   */
  readonly certKey?: string;
  /**
   * The key of the private key.
   * @default 'tls.key'
   */
  readonly keyKey?: string;
}

/** Pods allowed to call a listener. */
export interface ListenerClient {
  /** Their namespace. */
  readonly namespace: string;
  /** Their labels. */
  readonly podLabels: { [key: string]: string };
}

/** Props for `EventListener`. */
export interface EventListenerProps extends ResourceProps {
  /**
   * The object name (at most 60 characters: the Service is `el-<name>`).
   * @default - the construct ids below the chart, joined by '-'
   */
  readonly name?: string;
  /**
   * The namespace.
   * @default - the chart's namespace
   */
  readonly namespace?: string;
  /**
   * An existing ServiceAccount for the listener pod, by name (you then grant it what the listener needs).
   * @default - a new ServiceAccount `<name>-listener` with roles of its own (see the class doc)
   */
  readonly serviceAccountName?: string;
  /**
   * The ServiceAccount for the listener pod as a cdk8s-plus object (you then grant it what the listener needs).
   * One of this and `serviceAccountName`.
   * @default - as `serviceAccountName`
   */
  readonly serviceAccount?: kplus.IServiceAccount;
  /**
   * Inline triggers (more with `addTrigger`).
   * @default - none
   */
  readonly triggers?: EventListenerTriggerOptions[];
  /**
   * The pods a NetworkPolicy admits to the listener's port (at least one; see `allowAnyClient`).
   * @default - pods of the listener's own namespace only
   */
  readonly allowedClients?: ListenerClient[];
  /**
   * Create no NetworkPolicy: any pod that can reach the Service may post (explicit opt-out).
   * @default false
   */
  readonly allowAnyClient?: boolean;
  /**
   * Serve HTTPS with this certificate (Triggers' `TLS_CERT`/`TLS_KEY`; the Service then listens on 8443).
   * @default - plain HTTP on 8080
   */
  readonly tls?: ListenerTls;
  /**
   * Select the `Trigger` objects of the listener's namespace that carry these labels (Triggers'
   * `spec.labelSelector`), besides the inline triggers: the EventListener object stays small however many
   * triggers there are. Add them with `addSelectedTrigger`.
   * @default - inline triggers and `addTriggerRef` only
   */
  readonly triggerSelector?: { [label: string]: string };
  /**
   * Write the listener's own ClusterRole and ClusterRoleBinding (read of ClusterInterceptors and
   * ClusterTriggerBindings, which Triggers' listener code watches cluster-wide). `false`: the platform grants
   * that read (see `ListenerPlatformAccess`), and the listener's objects are all namespaced.
   * @default true
   */
  readonly ownClusterRole?: boolean;
}

/**
 * A Tekton Triggers `EventListener`, with least privilege by default: its own ServiceAccount with
 * - a Role of its own: read (`get`/`list`/`watch`) of the Triggers objects in its namespace (EventListeners,
 *   Triggers, TriggerBindings, TriggerTemplates, Interceptors), and `create` of exactly the kinds its
 *   templates create (PipelineRuns, usually); no Secrets, no `impersonate`, no Pods;
 * - a ClusterRole of its own: read of ClusterInterceptors and ClusterTriggerBindings (the listener's code
 *   watches both cluster-wide).
 * Tekton Triggers' release ClusterRoles (`tekton-triggers-eventlistener-roles`/`-clusterroles`) are not
 * bound: they grant Secret reads in every namespace and `impersonate`. CEL's `compareSecret` is evaluated
 * by Triggers' core interceptors with their own ServiceAccount, so the listener never reads a Secret.
 * A NetworkPolicy admits only `allowedClients` (default: pods of its own namespace).
 *
 * @see https://tekton.dev/docs/triggers/eventlisteners/
 */
export class EventListener extends Resource {
  /** The port of the listener Service (and of its pod). */
  public static readonly PORT = 8080;
  /** The port of the listener Service when it serves TLS (Triggers' default). */
  public static readonly TLS_PORT = 8443;

  /** The ServiceAccount the listener runs as. */
  public readonly serviceAccountName: string;
  /** The ServiceAccount created for it (when neither `serviceAccount` nor `serviceAccountName` was given). */
  public readonly serviceAccount?: kplus.ServiceAccount;
  /** The L1 object (escape hatch). */
  public readonly resource: TriggersResource;
  private readonly triggers: EventListenerTriggerOptions[] = [];
  private readonly allowedClients?: ListenerClient[];
  private readonly tls?: ListenerTls;
  private readonly triggerRefs: Trigger[] = [];
  private readonly selected: Trigger[] = [];
  private readonly triggerSelector?: { [label: string]: string };
  /** What is wrong with the ServiceAccount given (both props at once, a name the API server refuses). */
  private readonly serviceAccountProblems: string[];
  /** The TLS Secret's name, and what is wrong with it. */
  private readonly tlsSecret?: { readonly name?: string; readonly problems: string[] };

  constructor(scope: Construct, id: string, props: EventListenerProps = {}) {
    super(scope, id, { kind: 'EventListener', maxNameLength: MAX_LISTENER_NAME }, props);
    for (const t of props.triggers ?? []) this.addTrigger(t);
    this.triggerSelector = props.triggerSelector;

    const accountName = toDnsLabel(`${this.name}-listener`);
    const given = reference({ kind: 'ServiceAccount', objectProp: 'serviceAccount', nameProp: 'serviceAccountName' },
      props.serviceAccount, props.serviceAccountName);
    this.serviceAccountName = given.name ?? accountName;
    this.serviceAccountProblems = props.serviceAccount ? given.problems : serviceAccountNameProblems(props.serviceAccountName);
    if (given.name === undefined) {
      this.serviceAccount = this.createServiceAccount(accountName, props.namespace, props.ownClusterRole ?? true);
    }
    this.allowedClients = props.allowedClients;
    this.tls = props.tls;
    this.tlsSecret = props.tls && reference({ kind: 'Secret', objectProp: 'tls.secret', nameProp: 'tls.secretName' },
      props.tls.secret, props.tls.secretName);
    if (!props.allowAnyClient) {
      this.createNetworkPolicy(props.allowedClients ?? [{ namespace: this.namespace ?? 'default', podLabels: {} }], props.namespace);
    }

    this.resource = new TriggersResource(this, 'Resource', 'EventListener', this.resourceMetadata,
      Lazy.any({
        produce: () => ({
          serviceAccountName: this.serviceAccountName,
          resources: this.tls ? {
            kubernetesResource: {
              spec: {
                template: {
                  spec: {
                    containers: [{
                      env: [
                        { name: 'TLS_CERT', valueFrom: { secretKeyRef: { name: this.tlsSecret?.name, key: this.tls.certKey ?? 'tls.crt' } } },
                        { name: 'TLS_KEY', valueFrom: { secretKeyRef: { name: this.tlsSecret?.name, key: this.tls.keyKey ?? 'tls.key' } } },
                      ],
                    }],
                  },
                },
              },
            },
          } : undefined,
          labelSelector: this.triggerSelector ? { matchLabels: this.triggerSelector } : undefined,
          // (an empty list rather than none where Triggers are selected: tekton-lint cannot read a listener without one)
          triggers: [
            ...this.triggers.map((t) => ({ name: t.name, ...renderTriggerSpec(t) })),
            ...this.triggerRefs.map((t) => ({ triggerRef: t.name })),
          ],
        }),
      }));
    this.addValidation(() => this.validateListener());
  }

  /** The listener's Service name, `el-<name>`. */
  public get serviceName(): string {
    return `el-${this.name}`;
  }

  /**
   * The in-cluster URL of the listener, `http://el-<name>.<namespace>.svc.cluster.local:8080`
   * (`https://…:8443` with `tls`).
   */
  public get url(): string {
    if (!this.namespace) throw new Error(`EventListener '${this.name}' has no namespace: set 'namespace' or the chart's namespace to get its URL`);
    return this.tls
      ? `https://${this.serviceName}.${this.namespace}.svc.cluster.local:${EventListener.TLS_PORT}`
      : `http://${this.serviceName}.${this.namespace}.svc.cluster.local:${EventListener.PORT}`;
  }

  /** Adds an inline trigger. */
  public addTrigger(trigger: EventListenerTriggerOptions): void {
    touch(this);
    this.triggers.push(trigger);
  }

  /**
   * Adds a `Trigger` that the listener selects by its labels (`triggerSelector`): the Trigger must carry them
   * and be in the listener's namespace. Its template's kinds are what the listener's Role may create.
   */
  public addSelectedTrigger(trigger: Trigger): void {
    touch(this);
    this.selected.push(trigger);
  }

  /** Adds a reference to a standalone `Trigger`. */
  public addTriggerRef(trigger: Trigger): void {
    touch(this);
    this.triggerRefs.push(trigger);
  }

  // RBAC and the NetworkPolicy use cdk8s-plus-28's generated core types (`kplus.k8s`): the L2s would add
  // nine helper constructs per listener (imported roles, pod and namespace selectors), which every cdk8s
  // synth pass walks; see bench/RESULTS.md.
  private createServiceAccount(name: string, namespace: string | undefined, ownClusterRole: boolean): kplus.ServiceAccount {
    // The listener pod reads triggers, bindings and templates through the API: it needs its token.
    const sa = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: { name, namespace }, automountToken: true });
    const subjects = [{ kind: 'ServiceAccount', name, namespace: this.namespace }];
    const rbac = 'rbac.authorization.k8s.io';
    new kplus.k8s.KubeRole(this, 'Role', {
      metadata: { name, namespace },
      rules: lazy(() => this.namespacedRules()),
    });
    new kplus.k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name, namespace },
      roleRef: { apiGroup: rbac, kind: 'Role', name },
      subjects,
    });
    if (!ownClusterRole) return sa;
    // Cluster-scoped names must not collide between listeners: a namespace and a listener name are DNS
    // labels (no ':'), so '<namespace>:<account>' is unique.
    const clusterName = `${this.namespace ?? 'default'}:${name}`;
    const clusterRole = new kplus.k8s.KubeClusterRole(this, 'ClusterRole', {
      metadata: { name: clusterName },
      rules: [{ apiGroups: ['triggers.tekton.dev'], resources: ['clusterinterceptors', 'clustertriggerbindings'], verbs: ['get', 'list', 'watch'] }],
    });
    const clusterBinding = new kplus.k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: clusterName },
      roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: clusterName },
      subjects,
    });
    // cluster-scoped: the chart's namespace must not be written on them
    for (const o of [clusterRole, clusterBinding]) o.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    return sa;
  }

  /** What the listener's code does in its namespace: read Triggers objects, create what its templates create. */
  private namespacedRules() {
    const creates = new Map<string, Set<string>>();
    const templates = [...this.triggers.map((t) => t.template), ...this.selected.map((t) => t.template)];
    for (const template of templates) {
      const kinds = template.createdKinds ?? [{ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun' }, { apiVersion: 'tekton.dev/v1', kind: 'TaskRun' }];
      for (const { apiVersion, kind } of kinds) {
        const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
        if (!creates.has(group)) creates.set(group, new Set());
        creates.get(group)!.add(`${kind.toLowerCase()}s`);
      }
    }
    if (this.triggerRefs.length) {
      // a standalone Trigger's template is not known here: Tekton's run kinds
      creates.set('tekton.dev', new Set([...(creates.get('tekton.dev') ?? []), 'pipelineruns', 'taskruns']));
    }
    return [
      {
        apiGroups: ['triggers.tekton.dev'],
        resources: ['eventlisteners', 'interceptors', 'triggerbindings', 'triggers', 'triggertemplates'],
        verbs: ['get', 'list', 'watch'],
      },
      ...[...creates.keys()].sort().map((group) => ({ apiGroups: [group], resources: [...creates.get(group)!].sort(), verbs: ['create'] })),
    ];
  }

  private createNetworkPolicy(clients: ListenerClient[], namespace?: string) {
    new kplus.k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: toDnsLabel(`${this.name}-listener`), namespace },
      spec: {
        podSelector: { matchLabels: { eventlistener: this.name } },
        policyTypes: ['Ingress'],
        ingress: [{
          from: clients.map((c) => ({
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': c.namespace } },
            podSelector: { matchLabels: { ...c.podLabels } },
          })),
          ports: [{ protocol: 'TCP', port: kplus.k8s.IntOrString.fromNumber(EventListener.PORT) }],
        }],
      },
    });
  }

  private validateListener(): string[] {
    const errors: string[] = [];
    if (this.name.length > MAX_LISTENER_NAME) {
      errors.push(problem('invalid-object-name', `EventListener name '${this.name}' is ${this.name.length} characters: its Service ` +
        `'el-${this.name}' must fit 63, so use at most ${MAX_LISTENER_NAME} (set 'name', or a shorter construct id)`));
    } else if (!DNS_LABEL.test(this.name)) {
      errors.push(problem('invalid-object-name', `EventListener name '${this.name}' is not a DNS label: use lower case letters, digits and '-'`));
    }
    if (this.triggers.length + this.triggerRefs.length + this.selected.length === 0) {
      errors.push(problem('no-triggers', 'the EventListener has no triggers: add one with addTrigger'));
    }
    if (this.selected.length && !this.triggerSelector) {
      errors.push(problem('missing-prop', 'addSelectedTrigger needs triggerSelector: the labels by which the listener selects them'));
    }
    for (const t of this.selected) {
      errors.push(...crossNamespaceProblems('the listener', 'Trigger', t.name, t.namespace, this.namespace, `define the Trigger in '${this.namespace}'`));
    }
    if (this.allowedClients && this.allowedClients.length === 0) {
      errors.push(problem('no-clients', 'allowedClients is empty, which would admit no client and leave the listener unreachable: name the pods ' +
        "that may post (e.g. [{ namespace: 'flux-system', podLabels: { app: 'notification-controller' } }]), or set allowAnyClient: true to admit any"));
    }
    (this.allowedClients ?? []).forEach((c, i) => {
      // the NetworkPolicy selects the namespace by its name label: an invalid name matches no namespace
      if (dnsLabelProblem('', c.namespace)) {
        errors.push(problem('invalid-name', `allowedClients[${i}].namespace '${c.namespace}' is not a valid namespace, so the NetworkPolicy would ` +
          "admit no pod: name the namespace of the pods that may post (lower case letters, digits and '-', at most 63, e.g. 'flux-system')"));
      }
      errors.push(...labelsProblems(`allowedClients[${i}].podLabels`, c.podLabels));
    });
    errors.push(...this.serviceAccountProblems);
    if (this.tls) {
      if (this.tlsSecret?.name === undefined) errors.push(problem('missing-prop', 'tls has no Secret: give tls.secretName (or tls.secret), a Secret of type kubernetes.io/tls'));
      errors.push(...this.tlsSecret?.problems ?? []);
      errors.push(...[
        this.tls.certKey === undefined ? undefined : secretKeyProblem('tls.certKey', this.tls.certKey),
        this.tls.keyKey === undefined ? undefined : secretKeyProblem('tls.keyKey', this.tls.keyKey),
      ].filter((p): p is string => !!p));
    }
    errors.push(...duplicates('trigger', this.triggers.map((t) => t.name)));
    for (const t of this.triggers) {
      if (!DNS_LABEL.test(t.name)) errors.push(triggerNameProblem(t.name));
      errors.push(...triggerNamespaceProblems(t, this.namespace, `trigger '${t.name}'`));
    }
    for (const t of this.triggerRefs) {
      errors.push(...crossNamespaceProblems('the listener', 'Trigger', t.name, t.namespace, this.namespace, `define the Trigger in '${this.namespace}'`));
    }
    return errors;
  }
}

/** A listener's `serviceAccountName` the API server refuses (leaving it out gives the listener one of its own). */
function serviceAccountNameProblems(account: string | undefined): string[] {
  if (account === undefined || (DNS_SUBDOMAIN.test(account) && account.length <= 253)) return [];
  return [problem('invalid-name', `serviceAccountName '${account}' is not a valid ServiceAccount name: use lower case letters, digits, ` +
    "'-' and '.', starting and ending with a letter or digit (at most 253), or leave it out for a ServiceAccount of its own")];
}

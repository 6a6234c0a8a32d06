import { JsonPatch, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { addCachedValidation, touch } from '../generation';
import { DNS_LABEL, crossNamespaceProblems, defaultName, namespaceOf, toDnsLabel } from '../names';
import { claimName } from '../registry';
import { TriggersResource } from './resource';
import { EventListenerTriggerOptions, Trigger, renderTriggerSpec, triggerNamespaceProblems } from './trigger';
import { duplicates } from '../tekton/task';

/** The longest EventListener name: its Service is `el-<name>`, a DNS label of at most 63 characters. */
export const MAX_LISTENER_NAME = 60;

/** The ClusterRoles Tekton Triggers ships for listeners (namespace role, and cluster role for ClusterInterceptors). */
export const LISTENER_ROLES = {
  namespaced: 'tekton-triggers-eventlistener-roles',
  cluster: 'tekton-triggers-eventlistener-clusterroles',
};

/** Pods allowed to call a listener. */
export interface ListenerClient {
  /** Their namespace. */
  readonly namespace: string;
  /** Their labels. */
  readonly podLabels: { [key: string]: string };
}

/** Props for `EventListener`. */
export interface EventListenerProps {
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
   * An existing ServiceAccount for the listener pod.
   * @default - a new ServiceAccount `<name>-listener`, bound to Tekton Triggers' listener roles only
   */
  readonly serviceAccountName?: string;
  /**
   * Inline triggers (more with `addTrigger`).
   * @default - none
   */
  readonly triggers?: EventListenerTriggerOptions[];
  /**
   * When set, a NetworkPolicy admits only these pods to the listener's port.
   * @default - no NetworkPolicy
   */
  readonly allowedClients?: ListenerClient[];
}

/**
 * A Tekton Triggers `EventListener`, with least privilege by default: its own ServiceAccount, bound by a
 * RoleBinding to `tekton-triggers-eventlistener-roles` and by a ClusterRoleBinding to
 * `tekton-triggers-eventlistener-clusterroles` (needed to call ClusterInterceptors such as `cel`).
 */
export class EventListener extends Construct {
  /** The port of the listener Service. */
  public static readonly PORT = 8080;

  public readonly listenerName: string;
  public readonly namespace?: string;
  /** The ServiceAccount the listener runs as. */
  public readonly serviceAccountName: string;
  /** The ServiceAccount created for it (when none was given). */
  public readonly serviceAccount?: kplus.ServiceAccount;
  /** The L1 object (escape hatch). */
  public readonly resource: TriggersResource;
  private readonly triggers: EventListenerTriggerOptions[] = [];
  private readonly triggerRefs: Trigger[] = [];

  constructor(scope: Construct, id: string, props: EventListenerProps = {}) {
    super(scope, id);
    this.listenerName = props.name ?? defaultName(this, MAX_LISTENER_NAME);
    this.namespace = namespaceOf(this, props.namespace);
    claimName(this, 'EventListener', this.namespace, this.listenerName);
    for (const t of props.triggers ?? []) this.addTrigger(t);

    const accountName = toDnsLabel(`${this.listenerName}-listener`);
    this.serviceAccountName = props.serviceAccountName ?? accountName;
    if (!props.serviceAccountName) {
      this.serviceAccount = this.createServiceAccount(accountName, props.namespace);
    }
    if (props.allowedClients?.length) this.createNetworkPolicy(props.allowedClients, props.namespace);

    this.resource = new TriggersResource(this, 'Resource', 'EventListener', { name: this.listenerName, namespace: props.namespace },
      Lazy.any({
        produce: () => ({
          serviceAccountName: this.serviceAccountName,
          triggers: [
            ...this.triggers.map((t) => ({ name: t.name, ...renderTriggerSpec(t) })),
            ...this.triggerRefs.map((t) => ({ triggerRef: t.triggerName })),
          ],
        }),
      }));
    addCachedValidation(this, () => this.validateListener());
  }

  /** The listener's Service name, `el-<name>`. */
  public get serviceName(): string {
    return `el-${this.listenerName}`;
  }

  /** The in-cluster URL of the listener, `http://el-<name>.<namespace>.svc.cluster.local:8080`. */
  public get url(): string {
    if (!this.namespace) throw new Error(`EventListener '${this.listenerName}' has no namespace: set 'namespace' or the chart's namespace to get its URL`);
    return `http://${this.serviceName}.${this.namespace}.svc.cluster.local:${EventListener.PORT}`;
  }

  /** Adds an inline trigger. */
  public addTrigger(trigger: EventListenerTriggerOptions): void {
    touch();
    this.triggers.push(trigger);
  }

  /** Adds a reference to a standalone `Trigger`. */
  public addTriggerRef(trigger: Trigger): void {
    touch();
    this.triggerRefs.push(trigger);
  }

  // RBAC and the NetworkPolicy use cdk8s-plus-28's generated core types (`kplus.k8s`): the L2s would add
  // nine helper constructs per listener (imported roles, pod and namespace selectors), which every cdk8s
  // synth pass walks; see bench/RESULTS.md.
  private createServiceAccount(name: string, namespace?: string): kplus.ServiceAccount {
    // The listener pod reads triggers, bindings and templates through the API: it needs its token.
    const sa = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: { name, namespace }, automountToken: true });
    const subjects = [{ kind: 'ServiceAccount', name, namespace: this.namespace }];
    new kplus.k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: LISTENER_ROLES.namespaced },
      subjects,
    });
    const clusterRoles = new kplus.k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', {
      metadata: { name: toDnsLabel(`${this.namespace ?? 'default'}-${name}`, 253) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: LISTENER_ROLES.cluster },
      subjects,
    });
    // cluster-scoped: the chart's namespace must not be written on it
    clusterRoles.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    return sa;
  }

  private createNetworkPolicy(clients: ListenerClient[], namespace?: string) {
    new kplus.k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: toDnsLabel(`${this.listenerName}-listener`), namespace },
      spec: {
        podSelector: { matchLabels: { eventlistener: this.listenerName } },
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
    if (this.listenerName.length > MAX_LISTENER_NAME) {
      errors.push(`EventListener name '${this.listenerName}' is ${this.listenerName.length} characters: its Service 'el-${this.listenerName}' must fit 63, ` +
        `so use at most ${MAX_LISTENER_NAME} (set 'name', or a shorter construct id)`);
    } else if (!DNS_LABEL.test(this.listenerName)) {
      errors.push(`EventListener name '${this.listenerName}' is not a DNS label: use lower case letters, digits and '-'`);
    }
    if (this.triggers.length + this.triggerRefs.length === 0) errors.push('the EventListener has no triggers: add one with addTrigger');
    errors.push(...duplicates('trigger', this.triggers.map((t) => t.name)));
    for (const t of this.triggers) {
      if (!DNS_LABEL.test(t.name)) errors.push(`trigger name '${t.name}' is not a DNS label`);
      errors.push(...triggerNamespaceProblems(t, this.namespace, `trigger '${t.name}'`));
    }
    for (const t of this.triggerRefs) {
      errors.push(...crossNamespaceProblems('the listener', 'Trigger', t.triggerName, t.namespace, this.namespace, `define the Trigger in '${this.namespace}'`));
    }
    return errors;
  }
}

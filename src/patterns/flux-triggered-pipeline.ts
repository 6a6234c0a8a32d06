import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';

import { CommitStatus, STATUS_COMMIT_PARAM } from './commit-status';
import { FluxEvent, FluxEventValue, StagedOverlay, celString, hasRevisionExpr, validationConditions } from './flux-event';
import { FluxListener, FluxListenerTls, ListenerToken, ownListener } from './flux-listener';
import { ListenerAuthentication } from './listener-authentication';
import { PrunerConfig, keepRunsProblem } from './pruner-config';
import { RunConcurrency } from './run-concurrency';
import { SupersededRunCanceller } from './supersede';
import { FLUX_KINDS, FluxKind, IFluxEventSource } from '../flux/event-source';
import { Alert, Provider } from '../flux/notification';
import { addCachedValidation, cachedPerGeneration } from '../internal/generation';
import { DNS_LABEL, DNS_SUBDOMAIN, crossNamespaceProblems, defaultName, toDnsLabel } from '../internal/names';
import { hasOwn, imageProblem, labelsProblems } from '../internal/validation';
import { problem } from '../problems';
import { ParamType, ParamValue } from '../tekton/params';
import { IPipeline } from '../tekton/pipeline';
import { PipelineRunOptions, renderRunSpec, runParamTypeProblems, runProblems } from '../tekton/pipeline-run';
import { WorkspaceBinding } from '../tekton/workspace-binding';
import { EventListener, ListenerClient, MAX_LISTENER_NAME } from '../triggers/event-listener';
import { Interceptor } from '../triggers/interceptor';
import { TriggerBinding } from '../triggers/trigger-binding';
import { TriggerTemplate } from '../triggers/trigger-template';

/** The template param (and overlay) that names a run after its revision. */
const REVISION_ID_PARAM = 'flux-revision-id';
const REVISION_ID_LENGTH = 12;
/**
 * The revision's hash (a commit or digest, after the last ':' or, legacy, '/'), first 12 hex digits: a
 * DNS-label-safe run name suffix. Well-formed revisions always have one (the validation filter checks).
 */
const REVISION_ID_OVERLAY: StagedOverlay = {
  stage: 1,
  key: REVISION_ID_PARAM,
  expression: "(extensions.revision.contains(':') ? extensions.revision.split(':')[1] : extensions.revision.contains('/') ? " +
    `extensions.revision.split('/')[size(extensions.revision.split('/')) - 1] : extensions.revision).truncate(${REVISION_ID_LENGTH})`,
};

/**
 * The name of an object the template creates once per revision: the pipeline's name (cut to fit), the
 * revision's hash, and a suffix; at most 63 characters once Triggers substitutes the hash, as Tekton's
 * labels of the run's Pods need.
 */
function revisionName(pipeline: string, suffix?: string): string {
  const tail = suffix ? `-${suffix}` : '';
  return `${toDnsLabel(pipeline, 63 - 1 - REVISION_ID_LENGTH - tail.length)}-$(tt.params.${REVISION_ID_PARAM})${tail}`;
}

/** A pipeline param value: a field of the Flux event, or a literal. */
export type TriggerParamValue = FluxEventValue | ParamValue;

/** One pipeline run by a FluxTriggeredPipeline. */
export interface TriggeredRunOptions extends PipelineRunOptions {
  /** The pipeline to run (in the listener's namespace). */
  readonly pipeline: IPipeline;
  /**
   * Values of the pipeline params: `FluxEvent` fields (`FluxEvent.commit()`, …) or literals. A param
   * given nothing keeps its default; with no default, a param named like a FluxEvent field (`revision`,
   * `commit`, `branch`, `tag`, `digest`, `source-name`, …) gets that field; any other is a synth error.
   * @default - defaults and name matches only
   */
  readonly params?: { [name: string]: TriggerParamValue };
  /**
   * Give params named like FluxEvent fields their field automatically.
   * @default true
   */
  readonly autoBind?: boolean;
  /**
   * Keep the last N finished runs of the pipeline (N successful and N failed) and delete older ones, never a
   * running one: Pipelines-as-Code's `max-keep-runs`. Done by Tekton Pruner, which this configures (its
   * namespace ConfigMap `tekton-pruner-namespace-spec`); Tekton Pruner must be installed.
   * @default - all runs are kept
   */
  readonly keepRuns?: number;
  /**
   * What a run for a newer revision does to the older runs of this pipeline that are still running:
   * `RunConcurrency.cancelInProgress()` cancels them (their `finally` tasks still run), as GitHub Actions'
   * `concurrency` with `cancel-in-progress` does.
   * @default RunConcurrency.parallel(): runs overlap
   */
  readonly concurrency?: RunConcurrency;
  /**
   * Labels of every run (to find them with `kubectl get pipelineruns -l …`).
   * @default - Tekton's and Triggers' own only
   */
  readonly runLabels?: { [key: string]: string };
  /**
   * The ServiceAccount the runs' TaskRuns run as, by name (or give `serviceAccount`).
   * @default - a ServiceAccount `<name>-run` created for the runs: no permissions, its token not mounted
   */
  readonly serviceAccountName?: string;
  /**
   * The ServiceAccount the runs' TaskRuns run as: a cdk8s-plus ServiceAccount of the app, or
   * `kplus.ServiceAccount.fromServiceAccountName(…)`. One of this and `serviceAccountName`.
   * @default - as `serviceAccountName`
   */
  readonly serviceAccount?: kplus.IServiceAccount;
  /**
   * What backs each pipeline workspace in every run.
   * @default - a required workspace left out gets a fresh volume per run: `WorkspaceBinding.volumeClaimTemplate()`
   * (1Gi, ReadWriteOnce); an optional one stays unbound
   */
  readonly workspaces?: { [name: string]: WorkspaceBinding };
  /**
   * Report every run on the commit it built, where developers look: `pending` when it starts, then `success`,
   * `failure` (naming the failed tasks) or `error` for a cancelled run, linked to the run
   * (`CommitStatus.github({ repository: 'acme/app', tokenSecretName: 'github-status' })`, `.gitlab(…)`, `.gitea(…)`).
   * The pipeline must be a `Pipeline` of this app: it gains a param `status-commit`, a task `commit-status` and a
   * `finally` task `commit-status-end` (see `CommitStatus`). Needs an event with a commit (a GitRepository, or a
   * Kustomization of one).
   * @default - no status is reported
   */
  readonly status?: CommitStatus;
  /**
   * Create each run `PipelineRunPending`: Tekton holds it (no Pod, no timeout running) until something removes
   * `spec.status` (a Promotion's soak clock).
   * @default false
   * @internal
   */
  readonly _startPending?: boolean;
}

/** Props for `FluxTriggeredPipeline`. */
export interface FluxTriggeredPipelineProps extends TriggeredRunOptions {
  /** The Flux object whose new revisions run the pipeline: a source, a Kustomization, or an existing one. */
  readonly source: IFluxEventSource;
  /**
   * The event reasons that run the pipeline.
   * @default - `NewArtifact` for sources, `ReconciliationSucceeded` for Kustomizations,
   * `InstallSucceeded`/`UpgradeSucceeded` for HelmReleases
   */
  readonly events?: string[];
  /**
   * Base name of the Trigger, binding and template (and of the listener, Provider and Alert of a listener of its
   * own; at most 60 characters).
   * @default - the construct ids below the chart, joined by '-'
   */
  readonly name?: string;
  /**
   * Namespace of the listener, binding, template and runs.
   * @default - the pipeline's namespace
   */
  readonly namespace?: string;
  /**
   * The listener this pipeline joins: one EventListener for any number of pipelines, a `Trigger` object
   * each (see `FluxListener`). `allowedClients`, `authentication` and `tls` are then the listener's.
   * @default - the namespace's listener, `FluxListener.of(this, namespace)`, named `flux-events`; with
   * `allowedClients`, `authentication` or `tls`, a listener of its own named like this construct
   */
  readonly listener?: FluxListener;
  /**
   * Who may call the listener (a NetworkPolicy admits only them). Given, the pipeline gets a listener of its own.
   * @default - Flux's notification-controller: pods `app: notification-controller` in `flux-system`
   */
  readonly allowedClients?: ListenerClient[];
  /**
   * How the listener authenticates Flux's requests (`ListenerAuthentication.unauthenticated()` to opt out).
   * Given, the pipeline gets a listener of its own.
   * @default ListenerAuthentication.sharedToken(): one Secret `<listener>-flux-token` in the listener's namespace
   */
  readonly authentication?: ListenerAuthentication;
  /**
   * Mount the token of the runs' ServiceAccount (the one created when `serviceAccountName` is not given)
   * into every step. Steps run third-party code (`npm ci`): give them no API credentials unless they need them.
   * @default false
   */
  readonly automountRunServiceAccountToken?: boolean;
  /**
   * HTTPS between Flux and the listener (the Provider then verifies the listener's certificate). Given, the
   * pipeline gets a listener of its own.
   * @default - plain HTTP inside the cluster
   */
  readonly tls?: FluxListenerTls;
}

/**
 * Runs a Tekton pipeline when a Flux source (or Kustomization) reports a new revision.
 *
 * Joins a listener (by default its namespace's one, `FluxListener.of`: one EventListener, its ServiceAccount,
 * RBAC and NetworkPolicy, and one Flux `Provider` and `Alert`, shared by every pipeline of the namespace),
 * whose Alert then lists the source. Emits a `Trigger` that the listener selects: a CEL filter on the
 * involved object, reason and token, with overlays that derive commit, branch and tag from the revision; a
 * `TriggerBinding` and a
 * `TriggerTemplate` whose PipelineRun is named after the pipeline and the revision (Triggers creates it, not
 * Flux; one run per revision). Every pipeline param is bound at synth time, from the pipeline's own (derived)
 * params. Options add what a CI system does around runs: `concurrency` (cancel superseded runs) and
 * `keepRuns` (bounded history).
 */
export class FluxTriggeredPipeline extends Construct {
  /** The base name of the generated objects. */
  public readonly name: string;
  /** The EventListener (its listener's). */
  public readonly listener: EventListener;
  /** The listener it joined: the `listener` prop, a listener of its own, or its namespace's (`FluxListener.of`). */
  public readonly fluxListener: FluxListener;
  /** The Flux Provider that posts to the listener (its listener's). */
  public readonly provider: Provider;
  /** The Flux Alert that lists the source (its listener's). */
  public readonly alert: Alert;
  /** The ServiceAccount the runs use, when none was given. */
  public readonly runServiceAccount?: kplus.ServiceAccount;
  private readonly source: IFluxEventSource;
  private readonly props: FluxTriggeredPipelineProps;
  private readonly namespace?: string;

  constructor(scope: Construct, id: string, props: FluxTriggeredPipelineProps) {
    super(scope, id);
    this.props = props;
    this.source = props.source;
    const problems = this.propProblems(props);
    this.node.addValidation({ validate: () => problems });
    // An invalid name is reported here, once; the objects get a cleaned-up one (too long is the listener's error).
    this.name = props.name === undefined ? defaultName(this, MAX_LISTENER_NAME)
      : DNS_LABEL.test(props.name) ? props.name : toDnsLabel(props.name, 253);
    this.namespace = props.namespace ?? props.listener?.namespace ?? props.pipeline.namespace ?? Chart.of(this).namespace;
    if (!this.namespace) {
      // The Provider's address (the listener's Service URL) needs it at once.
      throw new Error(`[${this.node.path}] the listener needs a namespace: set \`namespace\`, or give the chart or the pipeline one`);
    }

    const own = (['allowedClients', 'authentication', 'tls'] as const).some((k) => props[k] !== undefined);
    // A listener's settings make it a listener of the pipeline's own; otherwise it joins its namespace's.
    this.fluxListener = props.listener ?? (own
      ? ownListener(this, 'Listener', {
        name: this.name,
        namespace: this.namespace,
        allowedClients: props.allowedClients,
        authentication: props.authentication,
        tls: props.tls,
      })
      : FluxListener.of(this, this.namespace));
    this.listener = this.fluxListener.eventListener;
    const flux = this.fluxListener.addSource(this.source, this);
    this.provider = flux.provider;
    this.alert = flux.alert;
    if (!props.serviceAccountName && !props.serviceAccount) {
      this.runServiceAccount = new kplus.ServiceAccount(this, 'RunServiceAccount', {
        metadata: { name: toDnsLabel(`${this.name}-run`), namespace: this.namespace },
        automountToken: props.automountRunServiceAccountToken ?? false,
      });
    }
    // An unknown source kind is reported once, by addSource.
    this.addRun(this, this.name, props);
  }

  /** Runs one more pipeline on the same events, through the same listener (a second trigger). */
  public addPipeline(id: string, options: TriggeredRunOptions): void {
    this.addRun(new Construct(this, id), toDnsLabel(`${this.name}-${id}`), options);
  }

  /** The token settings for its source's events, with their defaults, or undefined when the listener is unauthenticated. */
  public get sharedToken(): ListenerToken | undefined {
    return this.fluxListener.tokenFor(this.source);
  }

  /** The reasons that run the pipelines. */
  public get reasons(): string[] {
    return this.props.events ?? FLUX_KINDS[this.source.kind]?.reasons ?? [];
  }

  private addRun(scope: Construct, name: string, options: TriggeredRunOptions) {
    const binding = new TriggerBinding(scope, 'Binding', { name, namespace: this.namespace });
    const template = new TriggerTemplate(scope, 'Template', { name, namespace: this.namespace });
    // Read when the objects render (so params added to Tasks later are bound too), once per change.
    const values = cachedPerGeneration(this, () => this.paramValues(options));
    const cel = cachedPerGeneration(this, () => this.celOptions(values()));
    const runName = revisionName(options.pipeline.name);
    template.addResourceTemplate(() => this.renderRun(options, values(), runName));
    // Triggers are objects of the namespace: named like the binding and template, unique there
    const triggerName = name;
    const optionProblems = [...this.optionProblems(options), ...this.attachStatus(options, scope)];
    scope.node.addValidation({ validate: () => optionProblems });
    const cancel = options.concurrency?.cancelInProgressOptions;
    let canceller: SupersededRunCanceller | undefined;
    if (cancel) {
      canceller = new SupersededRunCanceller(scope, 'CancelSuperseded', {
        name,
        namespace: this.namespace!,
        listenerName: this.listener.name,
        triggerName,
        // an invalid image is reported by optionProblems, in the words of `concurrency`
        options: { ...cancel, image: cancel.image !== undefined && imageProblem('', cancel.image) ? undefined : cancel.image },
      });
      // Created after the run (Triggers creates a template's resources in order and stops at the first that
      // fails), so a second delivery of a revision, whose run already exists, starts no canceller either.
      template.addResourceTemplate(() => canceller!.renderTaskRun(revisionName(options.pipeline.name, 'supersede'), runName));
    }
    const trigger = {
      // one CEL interceptor per overlay stage (see StagedOverlay), then one that validates what they derived
      interceptors: [0, 1, 2, 3].map((i) => Interceptor.celFrom(() => cel()[i])),
      bindings: [binding],
      template,
    };
    this.fluxListener.addTrigger(scope, triggerName, trigger);
    binding.addParamsFrom(() => ({
      ...Object.fromEntries(this.eventValues(values()).map(([n, v]) => [n, v.binding])),
      [REVISION_ID_PARAM]: `$(extensions.${REVISION_ID_OVERLAY.key})`,
    }));
    template.addParamsFrom(() => ({
      ...Object.fromEntries(this.eventValues(values()).map(([n, v]) => [n, { description: `FluxEvent.${v.label}` }])),
      [REVISION_ID_PARAM]: { description: 'the revision\'s hash, shortened: the run\'s name, so that one revision makes one run' },
    }));
    addCachedValidation(scope, () => this.runProblems(options, values()));
    if (options.keepRuns !== undefined) {
      const pruner = PrunerConfig.of(this, this.namespace!);
      pruner.keep(options.pipeline.name, options.keepRuns, scope);
      if (canceller) pruner.keepTaskRuns(canceller.name, options.keepRuns);
    }
    if (scope === this) {
      this.node.addValidation({
        validate: () => (this.props.events && this.props.events.length === 0
          ? [problem('missing-prop', 'events is empty, so the listener\'s filter could never admit an event: list the reasons that run the pipeline, ' +
            `or leave events out for ${this.source.kind}'s default (${(FLUX_KINDS[this.source.kind]?.reasons ?? []).join(', ') || 'none'})`)]
          : []),
      });
    }
  }

  /**
   * The props of the pipeline as a whole that reach an object name, a label, a Secret reference or the
   * listener's filter, checked as the API server (or Flux, or Triggers) would.
   */
  private propProblems(props: FluxTriggeredPipelineProps): string[] {
    const errors: string[] = [];
    if (props.listener) {
      const own = (['allowedClients', 'authentication', 'tls'] as const).filter((k) => props[k] !== undefined);
      if (own.length) {
        errors.push(problem('conflicting-props', `${own.join(', ')} ${own.length > 1 ? 'are' : 'is'} the listener's, and this pipeline joins ` +
          `${props.listener.node.path}: give them to that FluxListener, or leave out \`listener\` for a listener of its own`));
      }
      if (props.namespace !== undefined && props.namespace !== props.listener.namespace) {
        errors.push(problem('cross-namespace-reference', `namespace '${props.namespace}' is not the namespace of the listener it joins ` +
          `('${props.listener.namespace}'): a listener creates runs in its own namespace only; leave \`namespace\` out, or join a listener of that namespace`));
      }
    }
    if (props.name !== undefined && !DNS_LABEL.test(props.name)) {
      errors.push(problem('invalid-name', `name '${props.name}' is not a DNS label, which the names of its Trigger, binding and template (and of a ` +
        `listener of its own) must be: use lower case letters, digits and '-', starting and ending with a letter or digit (at most ${MAX_LISTENER_NAME}, ` +
        `e.g. '${toDnsLabel(props.name, MAX_LISTENER_NAME)}')`));
    }
    return errors;
  }

  /** The options of one run (of the pipeline, or of `addPipeline`) that reach a label, a name or an image. */
  private optionProblems(options: TriggeredRunOptions): string[] {
    const errors: string[] = [...labelsProblems('runLabels', options.runLabels)];
    if (options.keepRuns !== undefined) {
      const keep = keepRunsProblem(options.keepRuns);
      if (keep) errors.push(keep);
    }
    if (options.serviceAccount && options.serviceAccountName !== undefined) {
      errors.push(problem('conflicting-props', `serviceAccount '${options.serviceAccount.name}' and serviceAccountName ` +
        `'${options.serviceAccountName}' name the runs' ServiceAccount twice: give one of them`));
    }
    const account = options.serviceAccountName;
    if (account !== undefined && (!DNS_SUBDOMAIN.test(account) || account.length > 253)) {
      errors.push(problem('invalid-name', `serviceAccountName '${account}' is not a valid ServiceAccount name: use lower case letters, digits, ` +
        '\'-\' and \'.\', starting and ending with a letter or digit (at most 253), or leave it out for a ServiceAccount of the runs\' own'));
    }
    const image = options.concurrency?.cancelInProgressOptions?.image;
    const imageError = image === undefined ? undefined : imageProblem('concurrency', image);
    if (imageError) errors.push(problem('invalid-image', `${imageError}; or leave it out for the default`));
    return errors;
  }

  /** Attaches the run's commit status to the pipeline (once per pipeline); returns what is wrong with it. */
  private attachStatus(options: TriggeredRunOptions, scope: Construct): string[] {
    const status = options.status;
    if (!status) return [];
    const errors = status._problems();
    const noCommit = FluxEvent.commit().problem(this.source);
    if (noCommit) {
      errors.push(problem('status-needs-commit', `status: a commit status is posted on the commit the run built, and ${noCommit}: ` +
        'report from a pipeline triggered by a GitRepository (or a Kustomization of one), or leave status out'));
    }
    errors.push(...status._attachTo(options.pipeline, scope));
    return errors;
  }

  /** Every pipeline param and where its value comes from. */
  private paramValues(options: TriggeredRunOptions): Map<string, TriggerParamValue> {
    const values = new Map<string, TriggerParamValue>();
    for (const spec of options.pipeline.paramSpecs) {
      const given = hasOwn(options.params, spec.name) ? options.params![spec.name] : undefined;
      if (given !== undefined) {
        values.set(spec.name, given);
      } else if (spec.default === undefined && (options.autoBind ?? true)) {
        const auto = FluxEvent.forParamName(spec.name);
        if (auto) values.set(spec.name, auto);
      }
    }
    // the commit a run reports on: the event's (the param's default, empty, makes other runs report nothing)
    if (options.status && !hasOwn(options.params, STATUS_COMMIT_PARAM) && !FluxEvent.commit().problem(this.source)) {
      values.set(STATUS_COMMIT_PARAM, FluxEvent.commit());
    }
    return values;
  }

  private eventValues(values: Map<string, TriggerParamValue>): Array<[string, FluxEventValue]> {
    return [...values.entries()].filter((e): e is [string, FluxEventValue] => e[1] instanceof FluxEventValue);
  }

  private celOptions(values: Map<string, TriggerParamValue>) {
    const s = this.source;
    const reasons = this.reasons;
    // The revision-derived fields are always computed (so hand-written bindings can use them too), plus
    // whatever else the params need.
    const standard = s.kind === FluxKind.OCI_REPOSITORY || s.kind === FluxKind.BUCKET
      ? [FluxEvent.revision(), FluxEvent.tag(), FluxEvent.digest()]
      : [FluxEvent.revision(), FluxEvent.commit(), FluxEvent.branch(), FluxEvent.tag()];
    const events = [...standard, ...this.eventValues(values).map(([, v]) => v)];
    const revisionId = [REVISION_ID_OVERLAY];
    const conditions = [
      `body.involvedObject.kind == ${celString(s.kind)}`,
      `body.involvedObject.name == ${celString(s.name)}`,
      `body.involvedObject.namespace == ${celString(s.namespace)}`,
      reasons.length === 1 ? `body.reason == ${celString(reasons[0])}` : `body.reason in [${reasons.map(celString).join(', ')}]`,
      hasRevisionExpr(s),
    ];
    const token = this.fluxListener.tokenFor(s);
    // in an app of clusters, the cluster the event came from (the Alert's eventMetadata): one name in several clusters is several sources
    const cluster = this.fluxListener.clusterTagOf(s);
    if (cluster !== undefined) conditions.push(`has(body.metadata.cluster) && body.metadata.cluster == ${celString(cluster)}`);
    if (token) {
      // Triggers' core interceptors read the Secret (the listener itself reads none); the two-argument form:
      // Triggers v0.37.0 reads the listener's namespace whatever a third argument says (cel/triggers.go)
      conditions.push(`header.canonical(${celString(token.header)}).compareSecret(${celString(token.listenerSecretKey)}, ` +
        `${celString(token.listenerSecretName)})`);
    }
    const overlays = new Map<string, StagedOverlay>();
    for (const v of events) for (const o of v.overlays(s)) overlays.set(o.key, o);
    for (const o of revisionId) overlays.set(o.key, o);
    const stages = [0, 1, 2].map((stage) => [...overlays.values()]
      .filter((o) => o.stage === stage)
      .map(({ key, expression }) => ({ key, expression })));
    const filters = [conditions.join(' && '), undefined, undefined];
    // Every derived field is checked, bound or not (hand-written bindings may use any); body fields the
    // bindings use (name, namespace, kind, reason) are fixed by the first filter, the message is bounded.
    const bound = this.eventValues(values).map(([, v]) => /^\$\(extensions\.([^)]+)\)$/.exec(v.binding)?.[1] ?? '');
    const validation = validationConditions([...overlays.keys()], bound);
    if (this.eventValues(values).some(([, v]) => v.label === 'message()')) validation.push('size(body.message) <= 4096');
    return [...stages.map((stageOverlays, i) => ({ filter: filters[i], overlays: stageOverlays })),
      { filter: validation.join(' && '), overlays: [] }];
  }

  private renderRun(options: TriggeredRunOptions, values: Map<string, TriggerParamValue>, runName: string) {
    const params: { [name: string]: ParamValue } = {};
    for (const [name, value] of values) {
      params[name] = value instanceof FluxEventValue ? `$(tt.params.${name})` : value;
    }
    const workspaces: { [name: string]: WorkspaceBinding } = {};
    for (const w of options.pipeline.workspaceSpecs) {
      const given = hasOwn(options.workspaces, w.name) ? options.workspaces![w.name] : undefined;
      if (given) workspaces[w.name] = given;
      else if (!w.options.optional) workspaces[w.name] = WorkspaceBinding.volumeClaimTemplate();
    }
    // One run per revision: the name is the pipeline's and the revision's hash (Triggers' create of a second
    // run of the same revision fails as "already exists"); rerun/resume make fresh names on purpose.
    return {
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: { name: runName, labels: options.runLabels },
      spec: {
        ...renderRunSpec(options.pipeline, {
          ...options,
          workspaces,
          serviceAccountName: options.serviceAccount?.name ?? options.serviceAccountName ?? this.props.serviceAccount?.name ??
            this.props.serviceAccountName ?? this.runServiceAccount?.name,
        }, params),
        status: options._startPending ? 'PipelineRunPending' : undefined,
      },
    };
  }

  private runProblems(options: TriggeredRunOptions, values: Map<string, TriggerParamValue>): string[] {
    const pipeline = options.pipeline;
    const errors: string[] = [];
    const specs = new Map(pipeline.paramSpecs.map((p) => [p.name, p]));
    for (const [name, spec] of specs) {
      if (!values.has(name) && spec.default === undefined) {
        errors.push(problem('missing-required-param', `pipeline '${pipeline.name}' param '${name}' gets no value: give it in params, ` +
          `e.g. params: { '${name}': FluxEvent.revision() } or a literal, or give the param a default where it is declared`));
      }
    }
    for (const [name, value] of values) {
      const spec = specs.get(name);
      if (value instanceof FluxEventValue) {
        if (spec && spec.type !== ParamType.STRING) {
          errors.push(problem('param-type-mismatch', `param '${name}' is ${spec.type === ParamType.ARRAY ? 'an array' : 'an object'}, ` +
            `but FluxEvent.${value.label} is a string: give a literal ${spec.type}`));
        }
        const unfit = value.problem(this.source);
        if (unfit) errors.push(problem('wrong-kind', `param '${name}': ${unfit}`));
      }
    }
    const literals = Object.fromEntries([...values].filter((e): e is [string, ParamValue] => !(e[1] instanceof FluxEventValue)));
    errors.push(...runParamTypeProblems(pipeline, literals));
    // unknown params, workspaces and timeouts are checked like a PipelineRun's
    const given = [...new Set([...values.keys(), ...Object.keys(options.params ?? {})])];
    errors.push(...runProblems(pipeline, { ...options, workspaces: options.workspaces }, given, 'params', { unboundParams: false, unboundWorkspaces: false }));
    errors.push(...crossNamespaceProblems('the listener', 'Pipeline', pipeline.name, pipeline.namespace, this.namespace,
      `set \`namespace\` to '${pipeline.namespace}' (the listener creates the runs in its own namespace)`));
    return errors;
  }
}

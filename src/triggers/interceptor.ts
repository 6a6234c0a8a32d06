import * as kplus from 'cdk8s-plus-28';
import { reference, secretKeyProblem } from '../internal/validation';
import { problem } from '../problems';

/** One CEL overlay: adds `extensions.<key>` computed from the request. */
export interface CelOverlay {
  /** The extension key (`$(extensions.<key>)` in bindings). */
  readonly key: string;
  /** The CEL expression, e.g. `body.metadata.revision.split('@sha1:')[1]`. */
  readonly expression: string;
}

/** Options of the CEL interceptor. */
export interface CelInterceptorOptions {
  /**
   * Only requests for which this CEL expression is true go on.
   * @default - all requests
   */
  readonly filter?: string;
  /**
   * Values computed from the request, available to bindings as `$(extensions.<key>)`.
   * @default - none
   */
  readonly overlays?: CelOverlay[];
}

/** A reference to a Secret key, e.g. the webhook secret of a GitHub interceptor (give `secret` or `secretName`). */
export interface SecretKeyRef {
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
  /** The key in the Secret. */
  readonly secretKey: string;
}

/** Options of the GitHub, GitLab and Bitbucket interceptors. */
export interface ScmInterceptorOptions {
  /**
   * The Secret key that holds the webhook's secret (the interceptor checks the request's signature or token with it).
   * @default - none: requests are not verified
   */
  readonly secretRef?: SecretKeyRef;
  /**
   * The event types to accept, e.g. `push`, `pull_request`.
   * @default - all
   */
  readonly eventTypes?: string[];
}

/** A Tekton Triggers interceptor entry, as stored in a trigger. */
export interface InterceptorSpec {
  /**
   * A name for the interceptor in the trigger.
   * @default - none
   */
  readonly name?: string;
  /** The interceptor: a ClusterInterceptor or a namespaced Interceptor, by name. */
  readonly ref: { name: string; kind?: string; apiVersion?: string };
  /**
   * Its params.
   * @default - none
   */
  readonly params?: Array<{ name: string; value: unknown }>;
}

/** An interceptor: filters or enriches requests before the bindings run.
 *
 * @see https://tekton.dev/docs/triggers/interceptors/
 */
export class Interceptor {
  /** Tekton's CEL ClusterInterceptor. */
  public static cel(options: CelInterceptorOptions): Interceptor {
    return Interceptor.celFrom(() => options);
  }

  /** The CEL interceptor with a filter and overlays computed at synth time (so they can follow late additions). */
  public static celFrom(produce: () => CelInterceptorOptions): Interceptor {
    return new Interceptor(() => {
      const options = produce();
      const params: Array<{ name: string; value: unknown }> = [];
      if (options.filter) params.push({ name: 'filter', value: options.filter });
      if (options.overlays?.length) params.push({ name: 'overlays', value: options.overlays.map((o) => ({ key: o.key, expression: o.expression })) });
      return { ref: { name: 'cel', kind: 'ClusterInterceptor' }, params };
    });
  }

  /** Tekton's GitHub ClusterInterceptor (validates the webhook signature, filters event types). */
  public static github(options: ScmInterceptorOptions = {}): Interceptor {
    return Interceptor.scm('github', options);
  }

  /** Tekton's GitLab ClusterInterceptor. */
  public static gitlab(options: ScmInterceptorOptions = {}): Interceptor {
    return Interceptor.scm('gitlab', options);
  }

  /** Tekton's Bitbucket ClusterInterceptor. */
  public static bitbucket(options: ScmInterceptorOptions = {}): Interceptor {
    return Interceptor.scm('bitbucket', options);
  }

  /** Any other ClusterInterceptor, by name. */
  public static clusterInterceptor(name: string, params: { [name: string]: unknown } = {}): Interceptor {
    return Interceptor.of({ ref: { name, kind: 'ClusterInterceptor' }, params: Object.entries(params).map(([n, value]) => ({ name: n, value })) });
  }

  /** A namespaced Interceptor in the listener's namespace, by name. */
  public static namespacedInterceptor(name: string, params: { [name: string]: unknown } = {}): Interceptor {
    return Interceptor.of({ ref: { name, kind: 'NamespacedInterceptor' }, params: Object.entries(params).map(([n, value]) => ({ name: n, value })) });
  }

  private static scm(name: string, options: ScmInterceptorOptions): Interceptor {
    const params: Array<{ name: string; value: unknown }> = [];
    const ref = options.secretRef;
    const secret = ref && reference({ kind: 'Secret', objectProp: 'secretRef.secret', nameProp: 'secretRef.secretName' }, ref.secret, ref.secretName);
    if (ref) params.push({ name: 'secretRef', value: { secretName: secret?.name, secretKey: ref.secretKey } });
    if (options.eventTypes) params.push({ name: 'eventTypes', value: [...options.eventTypes] });
    const problems = !ref ? [] : [
      ...(secret?.name === undefined ? [problem('missing-prop', `the ${name} interceptor's secretRef has no Secret: give secretRef.secretName (or secretRef.secret)`)] : []),
      ...secret?.problems ?? [],
      ...[secretKeyProblem('secretRef.secretKey', ref.secretKey)].filter((p): p is string => !!p),
    ];
    return new Interceptor(() => ({ ref: { name, kind: 'ClusterInterceptor' }, params }), problems);
  }

  private static of(spec: InterceptorSpec): Interceptor {
    return new Interceptor(() => spec);
  }

  private constructor(private readonly produce: () => InterceptorSpec, private readonly problems: string[] = []) {}

  /** What is wrong with the interceptor's options (reported by the trigger that uses it). @internal */
  public _problems(): string[] {
    return this.problems;
  }

  /** The interceptor as stored in a trigger. */
  public render(): InterceptorSpec {
    const spec = this.produce();
    return { ref: { ...spec.ref }, params: spec.params?.length ? spec.params : undefined };
  }
}

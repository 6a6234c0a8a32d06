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

/** A reference to a Secret key, e.g. the webhook secret of a GitHub interceptor. */
export interface SecretKeyRef {
  /** The Secret's name (in the listener's namespace). */
  readonly secretName: string;
  /** The key in the Secret. */
  readonly secretKey: string;
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
  readonly params?: Array<{ name: string; value: any }>;
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
      const params: Array<{ name: string; value: any }> = [];
      if (options.filter) params.push({ name: 'filter', value: options.filter });
      if (options.overlays?.length) params.push({ name: 'overlays', value: options.overlays.map((o) => ({ key: o.key, expression: o.expression })) });
      return { ref: { name: 'cel', kind: 'ClusterInterceptor' }, params };
    });
  }

  /** Tekton's GitHub ClusterInterceptor (validates the webhook signature, filters event types). */
  public static github(options: { secretRef?: SecretKeyRef; eventTypes?: string[] } = {}): Interceptor {
    return Interceptor.scm('github', options);
  }

  /** Tekton's GitLab ClusterInterceptor. */
  public static gitlab(options: { secretRef?: SecretKeyRef; eventTypes?: string[] } = {}): Interceptor {
    return Interceptor.scm('gitlab', options);
  }

  /** Tekton's Bitbucket ClusterInterceptor. */
  public static bitbucket(options: { secretRef?: SecretKeyRef; eventTypes?: string[] } = {}): Interceptor {
    return Interceptor.scm('bitbucket', options);
  }

  /** Any other ClusterInterceptor, by name. */
  public static clusterInterceptor(name: string, params: { [name: string]: any } = {}): Interceptor {
    return Interceptor.of({ ref: { name, kind: 'ClusterInterceptor' }, params: Object.entries(params).map(([n, value]) => ({ name: n, value })) });
  }

  /** A namespaced Interceptor in the listener's namespace, by name. */
  public static namespacedInterceptor(name: string, params: { [name: string]: any } = {}): Interceptor {
    return Interceptor.of({ ref: { name, kind: 'NamespacedInterceptor' }, params: Object.entries(params).map(([n, value]) => ({ name: n, value })) });
  }

  private static scm(name: string, options: { secretRef?: SecretKeyRef; eventTypes?: string[] }): Interceptor {
    const params: Array<{ name: string; value: any }> = [];
    if (options.secretRef) params.push({ name: 'secretRef', value: { ...options.secretRef } });
    if (options.eventTypes) params.push({ name: 'eventTypes', value: [...options.eventTypes] });
    return Interceptor.of({ ref: { name, kind: 'ClusterInterceptor' }, params });
  }

  private static of(spec: InterceptorSpec): Interceptor {
    return new Interceptor(() => spec);
  }

  private constructor(private readonly produce: () => InterceptorSpec) {}

  /** The interceptor as stored in a trigger. */
  public render(): InterceptorSpec {
    const spec = this.produce();
    return { ref: { ...spec.ref }, params: spec.params?.length ? spec.params : undefined };
  }
}

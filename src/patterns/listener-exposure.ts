import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { claimName } from '../internal/registry';
import { ListenerClient } from '../triggers/event-listener';

/** Options of `ListenerExposure.ingress()`. */
export interface IngressExposureOptions {
  /**
   * The IngressClass.
   * @default - the cluster's default IngressClass
   */
  readonly className?: string;
  /**
   * A `kubernetes.io/tls` Secret in the listener's namespace with the certificate of the external URL's host.
   * @default - the ingress controller's default certificate
   */
  readonly tlsSecretName?: string;
  /**
   * The ingress controller's pods (the listener's NetworkPolicy admits them).
   * @default - ingress-nginx: pods `app.kubernetes.io/name: ingress-nginx` in namespace `ingress-nginx`
   */
  readonly controller?: ListenerClient;
}

/** Options of `ListenerExposure.httpRoute()`. */
export interface HttpRouteExposureOptions {
  /** The Gateway that serves the external URL's host (its listener must allow routes from the listener's namespace). */
  readonly gatewayName: string;
  /** The Gateway's namespace. */
  readonly gatewayNamespace: string;
  /** The Gateway's pods (the listener's NetworkPolicy admits them). */
  readonly controller: ListenerClient;
}

/**
 * What makes a listener reachable from other clusters at its `externalUrl`: an `Ingress` (the default, what
 * most clusters have) or a Gateway API `HTTPRoute`, routing the URL's host and path to the `el-<name>` Service.
 * HTTPS ends there; inside the cluster the listener is reached as any Service.
 */
export class ListenerExposure {
  /** A `networking.k8s.io/v1` Ingress (the default). */
  public static ingress(options: IngressExposureOptions = {}): ListenerExposure {
    return new ListenerExposure('Ingress', options.controller ?? { namespace: 'ingress-nginx', podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
      options);
  }

  /** A `gateway.networking.k8s.io/v1` HTTPRoute attached to an existing Gateway. */
  public static httpRoute(options: HttpRouteExposureOptions): ListenerExposure {
    return new ListenerExposure('HTTPRoute', options.controller, options);
  }

  private constructor(
    /** The kind written. */
    public readonly kind: 'Ingress' | 'HTTPRoute',
    /** Whose pods reach the listener. */
    public readonly controller: ListenerClient,
    private readonly options: IngressExposureOptions | HttpRouteExposureOptions,
  ) {}

  /** Writes the Ingress or HTTPRoute that routes `url` to Service `service` port `port`. @internal */
  public _render(scope: Construct, name: string, namespace: string, url: URL, service: string, port: number): void {
    const host = url.hostname;
    const path = url.pathname || '/';
    if (this.kind === 'Ingress') {
      const o = this.options as IngressExposureOptions;
      const ingress = new ApiObject(scope, 'Ingress', {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name, namespace },
        spec: {
          ingressClassName: o.className,
          tls: [{ hosts: [host], secretName: o.tlsSecretName }],
          rules: [{ host, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } }] } }],
        },
      });
      claimName(ingress, 'Ingress', namespace, name);
      return;
    }
    const o = this.options as HttpRouteExposureOptions;
    const route = new ApiObject(scope, 'HTTPRoute', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace },
      spec: {
        parentRefs: [{ name: o.gatewayName, namespace: o.gatewayNamespace }],
        hostnames: [host],
        rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }], backendRefs: [{ name: service, port }] }],
      },
    });
    claimName(route, 'HTTPRoute', namespace, name);
  }
}

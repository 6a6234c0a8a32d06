/** Options of shared-token authentication (`ListenerAuthentication.sharedToken`). */
export interface SharedTokenAuthentication {
  /**
   * An existing Secret in the Flux (source) namespace whose `headers` key holds the header Flux adds to
   * every request, e.g. `X-Flux-Token: <token>` (Flux's generic provider sends each header listed there).
   * @default - `<name>-flux-token`, `<name>` being the FluxTriggeredPipeline's name
   */
  readonly providerSecretName?: string;
  /**
   * An existing Secret in the listener's namespace holding the same token.
   * @default - `<name>-flux-token`
   */
  readonly listenerSecretName?: string;
  /**
   * The key of the token in the listener's Secret.
   * @default 'token'
   */
  readonly listenerSecretKey?: string;
  /**
   * The header that carries the token.
   * @default 'X-Flux-Token'
   */
  readonly header?: string;
}

/**
 * How the listener knows a request comes from Flux. Shared-token authentication is the default: Flux's
 * Provider sends a header from a Secret, and the listener's CEL filter compares it with its own Secret
 * (Tekton's `compareSecret`, evaluated by Triggers' core interceptors). The Secrets are referenced by
 * name, never generated (see the README's "Security" for the command that creates them).
 */
export class ListenerAuthentication {
  /** A shared token in a header (the default, with the Secret names derived from the pipeline's name). */
  public static sharedToken(options: SharedTokenAuthentication = {}): ListenerAuthentication {
    return new ListenerAuthentication(options);
  }

  /**
   * No authentication: anyone who can reach the listener's Service (the NetworkPolicy permitting) can
   * start runs, with any event. Named so that the choice is explicit; `simulate` warns about it.
   */
  public static unauthenticated(): ListenerAuthentication {
    return new ListenerAuthentication(undefined);
  }

  private constructor(
    /** The shared-token options, or undefined for no authentication. */
    public readonly sharedTokenOptions: SharedTokenAuthentication | undefined,
  ) {}
}

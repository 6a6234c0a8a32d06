import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { claimName } from '../internal/registry';
import { problem } from '../problems';

/** Options of `ListenerTokenSource.externalSecretsPassword()`. */
export interface ExternalSecretsPasswordOptions {
  /**
   * The token's length: letters and digits only (a `headers` value that YAML reads as a string whatever it is).
   * @default 48
   */
  readonly length?: number;
}

/** The most and fewest characters of a generated token. */
const LENGTH = { min: 32, max: 128, default: 48 };

/**
 * Where a listener's token Secret comes from. The library never writes a Secret value into `dist/`: either a
 * person creates the Secret (`cdk8s-tekton-flux secrets dist` prints the command), or `dist/` brings an object
 * that makes the cluster generate it.
 */
export class ListenerTokenSource {
  /** A Secret created by hand before the listener works (the default). */
  public static createdByHand(): ListenerTokenSource {
    return new ListenerTokenSource(undefined);
  }

  /**
   * Generated in the cluster by External Secrets Operator (v0.16 or later, installed by the platform): `dist/` holds
   * a `Password` generator and an `ExternalSecret` that writes the one Secret with both keys, `headers`
   * (`X-Flux-Token: "<token>"`, what the Provider sends) and `token` (what the listener compares), from one
   * generated value. The Secret is created once (`refreshPolicy: CreatedOnce`), so the two keys never disagree
   * while an event is in flight; to rotate the token, delete the Secret and ESO generates a new one.
   */
  public static externalSecretsPassword(options: ExternalSecretsPasswordOptions = {}): ListenerTokenSource {
    return new ListenerTokenSource({ length: options.length ?? LENGTH.default, options });
  }

  private constructor(
    /** The generator's settings, or undefined when the Secret is made by hand. */
    private readonly generated: { length: number; options: ExternalSecretsPasswordOptions } | undefined,
  ) {}

  /** Whether `dist/` brings the Secret. */
  public get generatesSecret(): boolean {
    return this.generated !== undefined;
  }

  /** What is wrong with the options (the listener reports it with its path). @internal */
  public _problems(): string[] {
    if (!this.generated) return [];
    const errors: string[] = [];
    for (const key of Object.keys(this.generated.options).filter((k) => k !== 'length')) {
      errors.push(problem('unknown-option', `ListenerTokenSource.externalSecretsPassword() has no option '${key}': use length`));
    }
    const n = this.generated.length;
    if (!Number.isInteger(n) || n < LENGTH.min || n > LENGTH.max) {
      errors.push(problem('invalid-token-length', `ListenerTokenSource.externalSecretsPassword() length ${n} is not a whole number from ${LENGTH.min} to ${LENGTH.max}: ` +
        `leave it out for ${LENGTH.default}`));
    }
    return errors;
  }

  /**
   * Writes the generator and the ExternalSecret that makes Secret `secretName` of `namespace` with the keys
   * `headers` (`header: "<token>"`) and `token`. @internal
   */
  public _render(scope: Construct, namespace: string, secretName: string, header: string, tokenKey: string): void {
    if (!this.generated) return;
    // Letters and digits only: nothing in the header line that YAML (Flux reads `headers` as YAML) or HTTP would
    // read otherwise; quoted, so that it stays a string even if it looked like a number.
    const generator = new ApiObject(scope, 'TokenGenerator', {
      apiVersion: 'generators.external-secrets.io/v1alpha1',
      kind: 'Password',
      metadata: { name: secretName, namespace },
      spec: { length: this.generated.length, digits: Math.floor(this.generated.length / 4), symbols: 0, noUpper: false, allowRepeat: true },
    });
    claimName(generator, 'Password', namespace, secretName);
    const external = new ApiObject(scope, 'TokenSecret', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: secretName, namespace },
      spec: {
        refreshPolicy: 'CreatedOnce',
        refreshInterval: '0s',
        target: {
          name: secretName,
          creationPolicy: 'Owner',
          template: {
            type: 'Opaque',
            engineVersion: 'v2',
            data: { headers: `${header}: "{{ .password }}"`, [tokenKey]: '{{ .password }}' },
          },
        },
        dataFrom: [{
          sourceRef: { generatorRef: { apiVersion: 'generators.external-secrets.io/v1alpha1', kind: 'Password', name: secretName } },
        }],
      },
    });
    claimName(external, 'ExternalSecret', namespace, secretName);
  }
}

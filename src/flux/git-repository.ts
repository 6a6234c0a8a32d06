import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { FluxKind, FluxObjectProps, FluxObjectRefOptions, FluxSource, IFluxSource, RefKind } from './event-source';
import * as l1 from '../../imports/source.toolkit.fluxcd.io';
import { durationProblems, goDuration } from '../internal/duration';
import { lazy } from '../internal/lazy';
import { reference } from '../internal/validation';
import { problem } from '../problems';
import { Resource, fasterL1 } from '../resource';

/** The L1, rendering through renderApiObject: the same object as the generated toJson, faster (see resource.ts). */
const GitRepositoryResource = fasterL1(l1.GitRepository, l1.toJson_GitRepositoryProps);

/** The git reference a GitRepository follows (set one). */
export interface GitRef {
  /**
   * A branch.
   * @default - none; one of branch, tag, semver, commit or name must be set
   */
  readonly branch?: string;
  /**
   * A tag.
   * @default - none
   */
  readonly tag?: string;
  /**
   * A semver range over tags, e.g. `>=1.0.0`.
   * @default - none
   */
  readonly semver?: string;
  /**
   * A commit SHA.
   * @default - none
   */
  readonly commit?: string;
  /**
   * A full ref name, e.g. `refs/pull/42/head`.
   * @default - none
   */
  readonly name?: string;
}

/** Props for `GitRepository`. */
export interface GitRepositoryProps extends FluxObjectProps {
  /** The repository URL (`https://…` or `ssh://…`). */
  readonly url: string;
  /**
   * The branch to follow (shorthand for `ref: { branch }`).
   * @default - see `ref`
   */
  readonly branch?: string;
  /**
   * The git reference to follow.
   * @default - `{ branch }`
   */
  readonly ref?: GitRef;
  /**
   * How often Flux fetches.
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;
  /**
   * An existing Secret with the credentials (by name; never inline secrets).
   * @default - a public repository
   */
  readonly secretName?: string;
  /**
   * The same Secret as a cdk8s-plus object (`kplus.Secret.fromSecretName(…)`). One of this and `secretName`.
   * @default - `secretName`
   */
  readonly secret?: kplus.ISecret;
  /**
   * `.gitignore`-style patterns of files to leave out of the artifact.
   * @default - Flux's defaults
   */
  readonly ignore?: string;
  /**
   * Other GitRepositories to include in the artifact.
   * @default - none
   */
  readonly include?: Array<{ repository: IFluxSource; fromPath?: string; toPath?: string }>;
}

/** A Flux `GitRepository` (`source.toolkit.fluxcd.io/v1`).
 *
 * @see https://fluxcd.io/flux/components/source/gitrepositories/
 */
export class GitRepository extends Resource implements IFluxSource {
  /** A GitRepository that exists already. */
  public static fromGitRepositoryName(scope: Construct, id: string, name: string, options: FluxObjectRefOptions = {}): IFluxSource {
    return FluxSource.fromName(scope, id, FluxKind.GIT_REPOSITORY, name, options);
  }

  public readonly kind = FluxKind.GIT_REPOSITORY;
  declare public readonly namespace: string;
  public readonly refKind: RefKind;
  /** The repository URL (use it as a param value for a clone task). */
  public readonly url: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.GitRepository;

  constructor(scope: Construct, id: string, props: GitRepositoryProps) {
    super(scope, id, { kind: 'GitRepository', flux: true }, props);
    this.url = props.url;
    const ref = props.ref ?? (props.branch ? { branch: props.branch } : undefined);
    this.refKind = ref?.tag || ref?.semver ? RefKind.TAG : ref?.branch ? RefKind.BRANCH : RefKind.UNKNOWN;
    const secret = reference({ kind: 'Secret', objectProp: 'secret', nameProp: 'secretName' }, props.secret, props.secretName);
    this.resource = new GitRepositoryResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: lazy((): l1.GitRepositorySpec => ({
        url: props.url,
        interval: goDuration(props.interval ?? Duration.minutes(1)),
        ref,
        secretRef: secret.name ? { name: secret.name } : undefined,
        ignore: props.ignore,
        include: props.include?.map((i) => ({ repository: { name: i.repository.name }, fromPath: i.fromPath, toPath: i.toPath })),
      })),
    });
    this.addValidation(() => {
      const errors = durationProblems('interval', props.interval);
      if (props.branch && props.ref) errors.push(problem('conflicting-props', "set either 'branch' or 'ref', not both"));
      if (!ref || Object.values(ref).every((v) => v === undefined || v === '')) {
        errors.push(problem('missing-prop', "no git reference: Flux would silently follow the 'master' branch. Set 'branch' (e.g. 'main'), or 'ref' " +
          'with one of branch, tag, semver, commit or name'));
      }
      if (!/^(https?|ssh):\/\//.test(props.url)) errors.push(problem('invalid-url', `url '${props.url}' must start with http://, https:// or ssh://`));
      errors.push(...secret.problems);
      for (const i of props.include ?? []) {
        if (i.repository.kind !== FluxKind.GIT_REPOSITORY) {
          errors.push(problem('wrong-kind', `include '${i.repository.name}' is a ${i.repository.kind}: only GitRepositories can be included`));
        } else if (i.repository.namespace !== this.namespace) {
          errors.push(problem('cross-namespace-reference', `include '${i.repository.name}' is in namespace '${i.repository.namespace}': ` +
            `Flux includes only GitRepositories of the same namespace ('${this.namespace}')`));
        }
      }
      return errors;
    });
  }
}

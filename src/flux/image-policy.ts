import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { FluxObjectProps } from './event-source';
import { IImageRepository, ImageRepository } from './image-repository';
import { goRegexProblem, missingGroups, semverRangeProblem } from './image-validation';
import * as l1 from '../../imports/image.toolkit.fluxcd.io';
import { durationProblems, goDuration } from '../internal/duration';
import { problem } from '../problems';
import { IResource, Resource, fasterL1 } from '../resource';
import { ImportedFluxObject } from './imported';

/** The L1, rendering through renderApiObject: the same object as the generated toJson, faster (see resource.ts). */
const ImagePolicyResource = fasterL1(l1.ImagePolicy, l1.toJson_ImagePolicyProps);

/** An ImagePolicy: the latest image of a repository by its rule, which an automation writes into marked fields. */
export interface IImagePolicy extends IResource {
  /** Its namespace. */
  readonly namespace: string;
}

/** Options of `ImagePolicy.fromImagePolicyName`. */
export interface ImagePolicyRefOptions {
  /**
   * Its namespace.
   * @default 'flux-system'
   */
  readonly namespace?: string;
}

/** The order of tags for `ImagePolicyChoice.alphabetical` and `.numerical`: the last tag in it is the latest. */
export class ImagePolicyOrder {
  /** Ascending (Flux's default): the highest tag is the latest (`z` of a–z, `9` of 0–9). */
  public static readonly ASCENDING = new ImagePolicyOrder('asc');
  /** Descending: the lowest tag is the latest (`a` of a–z, `0` of 0–9). */
  public static readonly DESCENDING = new ImagePolicyOrder('desc');

  private constructor(
    /** The value Flux reads (`order`). */
    public readonly value: 'asc' | 'desc',
  ) {}
}

/** How an ImagePolicy picks the latest tag (`spec.policy`). */
export class ImagePolicyChoice {
  /** The highest semantic version in `range` (Masterminds/semver constraints, e.g. `>=1.0.0`, `~1.4`, `>=1.0.0 <2.0.0`). */
  public static semver(range: string): ImagePolicyChoice {
    return new ImagePolicyChoice({ semver: { range } }, () => {
      const p = semverRangeProblem('semver range', range);
      return p ? [p] : [];
    });
  }

  /** The last tag in alphabetical order (e.g. RFC 3339 timestamps, extracted with `filterTags`). */
  public static alphabetical(order: ImagePolicyOrder = ImagePolicyOrder.ASCENDING): ImagePolicyChoice {
    return new ImagePolicyChoice({ alphabetical: { order: order.value as l1.ImagePolicySpecPolicyAlphabeticalOrder } }, () => []);
  }

  /** The last tag in numerical order (e.g. a build number or a Unix time, extracted with `filterTags`). */
  public static numerical(order: ImagePolicyOrder = ImagePolicyOrder.ASCENDING): ImagePolicyChoice {
    return new ImagePolicyChoice({ numerical: { order: order.value as l1.ImagePolicySpecPolicyNumericalOrder } }, () => []);
  }

  private constructor(private readonly policy: l1.ImagePolicySpecPolicy, private readonly check: () => string[]) {}

  /** The `spec.policy` it writes. @internal */
  public _render(): l1.ImagePolicySpecPolicy {
    return this.policy;
  }

  /** What is wrong with it (the ImagePolicy reports it with its path). @internal */
  public _problems(): string[] {
    return this.check();
  }
}

/** What an ImagePolicy writes into `status.latestRef.digest` (the `:digest` marker field reads it). */
export class DigestReflection {
  /** No digest (Flux's default): `:digest` markers are not written. */
  public static readonly NEVER = new DigestReflection('Never');
  /** The digest of the latest tag, looked up once per tag. */
  public static readonly IF_NOT_PRESENT = new DigestReflection('IfNotPresent');

  /**
   * The digest of the latest tag, looked up again every `interval` (a tag that is pushed again, e.g. `latest`,
   * gets its new digest).
   */
  public static always(interval: Duration): DigestReflection {
    return new DigestReflection('Always', interval);
  }

  private constructor(
    /** The value Flux reads (`spec.digestReflectionPolicy`). */
    public readonly value: 'Never' | 'IfNotPresent' | 'Always',
    /**
     * How often the digest is looked up again (`spec.interval`).
     * @default - only with `always`
     */
    public readonly interval?: Duration,
  ) {}
}

/** Which tags an ImagePolicy considers, and what of each it compares (`spec.filterTags`). */
export interface ImageTagFilter {
  /** A regular expression (Go syntax) a tag must match, e.g. `^main-[a-f0-9]+-(?P<ts>[0-9]+)$`. */
  readonly pattern: string;
  /**
   * What of a matching tag is compared: `pattern`'s capture groups, e.g. `$ts`.
   * @default - the whole tag
   */
  readonly extract?: string;
}

/** Props for `ImagePolicy`. */
export interface ImagePolicyProps extends FluxObjectProps {
  /** The ImageRepository whose tags it picks from (in the same namespace, for one defined here). */
  readonly imageRepository: IImageRepository;
  /** How the latest tag is picked, e.g. `ImagePolicyChoice.semver('>=1.0.0')`. */
  readonly policy: ImagePolicyChoice;
  /**
   * Only tags that match, compared by what is extracted of them.
   * @default - every tag, compared whole
   */
  readonly filterTags?: ImageTagFilter;
  /**
   * Whether the latest tag's digest is looked up (for `:digest` markers).
   * @default DigestReflection.NEVER
   */
  readonly digestReflection?: DigestReflection;
  /**
   * Stop updating the latest image.
   * @default false
   */
  readonly suspend?: boolean;
}

/** A Flux `ImagePolicy` (`image.toolkit.fluxcd.io/v1`): image-reflector-controller picks the latest image by its rule.
 *
 * @see https://fluxcd.io/flux/components/image/imagepolicies/
 */
export class ImagePolicy extends Resource implements IImagePolicy {
  /** An ImagePolicy that exists already. */
  public static fromImagePolicyName(scope: Construct, id: string, name: string, options: ImagePolicyRefOptions = {}): IImagePolicy {
    return new ImportedFluxObject(scope, id, name, options.namespace ?? 'flux-system');
  }

  declare public readonly namespace: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.ImagePolicy;

  constructor(scope: Construct, id: string, props: ImagePolicyProps) {
    super(scope, id, { kind: 'ImagePolicy', flux: true }, props);
    const repository = props.imageRepository;
    const digest = props.digestReflection;
    this.resource = new ImagePolicyResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: {
        imageRepositoryRef: { name: repository.name, namespace: repository.namespace !== this.namespace ? repository.namespace : undefined },
        policy: props.policy._render(),
        filterTags: props.filterTags && { pattern: props.filterTags.pattern, extract: props.filterTags.extract },
        digestReflectionPolicy: digest?.value as l1.ImagePolicySpecDigestReflectionPolicy | undefined,
        interval: digest?.interval && goDuration(digest.interval),
        suspend: props.suspend,
      },
    });
    this.addValidation(() => {
      const errors = [...props.policy._problems(), ...durationProblems('digestReflection interval', digest?.interval)];
      if (repository instanceof ImageRepository && repository.namespace !== this.namespace) {
        errors.push(problem('cross-namespace-reference', `imageRepository '${repository.name}' is in namespace '${repository.namespace}', ` +
          `the policy in '${this.namespace}': image-reflector-controller refuses it unless the repository allows it with accessFrom; ` +
          'define both in one namespace'));
      }
      const filter = props.filterTags;
      if (filter) {
        const p = goRegexProblem('filterTags.pattern', filter.pattern);
        if (p) errors.push(p);
        const missing = p ? [] : missingGroups(filter.pattern, filter.extract ?? '');
        if (missing.length) {
          errors.push(problem('invalid-regex', `filterTags.extract '${filter.extract}' refers to ${missing.map((m) => `'${m}'`).join(', ')}, ` +
            `which filterTags.pattern '${filter.pattern}' does not capture: every tag would be extracted as ''; name the group ` +
            "in the pattern, e.g. '(?P<ts>[0-9]+)' for '$ts'"));
        }
        if (filter.extract === '') {
          errors.push(problem('invalid-regex', "filterTags.extract is '': every tag would be extracted as ''; leave it out to compare whole tags"));
        }
      }
      return errors;
    });
  }
}

/** Which part of the latest image a marked field is set to. */
export class ImagePolicyField {
  /** The whole reference, `ghcr.io/acme/web:1.4.2` (Flux's default). */
  public static readonly IMAGE = new ImagePolicyField('');
  /** The tag, `1.4.2` (a kustomization's `newTag`). */
  public static readonly TAG = new ImagePolicyField(':tag');
  /** The name, `ghcr.io/acme/web` (a kustomization's `newName`). */
  public static readonly NAME = new ImagePolicyField(':name');
  /** The digest, `sha256:…` (a kustomization's `digest`; needs a `digestReflection` other than NEVER). */
  public static readonly DIGEST = new ImagePolicyField(':digest');

  private constructor(
    /** What the marker appends to `<namespace>:<policy>`. */
    public readonly suffix: '' | ':tag' | ':name' | ':digest',
  ) {}
}

/**
 * The setter marker of Flux's image automation for a policy: the comment of the field the ImageUpdateAutomation
 * sets to the policy's latest image, e.g. `newTag: 1.4.2 # {"$imagepolicy": "flux-system:web:tag"}`.
 */
export function imagePolicyMarker(policy: IImagePolicy, field: ImagePolicyField = ImagePolicyField.IMAGE): string {
  return `# {"$imagepolicy": "${policy.namespace}:${policy.name}${field.suffix}"}`;
}

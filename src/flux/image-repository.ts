import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { FluxObjectProps } from './event-source';
import { goRegexProblem } from './image-validation';
import * as l1 from '../../imports/image.toolkit.fluxcd.io';
import { durationProblems, goDuration } from '../internal/duration';
import { imageProblem, secretNameProblem } from '../internal/validation';
import { problem } from '../problems';
import { IResource, Resource, fasterL1 } from '../resource';
import { ImportedFluxObject } from './imported';

/** The L1, rendering through renderApiObject: the same object as the generated toJson, faster (see resource.ts). */
const ImageRepositoryResource = fasterL1(l1.ImageRepository, l1.toJson_ImageRepositoryProps);

/** An image repository Flux scans (an ImagePolicy picks one of its tags). */
export interface IImageRepository extends IResource {
  /** Its namespace. */
  readonly namespace: string;
}

/** Options of `ImageRepository.fromImageRepositoryName`. */
export interface ImageRepositoryRefOptions {
  /**
   * Its namespace.
   * @default 'flux-system'
   */
  readonly namespace?: string;
}

/** How image-reflector-controller authenticates to the registry. */
export class ImageRegistryProvider {
  /** A Secret of type `kubernetes.io/dockerconfigjson` (`secretName`), or anonymous (Flux's default). */
  public static readonly GENERIC = new ImageRegistryProvider('generic');
  /** Amazon ECR, with the controller's cloud identity. */
  public static readonly AWS = new ImageRegistryProvider('aws');
  /** Azure Container Registry, with the controller's cloud identity. */
  public static readonly AZURE = new ImageRegistryProvider('azure');
  /** Google Artifact Registry or GCR, with the controller's cloud identity. */
  public static readonly GCP = new ImageRegistryProvider('gcp');

  private constructor(
    /** The value Flux reads (`spec.provider`). */
    public readonly value: 'generic' | 'aws' | 'azure' | 'gcp',
  ) {}
}

/** Props for `ImageRepository`. */
export interface ImageRepositoryProps extends FluxObjectProps {
  /** The image repository to scan, without tag or digest, e.g. `ghcr.io/acme/web`. */
  readonly image: string;
  /**
   * How often Flux lists the repository's tags.
   * @default Duration.minutes(5)
   */
  readonly interval?: Duration;
  /**
   * How long one scan may take (under an hour).
   * @default - the interval
   */
  readonly timeout?: Duration;
  /**
   * How the registry is authenticated to.
   * @default ImageRegistryProvider.GENERIC
   */
  readonly provider?: ImageRegistryProvider;
  /**
   * An existing Secret of type `kubernetes.io/dockerconfigjson` with the registry's credentials (by name; never
   * inline secrets).
   * @default - anonymous (a public repository)
   */
  readonly secretName?: string;
  /**
   * An existing Secret with a client certificate and key (`tls.crt`, `tls.key`) and/or a CA certificate (`ca.crt`)
   * for the registry.
   * @default - the system's CAs
   */
  readonly certSecretName?: string;
  /**
   * A ServiceAccount whose image pull secrets authenticate to the registry.
   * @default - none
   */
  readonly serviceAccountName?: string;
  /**
   * Regular expressions (Go syntax) of tags that are never stored, e.g. `^.*\.sig$`.
   * @default - Flux's: ['^.*\\.sig$'] (cosign signatures)
   */
  readonly exclusionList?: string[];
  /**
   * Talk plain HTTP to the registry.
   * @default false
   */
  readonly insecure?: boolean;
  /**
   * Stop scanning.
   * @default false
   */
  readonly suspend?: boolean;
}

/** The longest timeout the CRD takes: its pattern has no hours. */
const MAX_TIMEOUT = Duration.minutes(60);

/** A Flux `ImageRepository` (`image.toolkit.fluxcd.io/v1`): image-reflector-controller lists its tags.
 *
 * @see https://fluxcd.io/flux/components/image/imagerepositories/
 */
export class ImageRepository extends Resource implements IImageRepository {
  /** An ImageRepository that exists already. */
  public static fromImageRepositoryName(scope: Construct, id: string, name: string, options: ImageRepositoryRefOptions = {}): IImageRepository {
    return new ImportedFluxObject(scope, id, name, options.namespace ?? 'flux-system');
  }

  declare public readonly namespace: string;
  /** The image repository scanned, e.g. `ghcr.io/acme/web`. */
  public readonly image: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.ImageRepository;

  constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    super(scope, id, { kind: 'ImageRepository', flux: true }, props);
    this.image = props.image;
    this.resource = new ImageRepositoryResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: {
        image: props.image,
        interval: goDuration(props.interval ?? Duration.minutes(5)),
        timeout: props.timeout && goDuration(props.timeout),
        provider: props.provider?.value as l1.ImageRepositorySpecProvider | undefined,
        secretRef: props.secretName === undefined ? undefined : { name: props.secretName },
        certSecretRef: props.certSecretName === undefined ? undefined : { name: props.certSecretName },
        serviceAccountName: props.serviceAccountName,
        exclusionList: props.exclusionList,
        insecure: props.insecure,
        suspend: props.suspend,
      },
    });
    this.addValidation(() => {
      const errors = [...durationProblems('interval', props.interval), ...durationProblems('timeout', props.timeout)];
      if (props.timeout && props.timeout.toMilliseconds({ integral: false }) >= MAX_TIMEOUT.toMilliseconds()) {
        errors.push(problem('invalid-duration', `timeout ${goDuration(props.timeout)} is an hour or longer, which an ImageRepository's CRD ` +
          'does not take (ms, s and m only): use a shorter one, e.g. Duration.minutes(5)'));
      }
      errors.push(...imageRepositoryProblems(props.image));
      for (const [what, name] of [['secretName', props.secretName], ['certSecretName', props.certSecretName]] as const) {
        const p = name === undefined ? undefined : secretNameProblem(what, name);
        if (p) errors.push(p);
      }
      if (props.serviceAccountName !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(props.serviceAccountName)) {
        errors.push(problem('invalid-name', `serviceAccountName '${props.serviceAccountName}' is not a valid ServiceAccount name: ` +
          "use lower case letters, digits, '-' and '.' (e.g. 'image-pull')"));
      }
      (props.exclusionList ?? []).forEach((pattern, i) => {
        const p = goRegexProblem(`exclusionList[${i}]`, pattern);
        if (p) errors.push(p);
      });
      return errors;
    });
  }
}

/** `image` names a repository: a valid reference, with no scheme, tag or digest (image-reflector-controller refuses them). */
function imageRepositoryProblems(image: string): string[] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(image)) {
    return [problem('invalid-image', `image '${image}' starts with a URL scheme: write the repository alone, e.g. 'ghcr.io/acme/web'`)];
  }
  const reference = imageProblem('ImageRepository', image);
  if (reference) return [reference];
  const last = image.slice(image.lastIndexOf('/') + 1);
  if (last.includes(':') || image.includes('@')) {
    return [problem('invalid-image', `image '${image}' has a tag or digest: an ImageRepository scans a repository's tags, ` +
      `write it without (e.g. '${image.replace(/@.*$/, '').replace(/:[^/]*$/, '')}')`)];
  }
  return [];
}

import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { FluxKind, FluxObjectProps, IFluxSource, RefKind } from './event-source';
import { GitRepository } from './git-repository';
import * as l1 from '../../imports/image.toolkit.fluxcd.io';
import { durationProblems, goDuration } from '../internal/duration';
import { branchNameProblem, labelsProblems } from '../internal/validation';
import { problem } from '../problems';
import { Resource, fasterL1 } from '../resource';

/** The L1, rendering through renderApiObject: the same object as the generated toJson, faster (see resource.ts). */
const ImageUpdateAutomationResource = fasterL1(l1.ImageUpdateAutomation, l1.toJson_ImageUpdateAutomationProps);

/** Who the automation's commits are by. */
export interface CommitAuthor {
  /** The email address, e.g. `fluxcdbot@users.noreply.github.com`. */
  readonly email: string;
  /**
   * The name, e.g. `fluxcdbot`.
   * @default - none (the email alone)
   */
  readonly name?: string;
}

/** How the automation changes the files (`spec.update`). */
export class ImageUpdateStrategy {
  /**
   * Flux's setters: every field below `path` (a folder of the repository) whose comment is the marker of an
   * ImagePolicy of the automation's namespace (`imagePolicyMarker(policy)`) is set to that policy's latest image.
   */
  public static setters(path = './'): ImageUpdateStrategy {
    return new ImageUpdateStrategy('Setters', path);
  }

  private constructor(
    /** The strategy's name (`strategy`). */
    public readonly strategy: 'Setters',
    /** The folder of the repository whose files are updated (`path`). */
    public readonly path: string,
  ) {}
}

/** Props for `ImageUpdateAutomation`. */
export interface ImageUpdateAutomationProps extends FluxObjectProps {
  /** The GitRepository to clone, commit to and push to (with its URL and credentials). */
  readonly gitRepository: IFluxSource;
  /** The author of the commits. */
  readonly author: CommitAuthor;
  /**
   * The commit message, a Go template over the change (`.Changed.Changes`, `.Changed.FileChanges`,
   * `.Changed.ImageResult`) and `.AutomationObject`, e.g. `Update images: {{range .Changed.Changes}}{{.NewValue}} {{end}}`.
   * @default - Flux's: a summary of the images and files changed
   */
  readonly messageTemplate?: string;
  /**
   * The branch to check out.
   * @default - the GitRepository's reference
   */
  readonly checkoutBranch?: string;
  /**
   * The branch to push the commits to (created from the checked-out one if it does not exist: e.g. a branch
   * for a pull request).
   * @default - the branch checked out
   */
  readonly pushBranch?: string;
  /**
   * Which files are changed, and how.
   * @default ImageUpdateStrategy.setters('./') (the whole repository)
   */
  readonly update?: ImageUpdateStrategy;
  /**
   * How often the automation runs (it runs too when one of its policies changes).
   * @default Duration.minutes(10)
   */
  readonly interval?: Duration;
  /**
   * Labels of the ImagePolicies whose markers it sets.
   * @default - every ImagePolicy of its namespace
   */
  readonly policySelector?: { [label: string]: string };
  /**
   * Stop running.
   * @default false
   */
  readonly suspend?: boolean;
}

/**
 * A Flux `ImageUpdateAutomation` (`image.toolkit.fluxcd.io/v1`): image-automation-controller sets the marked
 * fields of a Git repository to the latest images of their ImagePolicies, and commits and pushes the change.
 *
 * @see https://fluxcd.io/flux/components/image/imageupdateautomations/
 */
export class ImageUpdateAutomation extends Resource {
  declare public readonly namespace: string;
  /** The L1 object (escape hatch). */
  public readonly resource: l1.ImageUpdateAutomation;

  constructor(scope: Construct, id: string, props: ImageUpdateAutomationProps) {
    super(scope, id, { kind: 'ImageUpdateAutomation', flux: true }, props);
    const source = props.gitRepository;
    const update = props.update ?? ImageUpdateStrategy.setters();
    this.resource = new ImageUpdateAutomationResource(this, 'Resource', {
      metadata: this.resourceMetadata,
      spec: {
        interval: goDuration(props.interval ?? Duration.minutes(10)),
        sourceRef: {
          kind: l1.ImageUpdateAutomationSpecSourceRefKind.GIT_REPOSITORY,
          name: source.name,
          namespace: source.namespace !== this.namespace ? source.namespace : undefined,
        },
        git: {
          checkout: props.checkoutBranch === undefined ? undefined : { ref: { branch: props.checkoutBranch } },
          commit: {
            author: { email: props.author.email, name: props.author.name },
            messageTemplate: props.messageTemplate,
          },
          push: props.pushBranch === undefined ? undefined : { branch: props.pushBranch },
        },
        update: { strategy: l1.ImageUpdateAutomationSpecUpdateStrategy.SETTERS, path: update.path },
        policySelector: props.policySelector && { matchLabels: props.policySelector },
        suspend: props.suspend,
      },
    });
    this.addValidation(() => {
      const errors = [...durationProblems('interval', props.interval), ...labelsProblems('policySelector', props.policySelector)];
      if (source.kind !== FluxKind.GIT_REPOSITORY) {
        errors.push(problem('wrong-kind', `gitRepository '${source.name}' is a ${source.kind}: an ImageUpdateAutomation commits to a GitRepository`));
      }
      for (const [what, branch] of [['checkoutBranch', props.checkoutBranch], ['pushBranch', props.pushBranch]] as const) {
        const p = branch === undefined ? undefined : branchNameProblem(what, branch);
        if (p) errors.push(p);
      }
      const branchless = source instanceof GitRepository && source.refKind !== RefKind.BRANCH;
      if (branchless && props.checkoutBranch === undefined && props.pushBranch === undefined) {
        errors.push(problem('no-push-branch', `gitRepository '${source.name}' follows no branch, so the automation would have nowhere to ` +
          'push: set checkoutBranch or pushBranch'));
      }
      if (!/^[^\s@<>]+@[^\s@<>]+$/.test(props.author.email)) {
        errors.push(problem('invalid-email', `author email '${props.author.email}' is not an email address: write e.g. 'fluxcdbot@users.noreply.github.com'`));
      }
      if (props.author.name !== undefined && /[<>\n]/.test(props.author.name)) {
        errors.push(problem('invalid-email', `author name '${props.author.name}' holds '<', '>' or a line break, which git refuses in a name: write the name alone`));
      }
      errors.push(...templateProblems(props.messageTemplate), ...pathProblems(update.path));
      return errors;
    });
  }
}

/** A commit message template image-automation-controller can render. */
function templateProblems(template: string | undefined): string[] {
  if (template === undefined) return [];
  const errors: string[] = [];
  // every `{{` is closed by a `}}` before the next `{{` (Go's template lexer), and no `}}` is outside an action
  let open = false;
  let balanced = true;
  for (const token of template.match(/\{\{|\}\}/g) ?? []) {
    if ((token === '{{') === open) balanced = false;
    open = token === '{{';
  }
  if (!balanced || open) {
    errors.push(problem('invalid-template', "messageTemplate's '{{' and '}}' do not pair up: every action of a Go template is " +
      "'{{ … }}', e.g. '{{range .Changed.Changes}}{{.NewValue}} {{end}}'"));
  }
  if (/\.Updated\b/.test(template)) {
    errors.push(problem('invalid-template', "messageTemplate uses '.Updated', which image.toolkit.fluxcd.io/v1 removed (the commit would fail): " +
      "use '.Changed' (e.g. '.Changed.Changes', '.Changed.FileChanges')"));
  }
  return errors;
}

/** The update path: a folder of the repository (the controller refuses one that leaves it). */
function pathProblems(path: string): string[] {
  const relative = path.replace(/^\.\/?/, '');
  const ok = !path.startsWith('/') && !/[\s\\]/.test(path) && relative.split('/').every((s, i, all) => s !== '..' && (s !== '' || i === all.length - 1) && s !== '.');
  return ok ? [] : [problem('invalid-path', `update path '${path}' is not a folder of the repository: write a relative one without '..', ` +
    "e.g. './envs/dev'")];
}

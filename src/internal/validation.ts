/**
 * The rules the API server (or the controller behind it) applies to values the constructs write, checked at
 * synth time so that a mistake fails `cdk8s synth` with the construct path instead of Flux's apply.
 * Each returns the problem, or undefined.
 * @internal
 */
import { DNS_LABEL, DNS_SUBDOMAIN } from './names';
import { problem } from '../problems';

/** `resource.Quantity` (k8s.io/apimachinery): a number with an optional binary or decimal suffix or exponent. */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;

/** A reference to a container image (distribution/reference): `[host[:port]/]path[:tag][@digest]`. */
const IMAGE = new RegExp('^' +
  '(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?' +
  '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*' +
  '(?::[\\w][\\w.-]{0,127})?' +
  '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$');

/** A Kubernetes quantity such as `1Gi`, `500m`, `2`. */
function quantityProblemText(what: string, value: string): string | undefined {
  return QUANTITY.test(value) ? undefined
    : `${what} '${value}' is not a Kubernetes quantity: write e.g. '512Mi', '2Gi', '500m' or '2'`;
}

/** A container image reference (skipped when it holds a Tekton variable, resolved at run time). */
function imageProblemText(what: string, image: string): string | undefined {
  if (image.includes('$(')) return undefined;
  return IMAGE.test(image) && image.length <= 255 ? undefined
    : `${what} image '${image}' is not a valid image reference: lower-case repository, then ':tag' and/or '@sha256:…', ` +
      "no spaces (e.g. 'golang:1.22' or 'ghcr.io/acme/app@sha256:…')";
}

/** An environment variable name: not empty, printable ASCII, no '='. */
function envNameProblemText(what: string, name: string): string | undefined {
  return /^[\x20-\x3c\x3e-\x7e]+$/.test(name) ? undefined
    : `${what} environment variable name '${name}' is invalid: use printable characters without '=' (e.g. MY_VAR)`;
}

/** An http(s) URL. */
function urlProblemText(what: string, value: string): string | undefined {
  if (value.includes('$(')) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  } catch {
    // reported below
  }
  return `${what} '${value}' is not an http(s) URL: write e.g. 'https://hooks.example.com/flux'`;
}

/** An object name (`maxLength` 253 for a DNS subdomain, 63 where the kind needs a label) and its namespace. */
function objectNameProblemsText(kind: string, name: string, namespace: string | undefined, maxLength = 253): string[] {
  const out: string[] = [];
  if (!DNS_SUBDOMAIN.test(name) || name.length > maxLength) {
    out.push(`${kind} name '${name}' is not a valid Kubernetes name: use lower case letters, digits, '-' and '.', ` +
      `starting and ending with a letter or digit (at most ${maxLength})`);
  }
  if (namespace !== undefined && (!DNS_LABEL.test(namespace) || namespace.length > 63)) {
    out.push(`${kind} namespace '${namespace}' is not a valid namespace: use lower case letters, digits and '-' (at most 63)`);
  }
  return out;
}

/** etcd's limit on one stored object (the API server rejects larger ones). */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** An object too large for etcd. */
function sizeProblemText(what: string, value: unknown): string | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '');
  return bytes <= MAX_OBJECT_BYTES ? undefined
    : `${what} is ${(bytes / 1024 / 1024).toFixed(1)} MiB, more than the 1.5 MiB etcd stores per object: ` +
      'move large scripts into the image or a ConfigMap mounted as a volume';
}

/** The `$(context.…)` variables Tekton substitutes, by where they appear. */
export const CONTEXT_VARIABLES = {
  task: ['context.taskRun.name', 'context.taskRun.namespace', 'context.taskRun.uid', 'context.taskRun.retry-count', 'context.task.name', 'context.task.retry-count'],
  pipeline: ['context.pipelineRun.name', 'context.pipelineRun.namespace', 'context.pipelineRun.uid', 'context.pipeline.name', 'context.pipelineTask.retries'],
};

/** Whether an own property (not one of `Object.prototype`'s, such as `constructor`) of a user's map. */
export function hasOwn(map: object | undefined, key: string): boolean {
  return map !== undefined && Object.prototype.hasOwnProperty.call(map, key);
}

/** A label name (apimachinery's qualified name, and a label value's pattern): at most 63 characters. */
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/**
 * A label key (apimachinery `IsQualifiedName`): an optional DNS-subdomain prefix of at most 253 characters and
 * '/', then a name of at most 63 of letters, digits, '-', '_' and '.', starting and ending with a letter or digit.
 * `what` names the map, e.g. "runLabels".
 */
function labelKeyProblemText(what: string, key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || (DNS_SUBDOMAIN.test(prefix) && prefix.length <= 253);
  if (prefixOk && LABEL_NAME.test(name) && name.length <= 63) return undefined;
  return `${what} key '${key}' is not a valid label key: use an optional DNS-subdomain prefix and '/' ` +
    "(lower case, at most 253), then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter " +
    "or digit (e.g. 'team' or 'example.com/team')";
}

/**
 * A label value: empty, or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or
 * digit. Literal only: a `$(…)` substitution is refused, since what it becomes is unknown at synth time.
 */
function labelValueProblemText(what: string, key: string, value: string): string | undefined {
  if (typeof value === 'string' && value.includes('$(')) {
    return `${what} '${key}' value '${value}' holds a substitution, but a label value must be literal ` +
      '(a substituted one may be refused by the API server when the run is created): write a fixed value, ' +
      'or pass the event field as a pipeline param instead';
  }
  if (typeof value === 'string' && (value === '' || (LABEL_NAME.test(value) && value.length <= 63))) return undefined;
  return `${what} '${key}' value '${value}' is not a valid label value: use at most 63 letters, digits, '-', '_' ` +
    "or '.', starting and ending with a letter or digit, no spaces (e.g. 'web-platform')";
}

/** Every key and value of a label map (own properties only). */
function labelsProblemsText(what: string, labels: { [key: string]: string } | undefined): string[] {
  if (!labels) return [];
  const out: string[] = [];
  for (const key of Object.keys(labels)) {
    const k = labelKeyProblem(what, key);
    if (k) out.push(k);
    const v = labelValueProblem(what, key, labels[key]);
    if (v) out.push(v);
  }
  return out;
}

/** A DNS-1123 label (a namespace, a Service's name): lower case letters, digits and '-', at most `maxLength`. */
function dnsLabelProblemText(what: string, value: string, maxLength = 63): string | undefined {
  return typeof value === 'string' && DNS_LABEL.test(value) && value.length <= maxLength ? undefined
    : `${what} '${value}' is not a valid DNS label: use lower case letters, digits and '-', starting and ending ` +
      `with a letter or digit (at most ${maxLength})`;
}

/** A Secret's name (a DNS-1123 subdomain, at most 253; not empty). */
function secretNameProblemText(what: string, name: string): string | undefined {
  return typeof name === 'string' && DNS_SUBDOMAIN.test(name) && name.length <= 253 ? undefined
    : `${what} '${name}' is not a valid Secret name: use lower case letters, digits, '-' and '.', starting and ` +
      "ending with a letter or digit (at most 253, e.g. 'flux-token')";
}

/** A key of a Secret's (or ConfigMap's) data: `[-._a-zA-Z0-9]+`, at most 253, not '.' or '..'. */
function secretKeyProblemText(what: string, key: string): string | undefined {
  return typeof key === 'string' && /^[-._a-zA-Z0-9]+$/.test(key) && key.length <= 253 && key !== '.' && key !== '..'
    ? undefined
    : `${what} '${key}' is not a valid Secret key: use letters, digits, '-', '_' and '.' (at most 253, e.g. 'token')`;
}

/** An HTTP header name (RFC 9110 token): letters, digits and ``!#$%&'*+-.^_`|~``, not empty. */
function headerNameProblemText(what: string, name: string): string | undefined {
  // HTTP allows more (RFC 9110 tokens), but Flux reads the Provider's `headers` as YAML, where `#X` is a comment and
  // `'X` or `!X` do not parse: letters, digits and '-' only, starting with a letter
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9-]*$/.test(name) ? undefined
    : `${what} '${name}' is not a valid HTTP header name: use letters, digits and '-', starting with a letter (e.g. 'X-Flux-Token')`;
}

/**
 * A git branch name (`git check-ref-format --branch`): no space, control character, `~^:?*[\`, '..', '@{' or
 * '//'; no component starting with '.' or ending with '.lock'; not starting with '-' or '/', not ending with
 * '/' or '.'; not '@'.
 */
function branchNameProblemText(what: string, branch: string): string | undefined {
  const ok = typeof branch === 'string' && branch !== '' && branch !== '@' &&
    // eslint-disable-next-line no-control-regex
    !/[\x00-\x20\x7f~^:?*[\\]/.test(branch) && !branch.includes('..') && !branch.includes('@{') &&
    !branch.includes('//') && !/^[-/]/.test(branch) && !/[/.]$/.test(branch) &&
    branch.split('/').every((c) => !c.startsWith('.') && !c.endsWith('.lock'));
  return ok ? undefined
    : `${what} '${branch}' is not a valid git branch name: no spaces, '..', '~', '^', ':', '?', '*', '[', '\\' ` +
      "or '@{', not starting with '-' or '.', not ending with '/', '.' or '.lock' (e.g. 'main' or 'release/1.2')";
}

/** An https URL without credentials in it (a token in a URL ends up in logs and in Git). */
function httpsUrlProblemText(what: string, value: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (!url || url.protocol !== 'https:' || !url.hostname) {
    return `${what} '${value}' is not an https URL: write e.g. 'https://github.com/acme/app'`;
  }
  if (url.username || url.password) {
    return `${what} '${url.protocol}//***@${url.host}${url.pathname}' holds credentials: remove them from the URL ` +
      'and give them in a Secret instead';
  }
  return undefined;
}

/** A ServiceAccount's name (a DNS-1123 subdomain, at most 253; not empty). */
function serviceAccountNameProblemText(what: string, name: string): string | undefined {
  return typeof name === 'string' && DNS_SUBDOMAIN.test(name) && name.length <= 253 ? undefined
    : `${what} '${name}' is not a valid ServiceAccount name: use lower case letters, digits, '-' and '.', starting and ending with a ` +
      'letter or digit (at most 253)';
}

/** How a prop pair refers to one object of the cluster: as a cdk8s-plus object (`objectProp`) or by name (`nameProp`). */
export interface ReferenceProps {
  /** The kind, for messages. */
  readonly kind: 'Secret' | 'ServiceAccount';
  /** The prop that takes the cdk8s-plus object, e.g. `secret`. */
  readonly objectProp: string;
  /** The prop that takes the name, e.g. `secretName`. */
  readonly nameProp: string;
}

/**
 * The name a prop pair refers to (the object's, else the name), and its problems: both given (which would be
 * ambiguous, so neither wins silently), and a name the API server refuses.
 */
export function reference(props: ReferenceProps, object: { readonly name: string } | undefined, name: string | undefined):
{ readonly name?: string; readonly problems: string[] } {
  if (object && name !== undefined) {
    return {
      name: object.name,
      problems: [problem('conflicting-props', `${props.objectProp} '${object.name}' and ${props.nameProp} '${name}' name the ${props.kind} twice: give one of them`)],
    };
  }
  const resolved = object?.name ?? name;
  if (resolved === undefined) return { problems: [] };
  const what = object ? props.objectProp : props.nameProp;
  const invalid = props.kind === 'Secret' ? secretNameProblem(what, resolved) : serviceAccountNameProblem(what, resolved);
  return { name: resolved, problems: invalid ? [invalid] : [] };
}

// Each helper's message carries its code (problems.ts): a failed synth's SynthError lists it.
export const quantityProblem = coded('invalid-quantity', quantityProblemText);
export const imageProblem = coded('invalid-image', imageProblemText);
export const envNameProblem = coded('invalid-env-name', envNameProblemText);
export const urlProblem = coded('invalid-url', urlProblemText);
export const objectNameProblems = coded('invalid-object-name', objectNameProblemsText);
export const sizeProblem = coded('too-large', sizeProblemText);
export const labelKeyProblem = coded('invalid-label', labelKeyProblemText);
export const labelValueProblem = coded('invalid-label', labelValueProblemText);
export const labelsProblems = coded('invalid-label', labelsProblemsText);
export const dnsLabelProblem = coded('invalid-name', dnsLabelProblemText);
export const secretNameProblem = coded('invalid-secret-name', secretNameProblemText);
export const serviceAccountNameProblem = coded('invalid-name', serviceAccountNameProblemText);
export const secretKeyProblem = coded('invalid-secret-key', secretKeyProblemText);
export const headerNameProblem = coded('invalid-header-name', headerNameProblemText);
export const branchNameProblem = coded('invalid-branch', branchNameProblemText);
export const httpsUrlProblem = coded('not-https', httpsUrlProblemText);

/** `check`, whose messages are `problem(code, …)`. */
function coded<A extends unknown[], R extends string | string[] | undefined>(code: string, check: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    const found = check(...args);
    if (found === undefined) return found;
    return (Array.isArray(found) ? found.map((m) => problem(code, m)) : problem(code, found as string)) as R;
  };
}

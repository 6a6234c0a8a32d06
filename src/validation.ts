/**
 * The rules the API server (or the controller behind it) applies to values the constructs write, checked at
 * synth time so that a mistake fails `cdk8s synth` with the construct path instead of Flux's apply.
 * Each returns the problem, or undefined.
 * @internal
 */
import { DNS_LABEL, DNS_SUBDOMAIN } from './names';

/** `resource.Quantity` (k8s.io/apimachinery): a number with an optional binary or decimal suffix or exponent. */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;

/** A reference to a container image (distribution/reference): `[host[:port]/]path[:tag][@digest]`. */
const IMAGE = new RegExp('^' +
  '(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?/)?' +
  '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*' +
  '(?::[\\w][\\w.-]{0,127})?' +
  '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$');

/** A Kubernetes quantity such as `1Gi`, `500m`, `2`. */
export function quantityProblem(what: string, value: string): string | undefined {
  return QUANTITY.test(value) ? undefined
    : `${what} '${value}' is not a Kubernetes quantity: write e.g. '512Mi', '2Gi', '500m' or '2'`;
}

/** A container image reference (skipped when it holds a Tekton variable, resolved at run time). */
export function imageProblem(what: string, image: string): string | undefined {
  if (image.includes('$(')) return undefined;
  return IMAGE.test(image) && image.length <= 255 ? undefined
    : `${what} image '${image}' is not a valid image reference: lower-case repository, then ':tag' and/or '@sha256:…', ` +
      "no spaces (e.g. 'golang:1.22' or 'ghcr.io/acme/app@sha256:…')";
}

/** An environment variable name: not empty, printable ASCII, no '='. */
export function envNameProblem(what: string, name: string): string | undefined {
  return /^[\x20-\x3c\x3e-\x7e]+$/.test(name) ? undefined
    : `${what} environment variable name '${name}' is invalid: use printable characters without '=' (e.g. MY_VAR)`;
}

/** An http(s) URL. */
export function urlProblem(what: string, value: string): string | undefined {
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
export function objectNameProblems(kind: string, name: string, namespace: string | undefined, maxLength = 253): string[] {
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
export function sizeProblem(what: string, value: unknown): string | undefined {
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

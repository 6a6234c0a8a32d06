import { createHash } from 'crypto';
import { Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { problem } from '../problems';

/** A DNS-1123 label: lower case alphanumerics and '-', starting and ending alphanumeric. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 subdomain (what most Kubernetes object names must be). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Short, stable hash of a string (hex). */
export function shortHash(input: string, length = 8): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/**
 * The default object name of a construct: the construct ids from its chart down, joined by '-'
 * and turned into a DNS label (`Resource` and `Default` ids are skipped). Within `maxLength`;
 * a longer one is cut and given a hash of the full path so that it stays unique and stable.
 */
export function defaultName(construct: IConstruct, maxLength = 63): string {
  const chart = Chart.of(construct);
  const ids = construct.node.scopes
    .slice(chart.node.scopes.length)
    .map((c) => c.node.id)
    .filter((id) => id !== 'Resource' && id !== 'Default');
  return toDnsLabel(ids.join('-'), maxLength);
}

/** Turns any text into a DNS label of at most `maxLength` characters (stable hash when cut). */
export function toDnsLabel(text: string, maxLength = 63): string {
  const clean = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  if (clean.length <= maxLength && clean.length > 0) return clean;
  const hash = shortHash(text);
  const head = clean.slice(0, Math.max(0, maxLength - hash.length - 1)).replace(/-+$/, '');
  return head ? `${head}-${hash}` : hash.slice(0, maxLength);
}

/**
 * Tekton and Tekton Triggers find what an object refers to by name in that object's own namespace only
 * (a Pipeline's Tasks, a run's Pipeline, a trigger's bindings, template and Triggers). A reference to an
 * object of another namespace is the error returned here; none when either namespace is unknown.
 */
export function crossNamespaceProblems(referrer: string, kind: string, name: string, theirs: string | undefined,
  ours: string | undefined, fix: string): string[] {
  if (!theirs || !ours || theirs === ours) return [];
  return [problem('cross-namespace-reference', `${referrer} refers to ${kind} '${name}' of namespace '${theirs}', but it is looked up in '${ours}' only: ${fix}`)];
}

/** The namespace an object ends up in: its own, else its chart's. */
export function namespaceOf(construct: IConstruct, explicit?: string): string | undefined {
  return explicit ?? Chart.of(construct).namespace;
}

import { IConstruct } from 'constructs';
import { nameSpaceOf } from '../app/cluster';
import { problem } from '../problems';
import { objectNameProblems } from './validation';

/**
 * The longest name of each kind where it is not a DNS subdomain's 253: Tekton's webhook limits its
 * objects to 63; an EventListener's Service `el-<name>` must fit 63 (it checks that itself, with its own message).
 */
const MAX_NAME: { [kind: string]: number } = { Task: 63, Pipeline: 63 };
const SELF_CHECKED = new Set(['EventListener']);

/**
 * Two objects of the same kind with the same name in one namespace would overwrite each other in the
 * cluster (one cluster: each `Cluster` of an app is a name space of its own). Each L2 claims its name here; the second claimant fails validation with both paths.
 */
const claims = new WeakMap<IConstruct, Map<string, string>>();

/**
 * Claims `kind/namespace/name` for `construct`; a clash, or a name or namespace the API server would
 * reject, becomes a validation error on it.
 */
export function claimName(construct: IConstruct, kind: string, namespace: string | undefined, name: string) {
  if (!SELF_CHECKED.has(kind)) {
    // the name and namespace never change: checked once, however often cdk8s validates
    let problems: string[] | undefined;
    construct.node.addValidation({ validate: () => [...(problems ??= objectNameProblems(kind, name, namespace, MAX_NAME[kind] ?? 253))] });
  }
  const root = nameSpaceOf(construct);
  let names = claims.get(root);
  if (!names) {
    names = new Map();
    claims.set(root, names);
  }
  const key = `${kind}/${namespace ?? ''}/${name}`;
  const owner = names.get(key);
  if (owner !== undefined && owner !== construct.node.path) {
    construct.node.addValidation({
      validate: () => [problem('name-clash', `${kind} '${name}'${namespace ? ` in namespace '${namespace}'` : ''} is also defined by ${owner}: ` +
        'give one of them another name (the `name` prop, or another construct id)')],
    });
  } else {
    names.set(key, construct.node.path);
  }
}

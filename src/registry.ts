import { IConstruct } from 'constructs';

/**
 * Two objects of the same kind with the same name in one namespace would overwrite each other in the
 * cluster. Each L2 claims its name here; the second claimant fails validation with both paths.
 */
const claims = new WeakMap<IConstruct, Map<string, string>>();

/** Claims `kind/namespace/name` for `construct`; a clash becomes a validation error on it. */
export function claimName(construct: IConstruct, kind: string, namespace: string | undefined, name: string) {
  const root = construct.node.root;
  let names = claims.get(root);
  if (!names) {
    names = new Map();
    claims.set(root, names);
  }
  const key = `${kind}/${namespace ?? ''}/${name}`;
  const owner = names.get(key);
  if (owner !== undefined && owner !== construct.node.path) {
    construct.node.addValidation({
      validate: () => [`${kind} '${name}'${namespace ? ` in namespace '${namespace}'` : ''} is also defined by ${owner}: ` +
        'give one of them another name (the `name` prop, or another construct id)'],
    });
  } else {
    names.set(key, construct.node.path);
  }
}

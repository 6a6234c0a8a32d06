import { IConstruct } from 'constructs';

/**
 * A counter per app (construct tree), bumped by every method that grows a construct (addParam, addStep,
 * addTask …). Derived state (a Pipeline's resolved params, say) is cached per generation: it is computed
 * again only when something in the same app changed, so rendering and validation do not repeat the same
 * work, late additions count, and two apps in one process never see each other's changes.
 */
const generations = new WeakMap<IConstruct, { value: number }>();

function counterOf(root: IConstruct): { value: number } {
  let counter = generations.get(root);
  if (!counter) {
    counter = { value: 0 };
    generations.set(root, counter);
  }
  return counter;
}

/** Marks that something in `scope`'s app changed. */
export function touch(scope: IConstruct): void {
  counterOf(scope.node.root).value++;
}

/** A function whose result is kept until the next `touch()` in `scope`'s app. */
export function cachedPerGeneration<T>(scope: IConstruct, compute: () => T): () => T {
  let counter: { value: number } | undefined;
  let at = -1;
  let value: T;
  return () => {
    counter ??= counterOf(scope.node.root);
    if (at !== counter.value) {
      value = compute();
      at = counter.value;
    }
    return value;
  };
}

/**
 * Adds a validation whose result is kept until the next `touch()`. cdk8s validates the whole app once in
 * `App.synth()` and again for every chart it renders; a cached validation does its work once.
 */
export function addCachedValidation(scope: IConstruct, validate: () => string[]): void {
  const cached = cachedPerGeneration(scope, validate);
  scope.node.addValidation({ validate: () => [...cached()] });
}

/**
 * A counter bumped by every method that grows a construct (addParam, addStep, addTask …). Derived
 * state (a Pipeline's resolved params, say) is cached per generation: it is computed again only when
 * something changed, so rendering and validation do not repeat the same work, and late additions count.
 */
let generation = 0;

/** Marks that some construct changed. */
export function touch(): void {
  generation++;
}

/** A function whose result is kept until the next `touch()`. */
export function cachedPerGeneration<T>(compute: () => T): () => T {
  let at = -1;
  let value: T;
  return () => {
    if (at !== generation) {
      value = compute();
      at = generation;
    }
    return value;
  };
}

/**
 * Adds a validation whose result is kept until the next `touch()`. cdk8s validates the whole app once in
 * `App.synth()` and again for every chart it renders; a cached validation does its work once.
 */
export function addCachedValidation(scope: { node: { addValidation(v: { validate(): string[] }): void } }, validate: () => string[]): void {
  const cached = cachedPerGeneration(validate);
  scope.node.addValidation({ validate: () => [...cached()] });
}

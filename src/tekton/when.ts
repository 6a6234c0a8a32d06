import { IStringable } from './params';

/** The operator of a `when` expression. */
export enum WhenOperator {
  IN = 'in',
  NOT_IN = 'notin',
}

/**
 * A guard on a pipeline task: the task runs only when the expression holds.
 *
 * ```ts
 * When.input(deployParam).in(['true'])
 * When.input(build.result('changed')).notIn(['false'])
 * When.cel(`'${branch}' == 'main'`) // needs Tekton's enable-cel-in-whenexpression feature flag
 * ```
 */
export class WhenExpression {
  /** Starts `input in/notin values`. */
  public static input(input: string | IStringable): WhenInput {
    return new WhenInput(String(input));
  }

  /** A CEL expression (Tekton feature flag `enable-cel-in-whenexpression`). */
  public static cel(expression: string): WhenExpression {
    return new WhenExpression({ cel: expression });
  }

  /** @internal */
  constructor(private readonly json: { input?: string; operator?: WhenOperator; values?: string[]; cel?: string }) {}

  /** @internal */
  public render() {
    return { ...this.json };
  }
}

/** The input side of a `when` expression. */
export class WhenInput {
  /** @internal */
  constructor(private readonly input: string) {}

  /** Runs the task when the input is one of `values`. */
  public in(values: Array<string | IStringable>): WhenExpression {
    return new WhenExpression({ input: this.input, operator: WhenOperator.IN, values: values.map(String) });
  }

  /** Runs the task when the input is none of `values`. */
  public notIn(values: Array<string | IStringable>): WhenExpression {
    return new WhenExpression({ input: this.input, operator: WhenOperator.NOT_IN, values: values.map(String) });
  }
}

/** Alias: `When.input(x).in([...])`. */
export const When = WhenExpression;

import { IStringable } from './params';

/** The type of a Tekton result. */
export enum ResultType {
  STRING = 'string',
  ARRAY = 'array',
  OBJECT = 'object',
}

/** Options of a Task result. */
export interface ResultOptions {
  /**
   * What the result holds.
   * @default - none
   */
  readonly description?: string;
  /**
   * The result type.
   * @default ResultType.STRING
   */
  readonly type?: ResultType;
  /**
   * The keys of an object result.
   * @default - none
   */
  readonly properties?: string[];
}

/** A result declared on a Task. In a template literal it renders the file a step writes it to. */
export class TaskResult implements IStringable {
  /** @internal */
  constructor(public readonly name: string, public readonly options: ResultOptions = {}) {}

  /** `$(results.<name>.path)`: the file a step writes the result to. */
  public get path(): string {
    return `$(results.${this.name}.path)`;
  }

  public toString(): string {
    return this.path;
  }
}

/** Renders a result declaration with its admission default (type) written out. */
export function resultSpec(name: string, options: ResultOptions = {}) {
  const type = options.type ?? (options.properties ? ResultType.OBJECT : ResultType.STRING);
  return {
    name,
    type,
    description: options.description,
    properties: options.properties ? Object.fromEntries(options.properties.map((k) => [k, { type: 'string' }])) : undefined,
  };
}

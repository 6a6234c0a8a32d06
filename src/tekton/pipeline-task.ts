import { Duration } from 'cdk8s';
import { ParamValue, IStringable } from './params';
import { OnError } from './step';
import { ITask } from './task';
import { WhenExpression } from './when';
import { Workspace } from './workspaces';

/** How a Pipeline runs one Task. */
export interface PipelineTaskOptions {
  /** The Task to run. */
  readonly task: ITask;
  /**
   * Values for the Task's params: strings, references (`otherTask.result('x')`, `pipeline.addParam(...)`),
   * lists or maps. A Task param left out here becomes a Pipeline param of the same name.
   * @default - every param becomes a Pipeline param
   */
  readonly params?: { [name: string]: ParamValue };
  /**
   * Which Pipeline workspace backs each Task workspace (by Task workspace name). A Task workspace left out
   * here is backed by a Pipeline workspace of the same name.
   * @default - every workspace is backed by a Pipeline workspace of the same name
   */
  readonly workspaces?: { [taskWorkspace: string]: Workspace | string };
  /**
   * Tasks that must finish first (result references add this ordering by themselves).
   * @default - none
   */
  readonly runAfter?: PipelineTask[];
  /**
   * How many times to retry the task when it fails (use for flaky steps). Not with `onError: CONTINUE`.
   * @default 0
   */
  readonly retries?: number;
  /**
   * The longest one attempt may run.
   * @default - the run's `timeouts.tasks`
   */
  readonly timeout?: Duration;
  /**
   * Guards: the task runs only when all hold.
   * @default - always runs
   */
  readonly when?: WhenExpression[];
  /**
   * `CONTINUE` lets the pipeline go on when this task fails.
   * @default OnError.STOP_AND_FAIL
   */
  readonly onError?: OnError;
  /**
   * A display name for the dashboard.
   * @default - none
   */
  readonly displayName?: string;
  /**
   * A description for the dashboard.
   * @default - none
   */
  readonly description?: string;
}

/** A Task in a Pipeline. Get references to its results with `result(name)`. */
export class PipelineTask {
  /** @internal */
  constructor(
    /** The pipeline task name (unique in its Pipeline). */
    public readonly name: string,
    /** The options it was added with. */
    public readonly options: PipelineTaskOptions,
    /** Whether it runs in the Pipeline's `finally` section. */
    public readonly isFinally: boolean,
    /** @internal */
    public readonly _pipelinePath: string,
  ) {}

  /** `$(tasks.<name>.results.<result>)`; using it in another task orders that task after this one. */
  public result(name: string): IStringable {
    return new ResultRef(this.name, name);
  }

  /** `$(tasks.<name>.status)`: Succeeded, Failed or None (only in finally tasks). */
  public get status(): string {
    return `$(tasks.${this.name}.status)`;
  }

  /** `$(tasks.<name>.reason)`: why it ended (only in finally tasks). */
  public get reason(): string {
    return `$(tasks.${this.name}.reason)`;
  }
}

class ResultRef implements IStringable {
  constructor(private readonly task: string, private readonly result: string) {}
  public toString(): string {
    return `$(tasks.${this.task}.results.${this.result})`;
  }
}

/** Options of `RunConcurrency.cancelInProgress`. */
export interface CancelInProgressOptions {
  /**
   * Let the cancelled run's `finally` tasks run (Tekton's `CancelledRunFinally`); `false` stops them too
   * (`Cancelled`).
   * @default true
   */
  readonly runFinally?: boolean;
  /**
   * Let the cancelled run's running tasks finish with their own result (Tekton's `StoppedRunFinally`: no new task
   * starts, then the `finally` tasks run), instead of cancelling them. A `finally` task that acts on a task's
   * failure (a Promotion's rollback) then never takes a cancellation for a failure. Needs `runFinally`.
   * @default false
   */
  readonly finishRunningTasks?: boolean;
  /**
   * The image of the step that cancels: it needs `sh`, `awk` and `kubectl`.
   * @default 'ghcr.io/fluxcd/flux-cli:v2.7.3' (Flux's CLI image: Alpine, kubectl, a non-root user)
   */
  readonly image?: string;
}

/**
 * What a run started for a new revision does to the runs of the same pipeline, for the same source, that
 * are still running. GitHub Actions' `concurrency` is the model: runs may overlap (the default), or the
 * newest cancels the older ones (`cancel-in-progress`).
 */
export class RunConcurrency {
  /** Runs of successive revisions overlap; none is cancelled (the default). */
  public static parallel(): RunConcurrency {
    return new RunConcurrency(undefined);
  }

  /**
   * A run cancels every run of the same trigger (the same listener and pipeline, so the same source) that is
   * still running and was created before it. Next to each run the template creates a TaskRun that does it,
   * as a ServiceAccount of its own that may only get, list and patch PipelineRuns in the namespace. When two
   * runs are created in the same second, the one whose name sorts last survives.
   */
  public static cancelInProgress(options: CancelInProgressOptions = {}): RunConcurrency {
    return new RunConcurrency(options);
  }

  private constructor(
    /** The cancel-in-progress options, or undefined when runs overlap. */
    public readonly cancelInProgressOptions: CancelInProgressOptions | undefined,
  ) {}
}

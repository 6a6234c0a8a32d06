// The labels this library's patterns put on the runs they create, read back by `simulate`. A module of its
// own, without imports, so that the CLI can read them without loading the constructs.

/** The label of the TaskRuns that cancel superseded runs: its value is the trigger's name. */
export const CANCELLER_LABEL = 'cdk8s-tekton-flux/cancels-superseded';

/** The labels of a promotion's runs: the app, and the environments it goes from and to. */
export const PROMOTION_LABELS = { app: 'cdk8s-tekton-flux/app', from: 'cdk8s-tekton-flux/from', to: 'cdk8s-tekton-flux/to' } as const;

/** The label of the Task (and so of its TaskRuns and Pods) that posts commit statuses. */
export const COMMIT_STATUS_LABEL = 'cdk8s-tekton-flux/commit-status';

/** The label of the promotion's Tasks that read and write the config repository (read-version, promote, rollback). */
export const CONFIG_REPO_LABEL = 'cdk8s-tekton-flux/config-repo';


/** How a Pipeline refers to a Task (`taskRef`). */
export interface TaskRefSpec {
  /**
   * Name of a Task in the Pipeline's namespace.
   * @default - none (a resolver reference)
   */
  readonly name?: string;
  /**
   * `Task` (written out: it is Tekton's admission default).
   * @default - none (a resolver reference)
   */
  readonly kind?: string;
  /**
   * Remote resolution: `cluster`, `git`, `bundles` or `hub`.
   * @default - none (a Task in the namespace)
   */
  readonly resolver?: string;
  /**
   * Resolver params.
   * @default - none
   */
  readonly params?: Array<{ name: string; value: string }>;
}

/** Options of the git resolver. */
export interface GitResolverOptions {
  /** The repository URL, e.g. `https://github.com/tektoncd/catalog.git`. */
  readonly url: string;
  /** The file holding the Task, e.g. `task/git-clone/0.9/git-clone.yaml`. */
  readonly pathInRepo: string;
  /**
   * A branch, tag or commit (pin a commit or tag for reproducible runs).
   * @default 'main'
   */
  readonly revision?: string;
}

/** Options of the hub resolver. */
export interface HubResolverOptions {
  /** The Task's name in the hub, e.g. `git-clone`. */
  readonly name: string;
  /** The version, e.g. `0.9`. */
  readonly version: string;
  /**
   * The catalog.
   * @default 'tekton-catalog-tasks'
   */
  readonly catalog?: string;
  /**
   * The hub type: `artifact` (Artifact Hub) or `tekton` (Tekton Hub).
   * @default 'artifact'
   */
  readonly type?: 'artifact' | 'tekton';
}

/** A Tekton remote resolver that fetches a Task at run time. */
export class TaskResolver {
  /** A Task in another namespace of the cluster. */
  public static cluster(name: string, namespace: string): TaskResolver {
    return new TaskResolver('cluster', { kind: 'task', name, namespace }, name);
  }

  /** A Task file in a git repository. */
  public static git(options: GitResolverOptions): TaskResolver {
    const file = options.pathInRepo.split('/').pop()!.replace(/\.ya?ml$/, '');
    return new TaskResolver('git', { url: options.url, revision: options.revision ?? 'main', pathInRepo: options.pathInRepo }, file);
  }

  /** A Task in an OCI bundle. */
  public static bundle(bundle: string, name: string): TaskResolver {
    return new TaskResolver('bundles', { bundle, name, kind: 'task' }, name);
  }

  /** A Task from Artifact Hub or Tekton Hub. */
  public static hub(options: HubResolverOptions): TaskResolver {
    return new TaskResolver('hub', {
      catalog: options.catalog ?? 'tekton-catalog-tasks',
      type: options.type ?? 'artifact',
      kind: 'task',
      name: options.name,
      version: options.version,
    }, options.name);
  }

  private constructor(private readonly resolver: string, private readonly params: { [name: string]: string },
    /** A short name for messages and default pipeline task names. */
    public readonly displayName: string) {}

  /** The `taskRef` this resolver renders. */
  public get taskRef(): TaskRefSpec {
    return { resolver: this.resolver, params: Object.entries(this.params).map(([name, value]) => ({ name, value })) };
  }
}

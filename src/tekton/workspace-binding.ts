/** Options of a workspace bound to a fresh PVC per run. */
export interface VolumeClaimTemplateOptions {
  /**
   * The size of the claim.
   * @default '1Gi'
   */
  readonly storage?: string;
  /**
   * Access modes.
   * @default ['ReadWriteOnce']
   */
  readonly accessModes?: string[];
  /**
   * The storage class.
   * @default - the cluster's default storage class
   */
  readonly storageClassName?: string;
}

/** What backs a Pipeline workspace in a run. */
export class WorkspaceBinding {
  /** A new PVC for every run, deleted with the run (the usual choice for a shared source checkout). */
  public static volumeClaimTemplate(options: VolumeClaimTemplateOptions = {}): WorkspaceBinding {
    return new WorkspaceBinding({
      volumeClaimTemplate: {
        spec: {
          accessModes: options.accessModes ?? ['ReadWriteOnce'],
          resources: { requests: { storage: options.storage ?? '1Gi' } },
          storageClassName: options.storageClassName,
        },
      },
    });
  }

  /** An existing PersistentVolumeClaim (e.g. a build cache). */
  public static persistentVolumeClaim(claimName: string, subPath?: string): WorkspaceBinding {
    return new WorkspaceBinding({ persistentVolumeClaim: { claimName }, subPath });
  }

  /** An existing Secret, mounted read-only (e.g. registry credentials). */
  public static secret(secretName: string): WorkspaceBinding {
    return new WorkspaceBinding({ secret: { secretName } });
  }

  /** An existing ConfigMap. */
  public static configMap(name: string): WorkspaceBinding {
    return new WorkspaceBinding({ configMap: { name } });
  }

  /** A scratch directory that lives as long as one TaskRun (not shared between tasks). */
  public static emptyDir(): WorkspaceBinding {
    return new WorkspaceBinding({ emptyDir: {} });
  }

  private constructor(private readonly json: { [key: string]: any }) {}

  /** The binding as a PipelineRun's `spec.workspaces[]` entry. */
  public render(name: string): { [key: string]: any } {
    return { name, ...JSON.parse(JSON.stringify(this.json)) };
  }
}

import * as kplus from 'cdk8s-plus-28';

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

/** A PipelineRun's `spec.workspaces[]` entry: the workspace's name and one of what can back it. */
export interface WorkspaceBindingSpec {
  /** The Pipeline workspace. */
  readonly name: string;
  /**
   * A new PVC per run.
   * @default - none
   */
  readonly volumeClaimTemplate?: {
    readonly spec: {
      readonly accessModes: string[];
      readonly resources: { readonly requests: { readonly storage: string } };
      readonly storageClassName?: string;
    };
  };
  /**
   * An existing PVC.
   * @default - none
   */
  readonly persistentVolumeClaim?: { readonly claimName: string };
  /**
   * A path inside the volume.
   * @default - its root
   */
  readonly subPath?: string;
  /**
   * An existing Secret.
   * @default - none
   */
  readonly secret?: { readonly secretName: string };
  /**
   * An existing ConfigMap.
   * @default - none
   */
  readonly configMap?: { readonly name: string };
  /**
   * A scratch directory.
   * @default - none
   */
  readonly emptyDir?: Record<string, never>;
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

  /**
   * An existing PersistentVolumeClaim (e.g. a build cache): by name, or a cdk8s-plus claim
   * (`kplus.PersistentVolumeClaim.fromClaimName(…)` or one of the app's).
   */
  public static persistentVolumeClaim(claim: string | kplus.IPersistentVolumeClaim, subPath?: string): WorkspaceBinding {
    return new WorkspaceBinding({ persistentVolumeClaim: { claimName: nameOf(claim) }, subPath });
  }

  /**
   * An existing Secret, mounted read-only (e.g. registry credentials): by name, or a cdk8s-plus Secret
   * (`kplus.Secret.fromSecretName(…)`).
   */
  public static secret(secret: string | kplus.ISecret): WorkspaceBinding {
    return new WorkspaceBinding({ secret: { secretName: nameOf(secret) } });
  }

  /** An existing ConfigMap: by name, or a cdk8s-plus ConfigMap (`kplus.ConfigMap.fromConfigMapName(…)` or one of the app's). */
  public static configMap(configMap: string | kplus.IConfigMap): WorkspaceBinding {
    return new WorkspaceBinding({ configMap: { name: nameOf(configMap) } });
  }

  /** A scratch directory that lives as long as one TaskRun (not shared between tasks). */
  public static emptyDir(): WorkspaceBinding {
    return new WorkspaceBinding({ emptyDir: {} });
  }

  private constructor(private readonly json: Omit<WorkspaceBindingSpec, 'name'>) {}

  /** The binding as a PipelineRun's `spec.workspaces[]` entry. */
  public render(name: string): WorkspaceBindingSpec {
    // a copy: what the caller does with it never reaches the binding, which other runs share
    return { name, ...JSON.parse(JSON.stringify(this.json)) };
  }
}

/** The name of an object given by name or as a cdk8s-plus object. */
function nameOf(object: string | { readonly name: string }): string {
  return typeof object === 'string' ? object : object.name;
}

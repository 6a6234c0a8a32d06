import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { MovedScript, moveReferencesToEnv } from './script-env';
import * as l1 from '../../imports/tekton.dev';
import { goDuration } from '../internal/duration';
import { DNS_LABEL } from '../internal/names';
import { envNameProblem, imageProblem, quantityProblem } from '../internal/validation';
import { problem } from '../problems';

/** What a step does when it fails. */
export enum OnError {
  /** Keep going: the step's failure is recorded, the run continues. */
  CONTINUE = 'continue',
  /** Fail the task (Tekton's default). */
  STOP_AND_FAIL = 'stopAndFail',
}

/** A key of a Secret or ConfigMap, by the object's name. */
export interface EnvKeyRef {
  /** The Secret's (or ConfigMap's) name, in the run's namespace. */
  readonly name: string;
  /** The key. */
  readonly key: string;
}

/**
 * A key of an existing Secret or ConfigMap in Kubernetes' own form (`valueFrom`, one of the two), as `env` took
 * it before `EnvValue` was a class; still accepted and rendered as given.
 * @deprecated use `EnvValue.fromSecretKey(name, key)` or `EnvValue.fromConfigMapKey(name, key)`
 */
export interface EnvValueSource {
  /**
   * A key of a Secret.
   * @default - none
   */
  readonly secretKeyRef?: EnvKeyRef;
  /**
   * A key of a ConfigMap.
   * @default - none
   */
  readonly configMapKeyRef?: EnvKeyRef;
}

/** A step's environment variable as Kubernetes writes it. */
interface RenderedEnv {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: ValueFrom;
}

/** Kubernetes' `valueFrom` of an environment variable. */
interface ValueFrom {
  readonly secretKeyRef?: EnvKeyRef;
  readonly configMapKeyRef?: EnvKeyRef;
}

/**
 * The value of an environment variable of a step or sidecar, as cdk8s-plus's `EnvValue`: a literal, or a key of a
 * Secret or ConfigMap that the cluster has (never the secret itself, which would be in git).
 *
 * ```ts
 * env: {
 *   MODE: 'fast', // a literal, the same as EnvValue.fromValue('fast')
 *   TOKEN: EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(chart, 'npm', 'npm'), key: 'token' }),
 *   REGISTRY: EnvValue.fromConfigMapKey('build-config', 'registry'),
 * }
 * ```
 */
export class EnvValue {
  /** A literal value (a Tekton reference in it, e.g. `${param}`, is substituted by Tekton). */
  public static fromValue(value: string): EnvValue {
    return new EnvValue(value, undefined);
  }

  /** A key of a Secret: one of the app's cdk8s-plus Secrets, or `kplus.Secret.fromSecretName(scope, id, name)`. */
  public static fromSecretValue(secretValue: kplus.SecretValue): EnvValue {
    return EnvValue.fromSecretKey(secretValue.secret.name, secretValue.key);
  }

  /** A key of an existing Secret, by name. */
  public static fromSecretKey(secretName: string, key: string): EnvValue {
    return new EnvValue(undefined, { secretKeyRef: { name: secretName, key } });
  }

  /** A key of a ConfigMap: one of the app's cdk8s-plus ConfigMaps, or `kplus.ConfigMap.fromConfigMapName(scope, id, name)`. */
  public static fromConfigMap(configMap: kplus.IConfigMap, key: string): EnvValue {
    return EnvValue.fromConfigMapKey(configMap.name, key);
  }

  /** A key of an existing ConfigMap, by name. */
  public static fromConfigMapKey(configMapName: string, key: string): EnvValue {
    return new EnvValue(undefined, { configMapKeyRef: { name: configMapName, key } });
  }

  private constructor(private readonly value: string | undefined, private readonly valueFrom: ValueFrom | undefined) {}

  /** The variable `name` as Kubernetes writes it. @internal */
  public _render(name: string): RenderedEnv {
    return this.valueFrom ? { name, valueFrom: { ...this.valueFrom } } : { name, value: this.value };
  }
}

/** Compute resources of a step (Kubernetes quantities). */
export interface ComputeResources {
  /**
   * Requests, e.g. `{ cpu: '500m', memory: '512Mi' }`.
   * @default - none
   */
  readonly requests?: { [resource: string]: string };
  /**
   * Limits, e.g. `{ memory: '1Gi' }`.
   * @default - none
   */
  readonly limits?: { [resource: string]: string };
}

/** Mounts a volume of the Task (`TaskProps.volumes`) into a step or sidecar. */
export interface VolumeMount {
  /** The name of a volume the Task declares. */
  readonly name: string;
  /** Where it is mounted; not under `/tekton/` (Tekton's own), except `/tekton/home`. */
  readonly mountPath: string;
  /**
   * A path inside the volume to mount instead of its root.
   * @default - the volume's root
   */
  readonly subPath?: string;
  /**
   * Mount it read-only.
   * @default false
   */
  readonly readOnly?: boolean;
}

/** What steps and sidecars share: a named container that runs a script or an entrypoint. */
export interface ContainerProps {
  /** The name (a DNS label, unique within the Task among its kind). */
  readonly name: string;
  /** The container image. */
  readonly image: string;
  /**
   * A script to run (mutually exclusive with `command`).
   * @default - none: the entrypoint runs
   */
  readonly script?: string;
  /**
   * The entrypoint (mutually exclusive with `script`).
   * @default - the image's entrypoint
   */
  readonly command?: string[];
  /**
   * Arguments to the entrypoint.
   * @default - none
   */
  readonly args?: string[];
  /**
   * Environment variables: literals (a string, or `EnvValue.fromValue`), or keys of Secrets and ConfigMaps
   * (`EnvValue.fromSecretValue`, `EnvValue.fromConfigMap`, …).
   * @default - none
   */
  readonly env?: { [name: string]: string | EnvValue | EnvValueSource };
  /**
   * Volumes of the Task to mount (declare them in `TaskProps.volumes`).
   * @default - none
   */
  readonly volumeMounts?: VolumeMount[];
  /**
   * Params to substitute into the script as text (Tekton's plain substitution). Every other `$(params.…)`
   * and `$(context.…)` in a shell script (or `sh -c` argument) is passed as an environment variable and
   * read from there, so no value can run as code; name a param here only when its value is yours alone
   * (never an event's) and you need it as text, e.g. in a quoted heredoc.
   * @default - none: every value reaches the script through the environment
   */
  readonly substituteParamsAsText?: string[];
}

/** A step of a Task. */
export interface StepProps extends ContainerProps {
  /**
   * The working directory.
   * @default - the image's
   */
  readonly workingDir?: string;
  /**
   * CPU and memory requests and limits.
   * @default - none
   */
  readonly computeResources?: ComputeResources;
  /**
   * The container security context (raw Kubernetes `SecurityContext`).
   * @default - none
   */
  readonly securityContext?: l1.TaskSpecStepsSecurityContext;
  /**
   * What to do when the step fails.
   * @default OnError.STOP_AND_FAIL
   */
  readonly onError?: OnError;
  /**
   * The longest the step may run.
   * @default - no step timeout
   */
  readonly timeout?: Duration;
}

/** The template every step of a Task starts from. */
export interface StepTemplate {
  /**
   * Environment variables for every step.
   * @default - none
   */
  readonly env?: { [name: string]: string | EnvValue | EnvValueSource };
  /**
   * Compute resources for every step.
   * @default - none
   */
  readonly computeResources?: ComputeResources;
  /**
   * Security context for every step.
   * @default - none
   */
  readonly securityContext?: l1.TaskSpecStepTemplateSecurityContext;
  /**
   * Working directory for every step.
   * @default - none
   */
  readonly workingDir?: string;
}

/** A sidecar container that runs beside the steps (e.g. a database for tests). */
export interface SidecarProps extends ContainerProps {}


/** @internal */
export function renderEnv(env?: { [name: string]: string | EnvValue | EnvValueSource }): RenderedEnv[] | undefined {
  if (!env || Object.keys(env).length === 0) return undefined;
  return Object.entries(env).map(([name, value]): RenderedEnv => {
    if (typeof value === 'string') return { name, value };
    if (value instanceof EnvValue) return value._render(name);
    // the earlier literal form, written as given
    return { name, valueFrom: value };
  });
}

/**
 * A step's or sidecar's script with its references moved into its environment (see script-env.ts).
 * @internal
 */
export function moveContainerReferences(c: ContainerProps): MovedScript {
  return moveReferencesToEnv({ ...c, env: renderEnv(c.env) }, c.substituteParamsAsText);
}

/**
 * What steps and sidecars render alike: name, image, script or entrypoint (params moved to env, as `moved`
 * says when given), env, mounts.
 */
function renderContainer(c: ContainerProps, asWritten: boolean, moved?: MovedScript) {
  const fields = asWritten ? { ...c, env: renderEnv(c.env) } : moved ?? moveContainerReferences(c);
  return {
    name: c.name,
    image: c.image,
    script: fields.script,
    command: fields.command,
    args: fields.args,
    // (a moved script's env keeps each valueFrom as given: Kubernetes' own)
    env: fields.env as l1.TaskSpecStepsEnv[] | undefined,
    volumeMounts: renderMounts(c.volumeMounts),
  };
}

/**
 * Renders a step; `asWritten` keeps its script as the author wrote it (validation reports references
 * where they were written), otherwise params are moved into the environment (see script-env.ts).
 * @internal
 */
export function renderStep(step: StepProps, asWritten = false, moved?: MovedScript): l1.TaskSpecSteps {
  return {
    ...renderContainer(step, asWritten, moved),
    workingDir: step.workingDir,
    computeResources: step.computeResources && {
      requests: quantities(step.computeResources.requests, l1.TaskSpecStepsComputeResourcesRequests.fromString),
      limits: quantities(step.computeResources.limits, l1.TaskSpecStepsComputeResourcesLimits.fromString),
    },
    securityContext: step.securityContext,
    onError: step.onError,
    timeout: step.timeout ? goDuration(step.timeout) : undefined,
  };
}

/** @internal */
export function renderStepTemplate(t?: StepTemplate): l1.TaskSpecStepTemplate | undefined {
  if (!t) return undefined;
  return {
    env: renderEnv(t.env),
    computeResources: t.computeResources && {
      requests: quantities(t.computeResources.requests, l1.TaskSpecStepTemplateComputeResourcesRequests.fromString),
      limits: quantities(t.computeResources.limits, l1.TaskSpecStepTemplateComputeResourcesLimits.fromString),
    },
    securityContext: t.securityContext,
    workingDir: t.workingDir,
  };
}

/** @internal */
export function renderSidecar(s: SidecarProps, asWritten = false, moved?: MovedScript): l1.TaskSpecSidecars {
  return renderContainer(s, asWritten, moved);
}

function renderMounts(mounts?: VolumeMount[]) {
  return mounts?.length ? mounts.map((m) => ({ ...m })) : undefined;
}

/**
 * Problems of a step or sidecar (`kind`): its name, image, script xor command, and mounts of the Task's
 * `volumes` (an unknown volume stops the Pod from starting; Tekton reserves `/tekton/`).
 * @internal
 */
export function containerProblems(kind: 'step' | 'sidecar', c: ContainerProps, volumes: string[],
  moved: MovedScript = moveContainerReferences(c)): string[] {
  const what = `${kind} '${c.name}'`;
  return [
    ...(DNS_LABEL.test(c.name) && c.name.length <= 63 ? []
      : [problem('invalid-name', `${kind} name '${c.name}' is not a DNS label: use lower case letters, digits and '-' (at most 63)`)]),
    ...(c.image ? [imageProblem(what, c.image)].filter((p): p is string => !!p) : [problem('missing-prop', `${what} has no image: set 'image'`)]),
    ...Object.keys(c.env ?? {}).map((n) => envNameProblem(what, n)).filter((p): p is string => !!p),
    ...(c.script && c.command ? [problem('conflicting-props', `${what} sets both 'script' and 'command': keep one (put the command in the script)`)] : []),
    ...mountProblems(what, c.volumeMounts, volumes),
    // (coded here: the move words them for a step)
    ...moved.problems.map((p) => problem('unsafe-substitution', p.replace(/^step '/, `${kind} '`))),
  ];
}

function mountProblems(what: string, mounts: VolumeMount[] | undefined, volumes: string[]): string[] {
  return (mounts ?? []).flatMap((m) => [
    ...(volumes.includes(m.name) ? [] : [problem('unknown-volume', `${what} mounts volume '${m.name}', which the Task does not declare: ` +
      `add it to the Task's volumes${volumes.length ? ` (volumes: ${volumes.join(', ')})` : ''}`)]),
    ...(m.mountPath.startsWith('/tekton/') && !m.mountPath.startsWith('/tekton/home')
      ? [problem('reserved-by-tekton', `${what} mounts '${m.name}' at ${m.mountPath}: /tekton/ is Tekton's own, mount it elsewhere`)] : []),
    ...(m.name.startsWith('tekton-internal-')
      ? [problem('reserved-by-tekton', `${what} mounts '${m.name}': names starting with tekton-internal- are Tekton's own, rename the volume`)] : []),
  ]);
}

function quantities<T>(values: { [k: string]: string } | undefined, make: (v: string) => T) {
  return values && Object.fromEntries(Object.entries(values).map(([k, v]) => [k, make(v)]));
}

/**
 * Problems of compute resources: every request and limit must be a Kubernetes quantity.
 * @internal
 */
export function resourceProblems(what: string, resources?: ComputeResources): string[] {
  return (['requests', 'limits'] as const).flatMap((kind) => Object.entries(resources?.[kind] ?? {})
    .map(([name, value]) => quantityProblem(`${what} ${kind}.${name}`, value)).filter((p): p is string => !!p));
}

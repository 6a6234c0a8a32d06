import { IConstruct } from 'constructs';
import { IStringable } from './params';
import { touch } from '../internal/generation';

/** Options of a Task or Pipeline workspace. */
export interface WorkspaceOptions {
  /**
   * What the workspace holds.
   * @default - none
   */
  readonly description?: string;
  /**
   * A run may leave the workspace unbound (check `ws.bound` in scripts).
   * @default false
   */
  readonly optional?: boolean;
  /**
   * Mount the workspace read-only (Task workspaces only).
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * Where the workspace is mounted in the steps (Task workspaces only).
   * @default /workspace/<name>
   */
  readonly mountPath?: string;
}

/** A reference to a declared workspace. In a template literal it renders its mount path. */
export class Workspace implements IStringable {
  /** @internal */
  constructor(public readonly name: string, public readonly options: WorkspaceOptions = {}) {}

  /** `$(workspaces.<name>.path)`: where the workspace is mounted. */
  public get path(): string {
    return `$(workspaces.${this.name}.path)`;
  }

  /** `$(workspaces.<name>.bound)`: "true" when a run bound it (for optional workspaces). */
  public get bound(): string {
    return `$(workspaces.${this.name}.bound)`;
  }

  /** `$(workspaces.<name>.claim)`: the PVC name backing it, if any. */
  public get claim(): string {
    return `$(workspaces.${this.name}.claim)`;
  }

  public toString(): string {
    return this.path;
  }
}

/**
 * Declares a workspace on a Task or Pipeline (`into` is its list): the one `addWorkspace` of both.
 * @internal
 */
export function declareWorkspace(owner: IConstruct, into: Workspace[], name: string, options: WorkspaceOptions = {}): Workspace {
  touch(owner);
  const ws = new Workspace(name, options);
  into.push(ws);
  return ws;
}

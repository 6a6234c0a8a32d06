import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { renderApiObject } from '../resource';

/** The API version of Tekton Triggers objects (served and stored). */
export const TRIGGERS_API_VERSION = 'triggers.tekton.dev/v1beta1';

/**
 * The L1 of a Tekton Triggers object. Triggers' CRDs carry no schema, so `cdk8s import` has nothing to
 * generate; the L2s type the spec themselves and render it through this plain `ApiObject`.
 */
export class TriggersResource extends ApiObject {
  constructor(scope: Construct, id: string, kind: string, metadata: ApiObjectMetadata, spec: unknown) {
    super(scope, id, { apiVersion: TRIGGERS_API_VERSION, kind, metadata, spec });
  }

  /** Renders the object to Kubernetes JSON (as `ApiObject` does, faster: see `renderApiObject`). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ApiObject.toJson's own type (cdk8s's), which this overrides
  public toJson(): any {
    return renderApiObject(this);
  }
}

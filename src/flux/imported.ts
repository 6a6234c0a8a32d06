import { Construct } from 'constructs';

/**
 * A Flux object that exists already, by name and namespace: what `fromImagePolicyName`, `fromImageRepositoryName`
 * and `fromProviderName` return (their interfaces are a name and a namespace).
 * @internal
 */
export class ImportedFluxObject extends Construct {
  constructor(scope: Construct, id: string, public readonly name: string, public readonly namespace: string) {
    super(scope, id);
  }
}

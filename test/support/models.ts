import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * Validates objects with kubernetes-models (core) and @kubernetes-models/flux-cd (Flux): a second,
 * independent opinion next to the CRD schemas. Returns `Kind/name: error` lines.
 */
export function modelErrors(objects: any[]): string[] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'models-check.mjs')], { input: JSON.stringify(objects), encoding: 'utf8' });
  return (JSON.parse(out) as Array<{ object: string; errors: string[] }>).flatMap((r) => r.errors.map((e) => `${r.object}: ${e}`));
}

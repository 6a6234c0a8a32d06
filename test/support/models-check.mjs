// Second-opinion validation with kubernetes-models (ESM-only, hence a child process):
// Flux objects with @kubernetes-models/flux-cd, core objects with kubernetes-models.
// stdin: a JSON array of objects; stdout: a JSON array of { object, errors } (unknown kinds are reported).
import { readFileSync } from 'fs';

const objects = JSON.parse(readFileSync(0, 'utf8'));
const out = [];
for (const obj of objects) {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const module = group.endsWith('fluxcd.io')
    ? `@kubernetes-models/flux-cd/${group}/${version}`
    : `kubernetes-models/${group ? `${group}/` : ''}${version}`;
  const where = `${obj.kind}/${obj.metadata?.name}`;
  let Model;
  try {
    Model = (await import(module))[obj.kind];
  } catch {
    Model = undefined;
  }
  if (!Model) {
    out.push({ object: where, errors: [`no model for ${obj.apiVersion} ${obj.kind}`] });
    continue;
  }
  try {
    new Model(obj).validate();
    out.push({ object: where, errors: [] });
  } catch (e) {
    const details = e.errors ? e.errors.map((x) => `${x.instancePath} ${x.message}${x.params ? ` ${JSON.stringify(x.params)}` : ''}`) : [e.message];
    out.push({ object: where, errors: details });
  }
}
process.stdout.write(JSON.stringify(out));

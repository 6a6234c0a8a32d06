import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

/** Reads every object from a YAML file, or from every .yaml/.yml file below a folder (sorted). */
export function loadObjects(target: string): any[] {
  if (!fs.existsSync(target)) throw new Error(`${target}: no such file or folder`);
  const files = fs.statSync(target).isDirectory()
    ? (fs.readdirSync(target, { recursive: true }) as string[]).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(target, f))
    : [target];
  if (files.length === 0) throw new Error(`${target}: no .yaml or .yml files`);
  return files.flatMap((file) => parseObjects(fs.readFileSync(file, 'utf8'), file));
}

/** The objects of a YAML stream (a `List` gives its items); `origin` names it in errors. */
export function parseObjects(text: string, origin: string): any[] {
  const objects: any[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`${origin}: ${doc.errors[0].message}`);
    const value = doc.toJS();
    if (value?.kind === 'List' && Array.isArray(value.items)) objects.push(...value.items);
    else if (value) objects.push(value);
  }
  return objects;
}

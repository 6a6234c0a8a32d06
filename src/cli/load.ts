import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

/** The largest YAML file read (a dist/ file of 1000 pipelines is about 12 MiB). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** The most files read below a folder. */
const MAX_FILES = 10_000;

/**
 * Reads every object from a YAML file, or from every .yaml/.yml file below a folder (sorted). Only regular
 * files are read: a symbolic link is not followed (a link to `.` would read the folder forever), a FIFO or
 * device is an error rather than a wait, and a file over 64 MiB is an error rather than a memory blow-up.
 */
export function loadObjects(target: string): any[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new Error(`${target}: no such file or folder`);
  }
  const files = stat.isDirectory() ? yamlFilesBelow(target) : [target];
  if (files.length === 0) throw new Error(`${target}: no .yaml or .yml files`);
  return files.flatMap((file) => parseObjects(readRegularFile(file), file));
}

function yamlFilesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) out.push(full);
      if (out.length > MAX_FILES) throw new Error(`${dir}: more than ${MAX_FILES} YAML files: point at the folder of your manifests (e.g. dist/)`);
    }
  };
  walk(dir);
  return out;
}

function readRegularFile(file: string): string {
  const stat = fs.statSync(file);
  if (!stat.isFile()) throw new Error(`${file}: not a regular file (a FIFO, device or socket is not read)`);
  if (stat.size > MAX_FILE_BYTES) throw new Error(`${file}: ${(stat.size / 1024 / 1024).toFixed(0)} MiB, more than the ${MAX_FILE_BYTES / 1024 / 1024} MiB read`);
  return fs.readFileSync(file, 'utf8');
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

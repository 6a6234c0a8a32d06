import * as fs from 'fs';
import * as path from 'path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { compareCodePoints } from '../internal/sort';
import { isMap } from '../simulate/json';

/**
 * The most YAML read, all files together (the dist/ of 1000 pipelines is about 12 MiB). Parsed, 32 MiB
 * takes about 0.6 s and 200 MiB of memory: within `npm run bench`'s bound for hostile input (5 s, 300 MiB).
 */
const MAX_BYTES = 32 * 1024 * 1024;
/** The most files read below a folder. */
const MAX_FILES = 10_000;
/** Deeper than any Kubernetes object; deeper values would overflow the stack of whatever walks them next. */
const MAX_DEPTH = 500;

/**
 * Reads every object from a YAML file, or from every .yaml/.yml file below a folder (sorted). Only regular
 * files are read: a symbolic link is not followed (a link to `.` would read the folder forever), a FIFO or
 * device is an error rather than a wait, and more than 32 MiB in all is an error rather than a memory blow-up.
 */
export function loadObjects(target: string): unknown[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new Error(`${target}: no such file or folder`);
  }
  const files = stat.isDirectory() ? yamlFilesBelow(target) : [target];
  if (files.length === 0) throw new Error(`${target}: no .yaml or .yml files`);
  let total = 0;
  return files.flatMap((file) => {
    const text = readRegularFile(file);
    total += text.length;
    if (total > MAX_BYTES) {
      throw new Error(`${target}: more than ${MAX_BYTES / 1024 / 1024} MiB of YAML: point at the folder of your manifests (e.g. dist/)`);
    }
    const objects = parseObjects(text, file);
    const folder = stat.isDirectory() ? path.relative(target, path.dirname(file)).split(path.sep).join('/') : '';
    for (const o of objects) if (o && typeof o === 'object') FOLDERS.set(o, folder);
    return objects;
  });
}

const FOLDERS = new WeakMap<object, string>();

/**
 * The folder below the loaded one that an object was read from ('' for the folder itself): a cluster's folder
 * (`staging`, `clusters/staging`) when the app has clusters (see `Cluster`).
 */
export function folderOf(object: unknown): string | undefined {
  if (!object || typeof object !== 'object') return undefined;
  const folder = FOLDERS.get(object);
  return folder === '' ? undefined : folder;
}

/** Standard input, up to 32 MiB (a pipe from `kubectl get … -o yaml`; never an endless stream). */
export function readStdin(): string {
  return readBounded(0, 'standard input');
}

/** Everything from file descriptor `fd` until its end, or an error past 32 MiB. */
export function readBounded(fd: number, origin: string): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(1024 * 1024);
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buffer, 0, buffer.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      // a non-blocking pipe with nothing in it yet: wait a little instead of spinning
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      continue;
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_BYTES) throw new Error(`${origin}: more than ${MAX_BYTES / 1024 / 1024} MiB: pipe the run and its TaskRuns only`);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return decodeUtf8(Buffer.concat(chunks), origin);
}

/**
 * `bytes` as UTF-8 text, or an error that says where they are not UTF-8 (never U+FFFD in their place, which
 * would change a value without a word). Kubernetes objects, and what kubectl prints, are UTF-8.
 */
export function decodeUtf8(bytes: Uint8Array, origin: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // not UTF-8: find where, in one pass. Decoded with U+FFFD for each bad sequence (and the BOM kept), the
    // text before a U+FFFD is the input's bytes as they are; a U+FFFD that the input itself holds is skipped.
  }
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  let [offset, from] = [0, 0];
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    offset += Buffer.byteLength(text.slice(from, i));
    from = i;
    if (bytes[offset] !== 0xef || bytes[offset + 1] !== 0xbf || bytes[offset + 2] !== 0xbd) {
      const line = text.slice(0, i).split('\n').length;
      throw new Error(`${origin}: not UTF-8 (byte 0x${bytes[offset].toString(16).padStart(2, '0')} on line ${line}): ` +
        'give the text as UTF-8, as kubectl prints it (convert a file with iconv -t UTF-8)');
    }
  }
  throw new Error(`${origin}: not UTF-8: give the text as UTF-8, as kubectl prints it (convert a file with iconv -t UTF-8)`);
}

function yamlFilesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => compareCodePoints(a.name, b.name))) {
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
  if (stat.size > MAX_BYTES) {
    throw new Error(`${file}: ${(stat.size / 1024 / 1024).toFixed(0)} MiB, more than the ${MAX_BYTES / 1024 / 1024} MiB read`);
  }
  return decodeUtf8(fs.readFileSync(file), file);
}

/**
 * The objects of a YAML stream (a `List` gives its items); `origin` names it in errors. YAML 1.2's core schema
 * (strings stay strings: no timestamps), as Kubernetes reads manifests. Aliases are shared, not copied, so an
 * alias bomb costs nothing to load; the walk below counts each value as often as it is reachable and stops
 * one that expands beyond the text's length (no YAML without aliases has more values than characters).
 */
export function parseObjects(text: string, origin: string): unknown[] {
  let docs: unknown[];
  try {
    docs = loadAll(text, null, { schema: CORE_SCHEMA, filename: origin }) as unknown[];
  } catch (e) {
    throw new Error(e instanceof RangeError ? `${origin}: nested too deeply to read` : `${origin}: ${String(e instanceof Error ? e.message : e).split('\n')[0]}`);
  }
  checkSize(docs, Math.max(text.length, 1024), origin);
  const objects: unknown[] = [];
  for (const value of docs) {
    const items = isMap(value) && value.kind === 'List' ? value.items : undefined;
    if (Array.isArray(items)) objects.push(...items);
    else if (value) objects.push(value);
  }
  return objects;
}

function checkSize(root: unknown, maxValues: number, origin: string) {
  const stack: Array<[unknown, number]> = [[root, 0]];
  let values = 0;
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (++values > maxValues) {
      throw new Error(`${origin}: its YAML aliases (*name) expand to more values than the file has characters: ` +
        'write the values out, or remove the file from the folder');
    }
    if (depth > MAX_DEPTH) throw new Error(`${origin}: its YAML aliases nest values more than ${MAX_DEPTH} levels deep: write the values out`);
    if (value && typeof value === 'object') {
      for (const child of Object.values(value)) stack.push([child, depth + 1]);
    }
  }
}

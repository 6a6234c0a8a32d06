import * as fs from 'fs';
import * as path from 'path';
import { HOSTILE } from '../e2e/yaml-corpus';
import { matrixObjects } from './support/matrix';
import { fastYaml, referenceYaml, toKubernetesYaml } from '../src/app/yaml';

/**
 * The fast writer (src/app/yaml.ts) must write exactly what js-yaml's dump writes (`referenceYaml`), byte for
 * byte, wherever it writes at all; everything it leaves to js-yaml must still come out the same.
 */
function same(objects: any[], fast: boolean | 'either' = true) {
  const reference = referenceYaml(objects);
  const written = fastYaml(objects);
  if (fast === true) expect(written).toBe(reference);
  else if (fast === false) expect(written).toBeUndefined();
  else if (written !== undefined) expect(written).toBe(reference);
  expect(toKubernetesYaml(objects)).toBe(reference);
}

/** Sets an own property (also `__proto__`). */
function put(o: object, key: string, value: unknown) {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function own(key: string, value: unknown): { [k: string]: unknown } {
  const o: { [k: string]: unknown } = {};
  put(o, key, value);
  return o;
}

/** `value` nested `depth` levels deep, alternately in mappings and sequences. */
function nest(value: unknown, depth: number, seq: boolean): unknown {
  let v = value;
  for (let i = 0; i < depth; i++) v = (seq ? i % 2 === 0 : i % 2 === 1) ? [v, 'x'] : { k: v, after: 1 };
  return v;
}

const EXTRA = ['a', 'ci', 'ghcr.io/acme/app:1.0', '$(params.x)', 'a\n', 'a\n\n', '\n', '\n\n', '\n a', ' a\nb', 'a\n b\n', 'x\n...', '---\nx',
  'a\n---\nb', '... x', '- a\nb', '#!/bin/sh\n\techo tab\n', 'a\u0085b\nc', 'a\rb', 'a\r\nb\n', 'x'.repeat(2000), '\t'.repeat(600),
  '10', '2', '-0', 'ñ\nü'];
const VALUES = [...HOSTILE, ...EXTRA];
/** A multi-line key, or one of more than 1024 characters as written, is an explicit `? ` key, which the fast writer leaves to js-yaml. */
const plainKey = (v: string) => !v.includes('\n') && JSON.stringify(v).length < 1000;

describe('fast YAML writer', () => {
  test.each([0, 1, 2, 3, 5])('every hostile string as a value, item, key and script line at depth %d', (depth) => {
    for (const seq of [false, true]) {
      same(VALUES.map((v) => ({ kind: 'ConfigMap', data: nest(v, depth, seq) })));
      same(VALUES.map((v) => ({ kind: 'ConfigMap', data: nest([v, [v, { [`k${v.length}`]: v }], 'after'], depth, seq) })));
      same(VALUES.filter(plainKey).map((v) => ({ kind: 'ConfigMap', data: nest(own(v, v), depth, seq) })));
      for (const v of VALUES.filter((x) => !plainKey(x))) same([{ kind: 'ConfigMap', data: nest(own(v, v), depth, seq) }], 'either');
      same(VALUES.map((v) => ({ kind: 'ConfigMap', data: nest({ script: `#!/bin/sh\necho start\n${v}\necho end\n` }, depth, seq) })));
    }
  });

  test('one object per hostile value (a document that ends open gets `...`)', () => {
    for (const v of VALUES) {
      same([{ data: { v } }]);
      same([{ data: { v } }, { data: [v] }, { k: own(v, 1) }], plainKey(v) || 'either');
    }
  });

  test('numbers, booleans, null, undefined, empty and integer-like keys', () => {
    same([{
      n: [0, -0, 1, -1, 1.5, 1e21, 1e-7, 2 ** 53, NaN, Infinity, -Infinity, 0.1 + 0.2],
      b: [true, false],
      z: null,
      u: undefined,
      holes: [1, undefined, , 3], // eslint-disable-line no-sparse-arrays
      empty: { a: {}, b: [], c: { d: undefined }, e: [[]], f: [{}] },
      keys: { '10': 'a', '2': 'b', 'x': 'c', '1.5': 'd', '-1': 'e', '': 'f', 'true': 1, 'null': 2, '~': 3 },
      strings: ['0', '1.5', 'true', 'null', '', '-0'],
      nested: [[1, [2, [3]]], [[{ a: [{ b: { c: [] } }] }]]],
    }, [1, 'a', { b: 2 }], {}, [], [[]]]);
  });

  test('the objects of every construct (the determinism matrix)', () => {
    same(matrixObjects());
  });

  test("this repository's dist/ written again", () => {
    const yaml = require('js-yaml'); // eslint-disable-line @typescript-eslint/no-require-imports
    const dist = path.resolve(__dirname, '../dist');
    for (const f of (fs.readdirSync(dist, { recursive: true }) as string[]).filter((x) => x.endsWith('.yaml'))) {
      const text = fs.readFileSync(path.join(dist, f), 'utf8');
      const docs = yaml.loadAll(text);
      same(docs);
      expect(toKubernetesYaml(docs)).toBe(text);
    }
  });

  test('random objects of hostile characters', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const chars = ['a', 'b', '0', '1', ' ', '\n', '\t', ':', '-', '#', '"', "'", '|', '>', '.', '\\', '\r', '\u0085', '\u2028', 'é', '😀', '{', '[',
      '*', '&', '!', '%', '@', '`', ',', '?', '=', '~', 'y', 'n', 'e', '+', '_', 'x', 'o', '\x7f', '\ufeff'];
    const str = () => Array.from({ length: rand(9) }, () => chars[rand(chars.length)]).join('');
    const value = (depth: number): unknown => {
      const r = rand(depth > 3 ? 4 : 7);
      if (r === 0) return str();
      if (r === 1) return [1, -2.5, true, null, 0, 1e300][rand(6)];
      if (r === 2) return str();
      if (r === 3) return undefined;
      if (r === 4) return Array.from({ length: rand(4) }, () => value(depth + 1));
      const o: { [k: string]: unknown } = {};
      for (let i = rand(4); i > 0; i--) put(o, str(), value(depth + 1));
      return o;
    };
    let fast = 0;
    for (let round = 0; round < 1000; round++) {
      const objects = Array.from({ length: 1 + rand(5) }, () => ({ kind: 'X', v: value(0) }));
      same(objects, 'either');
      if (fastYaml(objects) !== undefined) fast++;
    }
    expect(fast).toBeGreaterThan(300);
  });

  test('what it leaves to js-yaml comes out as before: dates, class instances, scalar documents, surrogate pairs, long keys', () => {
    class Thing { public a = 1; }
    same([{ d: new Date(0) }], false);
    expect(fastYaml([{ d: new Date(0) }])).toBeUndefined();
    expect(() => toKubernetesYaml([{ t: new Thing() }])).toThrow(/unacceptable kind/);
    expect(fastYaml(['a'])).toBeUndefined();
    same(['a', 1, null], false);
    same([{ 's': '😀 \ud83d\ude00', '😀': 'é\n😀\n' }]);
    same([own('k'.repeat(1025), 1), own('\t'.repeat(400), 1), own('a\nb', 1)], false);
  });

  test('a lone surrogate is the same error, naming the first object that has one', () => {
    const objects = [{ kind: 'A', metadata: { name: 'fine' }, d: { x: new Date(0) } }, { kind: 'B', metadata: { name: 'bad' }, d: ['ok', 'x\ud800'] }];
    expect(() => toKubernetesYaml(objects)).toThrow("B 'bad' has a lone UTF-16 surrogate at .d[1]");
  });
});

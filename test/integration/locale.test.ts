import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { compareCodePoints } from '../../src/internal/sort';
import { snapshotDir, tempDir } from '../util';

const root = path.resolve(__dirname, '../..');
const CHILD = path.join(__dirname, '../support/locale-child.ts');

/** Synthesizes test/support/locale-child.ts into a fresh folder under `env`; resolves to the folder and the child's default collation locale. */
function synthUnder(env: { [name: string]: string }): Promise<{ out: string; locale: string }> {
  const out = path.join(tempDir('locale-'), 'dist');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TS_NODE_PROJECT: 'tsconfig.dev.json', ...env };
  for (const name of ['CDK8S_OUTDIR', ...['LANG', 'LC_ALL', 'LC_COLLATE', 'LC_MESSAGES', 'LANGUAGE'].filter((n) => !(n in env))]) delete childEnv[name];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD, out], { cwd: root, env: childEnv });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve({ out, locale: stdout }) : reject(new Error(`synth under ${JSON.stringify(env)} exited ${code}: ${stderr}`))));
  });
}

/** The first line where `a` and `b` differ (number and both lines), or undefined when they are the same. */
function firstDifference(a: string, b: string): string | undefined {
  if (a === b) return undefined;
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((line, n) => line !== y[n]);
  const at = i === -1 ? x.length : i;
  return `line ${at + 1}: ${JSON.stringify(x[at])} here, ${JSON.stringify(y[at])} under C.UTF-8`;
}

describe('dist/ does not depend on the locale', () => {
  test('the same app synthesizes to the same bytes under C, Danish and Czech collation (LANG and LC_ALL)', async () => {
    const envs: Array<{ [name: string]: string }> = [
      { LANG: 'C.UTF-8' },
      { LANG: 'da_DK.UTF-8' },
      { LANG: 'cs_CZ.UTF-8' },
      { LANG: 'C.UTF-8', LC_ALL: 'da_DK.UTF-8' },
      { LANG: 'C.UTF-8', LC_ALL: 'cs_CZ.UTF-8' },
    ];
    const results = await Promise.all(envs.map(synthUnder));
    // the children really collated as Danish and Czech (Node with full ICU takes its default locale from the environment)
    expect(results.map((r) => r.locale)).toEqual(['en-US', 'da-DK', 'cs-CZ', 'da-DK', 'cs-CZ']);
    const reference = snapshotDir(results[0].out);
    expect(Object.keys(reference)).toContain('locale-aa.k8s.yaml');
    for (const [i, r] of results.entries()) {
      const files = snapshotDir(r.out);
      const env = envs[i];
      expect({ env, names: Object.keys(files).sort(compareCodePoints) }).toEqual({ env, names: Object.keys(reference).sort(compareCodePoints) });
      for (const name of Object.keys(reference)) {
        expect({ env, name, firstDifference: firstDifference(files[name], reference[name]) }).toEqual({ env, name, firstDifference: undefined });
      }
    }
    // code-point order, whatever the locale: `B` < `a`, `a-b` < `a_b` < `aa`, `ab` < `ch` < `h` < `z`
    const text = fs.readFileSync(path.join(results[0].out, 'locale-aa.k8s.yaml'), 'utf8');
    const pipeline = text.split('\n---\n').find((d) => /^kind: Pipeline$/m.test(d) && /^  name: aa$/m.test(d))!;
    const params = [...pipeline.split('\n  params:\n')[1].split(/\n {2}\S/)[0].matchAll(/^ {4}- name: (\S+)$/gm)].map((m) => m[1]);
    expect(params).toEqual(['B', 'a', 'a-b', 'a_b', 'aa', 'ab', 'ch', 'h', 'z']);
  }, 180_000);
});

describe('compareCodePoints', () => {
  test('orders by Unicode code point (as UTF-8 bytes and Go do), not by UTF-16 code unit', () => {
    const astral = '\u{1F600}'; // U+1F600: surrogates D83D DE00, below U+E000 as code units
    const privateUse = '\uE000';
    const lastBmp = '\uFFFD';
    expect([astral, lastBmp, privateUse, 'z', 'a', ''].sort(compareCodePoints)).toEqual(['', 'a', 'z', privateUse, lastBmp, astral]);
    const utf8Order = [astral, lastBmp, privateUse, 'z', 'a', ''].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([astral, lastBmp, privateUse, 'z', 'a', ''].sort(compareCodePoints)).toEqual(utf8Order);
    expect(['ab', 'a', 'aa', 'B', 'a_b', 'a-b'].sort(compareCodePoints)).toEqual(['B', 'a', 'a-b', 'a_b', 'aa', 'ab']);
    expect(compareCodePoints('x', 'x')).toBe(0);
    expect(compareCodePoints('a\u{10000}', 'a\u{10001}')).toBe(-1);
    expect(compareCodePoints('a\u{10001}', 'a\uFFFF')).toBe(1);
  });
});

describe('nothing in src/ sorts or formats by the locale', () => {
  test('no localeCompare, Intl.Collator or toLocale… in src/', () => {
    const hits: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) {
          walk(full);
        } else if (/\.ts$/.test(e.name) && !e.name.endsWith('.d.ts')) {
          fs.readFileSync(full, 'utf8').split('\n').forEach((line, i) => {
            if (/^\s*(\*|\/\*|\/\/)/.test(line)) return; // a comment may name them
            if (/\blocaleCompare\b|\bIntl\.Collator\b|\.toLocale\w*\(/.test(line)) hits.push(`${path.relative(root, full)}:${i + 1}: ${line.trim()}`);
          });
        }
      }
    };
    walk(path.join(root, 'src'));
    // compare with compareCodePoints (src/internal/sort.ts): the output must not depend on LANG / LC_ALL
    expect(hits).toEqual([]);
  });
});

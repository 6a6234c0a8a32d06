import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';

/** One problem reported by @ibm/tekton-lint. */
export interface LintProblem {
  readonly message: string;
  readonly rule: string;
  readonly level: 'error' | 'warning';
}

const LINT = path.resolve(__dirname, '../../node_modules/@ibm/tekton-lint/dist/lint.js');

/**
 * Runs @ibm/tekton-lint (its CLI: the package is ESM-only) on objects written as one YAML stream.
 * Lint a Pipeline together with the Tasks it refers to: the linter checks params across them.
 */
export function tektonLint(objects: any[]): LintProblem[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tekton-lint-'));
  const file = path.join(dir, 'objects.yaml');
  fs.writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
  try {
    let out: string;
    try {
      out = execFileSync(process.execPath, [LINT, '--format', 'json', '--color', 'false', file], { cwd: dir, encoding: 'utf8' });
    } catch (e: any) {
      out = e.stdout; // exits non-zero when it finds errors
    }
    return JSON.parse(out.trim() || '[]').map((p: any) => ({ message: p.message, rule: p.rule, level: p.level }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

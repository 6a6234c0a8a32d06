import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Task } from '../src';
import { errorsOf, find, synth, tempDir } from './util';

/**
 * Params reach scripts through the environment, never as shell text: the rendered scripts are run
 * under a real shell (and python3) with hostile values, substituted into the env the way Tekton does.
 */
const HOSTILE = [
  'main',
  '$(touch PWNED)',
  '`touch PWNED`',
  '"; touch PWNED; "',
  "'; touch PWNED; '",
  'a b  c',
  '*',
  '$HOME',
  '\\',
  '-n',
  'line1\nline2',
  "it's \"quoted\" $'x'",
];

/** Runs a rendered step as Tekton would with `value` for `$(params.v)`; returns what it printed. */
function runStep(step: any, value: string, cwd: string): string {
  const env: { [k: string]: string } = { PATH: process.env.PATH ?? '', HOME: '/nonexistent' };
  for (const e of step.env ?? []) env[e.name] = String(e.value).split('$(params.v)').join(value);
  // Tekton substitutes what is left in the script as text: nothing of $(params.…) may be left
  expect(JSON.stringify([step.script, step.command, step.args])).not.toContain('$(params.');
  if (step.script) {
    const file = path.join(cwd, 'script');
    fs.writeFileSync(file, step.script, { mode: 0o755 });
    const interpreter = step.script.startsWith('#!') ? step.script.slice(2).split('\n')[0].trim().split(/\s+/) : ['sh'];
    const [cmd, ...args] = interpreter[0] === '/usr/bin/env' ? interpreter.slice(1) : interpreter;
    return execFileSync(cmd, [...args, file], { env, cwd, encoding: 'utf8' });
  }
  const [cmd, ...args] = [...(step.command ?? []), ...(step.args ?? [])];
  return execFileSync(cmd, args, { env, cwd, encoding: 'utf8' });
}

function renderedStep(build: (t: Task, v: string) => void): any {
  const objects = synth((s) => {
    const task = new Task(s, 't');
    const v = task.addParam('v');
    build(task, `${v}`);
  });
  return find(objects, 'Task').spec.steps[0];
}

const SHELL_CASES: Array<[string, (v: string) => any, (value: string) => string]> = [
  ['double quotes', (v) => ({ script: `#!/bin/sh\nprintf '%s' "${v}"` }), (x) => x],
  ['single quotes', (v) => ({ script: `#!/bin/sh\nprintf '%s' '${v}'` }), (x) => x],
  ['unquoted (quoted for it: one word, no globbing)', (v) => ({ script: `#!/bin/sh\nprintf '%s|' ${v}` }), (x) => `${x}|`],
  ['inside a word', (v) => ({ script: `#!/bin/sh\nprintf '%s' pre-${v}-post` }), (x) => `pre-${x}-post`],
  ['a heredoc', (v) => ({ script: `#!/bin/sh\ncat <<EOF\nvalue: ${v}\nEOF` }), (x) => `value: ${x}\n`],
  ['bash $\'…\'', (v) => ({ script: `#!/bin/bash\nprintf '%s' $'<${v}>'` }), (x) => `<${x}>`],
  ['a command substitution in double quotes', (v) => ({ script: `#!/bin/sh\nprintf '%s' "$(printf '%s' "${v}")"` }), (x) => x.replace(/\n+$/, '')],
  ['sh -c', (v) => ({ command: ['sh', '-c'], args: [`printf '%s' "${v}"`] }), (x) => x],
  ['bash -ec in command', (v) => ({ command: ['/bin/bash', '-ec', `printf '%s' ${v}`] }), (x) => x],
];

describe('scripts read params from the environment', () => {
  test.each(SHELL_CASES)('%s: every hostile value arrives exactly, and nothing runs', (_name, props, expected) => {
    const step = renderedStep((t, v) => t.addStep({ name: 's', image: 'busybox', ...props(v) }));
    const cwd = tempDir('script-env-');
    for (const value of HOSTILE) {
      expect({ value, out: runStep(step, value, cwd) }).toEqual({ value, out: expected(value) });
    }
    expect(fs.existsSync(path.join(cwd, 'PWNED'))).toBe(false);
  });

  test('a Python script reads os.environ and gets every value exactly', () => {
    const step = renderedStep((t, v) => t.addStep({
      name: 's', image: 'python:3', env: { VALUE: v }, script: "#!/usr/bin/env python3\nimport os, sys\nsys.stdout.write(os.environ['VALUE'])",
    }));
    const cwd = tempDir('script-env-');
    for (const value of HOSTILE) expect(runStep(step, value, cwd)).toBe(value);
  });

  test('a reference in a Python script, or in a quoted heredoc, is a synth error that says what to write', () => {
    expect(errorsOf((s) => {
      const t = new Task(s, 't');
      const v = t.addParam('v');
      t.addStep({ name: 'py', image: 'python:3', script: `#!/usr/bin/env python3\nprint("${v}")` });
      t.addStep({ name: 'doc', image: 'busybox', script: `#!/bin/sh\ncat <<'EOF'\n${v}\nEOF` });
    })).toEqual([
      "[test/t] step 'py' script is a python script: $(params.v) would be pasted into its code as text. Pass it in the environment instead " +
        "(env: { VALUE: <the param> }, then read it as the language does, e.g. os.environ['VALUE']), or opt in by name: substituteParamsAsText: ['v']",
      "[test/t] step 'doc' script uses $(params.v) inside a quoted heredoc (<<'EOF'), where it cannot be read from the environment: " +
        "use an unquoted delimiter (<<EOF), or opt in by name: substituteParamsAsText: ['v']",
    ]);
  });

  test('substituteParamsAsText keeps the named params as Tekton text; Tekton\'s own paths stay', () => {
    const step = renderedStep((t, v) => {
      const ws = t.addWorkspace('src');
      const image = t.addParam('image');
      t.addStep({ name: 's', image: 'busybox', substituteParamsAsText: ['image'], script: `#!/bin/sh\necho ${image} ${v} > ${ws.path}/out` });
    });
    expect(step.script).toBe('#!/bin/sh\necho $(params.image) "${PARAMS_V}" > $(workspaces.src.path)/out');
    expect(step.env).toEqual([{ name: 'PARAMS_V', value: '$(params.v)' }]);
  });

  test('env names never collide with the step\'s own', () => {
    const step = renderedStep((t, v) => t.addStep({ name: 's', image: 'busybox', env: { PARAMS_V: 'mine' }, script: `echo "${v}" "$(context.taskRun.name)"` }));
    expect(step.env).toEqual([
      { name: 'PARAMS_V', value: 'mine' },
      { name: 'PARAMS_V_2', value: '$(params.v)' },
      { name: 'CONTEXT_TASKRUN_NAME', value: '$(context.taskRun.name)' },
    ]);
    expect(step.script).toBe('echo "${PARAMS_V_2}" "${CONTEXT_TASKRUN_NAME}"');
  });
});

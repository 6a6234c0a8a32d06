import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { OnError, ParamType, Pipeline, PipelineRun, Task, TaskResolver, When, WorkspaceBinding } from '../src';
import { codesOf, errorsOf, find, problemsOf, synth } from './util';

function task(scope: Construct, id: string, iface: { params?: Array<[string, any?]>; workspaces?: string[]; results?: string[] } = {}) {
  const t = new Task(scope, id);
  for (const [name, options] of iface.params ?? []) t.addParam(name, options);
  for (const w of iface.workspaces ?? []) t.addWorkspace(w);
  for (const r of iface.results ?? []) t.addResult(r);
  t.addStep({ name: 'run', image: 'busybox', script: 'true' });
  return t;
}

describe('Pipeline: declare once', () => {
  test('unbound Task params and workspaces become Pipeline params and workspaces, carried over and bound', () => {
    const objects = synth((s) => {
      const a = task(s, 'a', { params: [['revision', { description: 'commit' }], ['flags', { type: ParamType.ARRAY, default: ['-v'] }]], workspaces: ['source'] });
      const b = task(s, 'b', { params: [['revision'], ['mode', { default: 'fast', description: 'how' }]], workspaces: ['source', 'cache'] });
      const p = new Pipeline(s, 'ci');
      p.addTask('first', { task: a });
      p.addTask('second', { task: b, params: { mode: 'slow' }, workspaces: { cache: 'shared-cache' } });
    });
    const spec = find(objects, 'Pipeline', 'ci').spec;
    expect(spec.params).toEqual([
      { name: 'flags', type: 'array', default: ['-v'] },
      { name: 'revision', type: 'string', description: 'commit' },
    ]);
    expect(spec.workspaces).toEqual([{ name: 'shared-cache' }, { name: 'source' }]);
    expect(spec.tasks).toEqual([
      {
        name: 'first',
        taskRef: { name: 'a', kind: 'Task' },
        params: [{ name: 'revision', value: '$(params.revision)' }, { name: 'flags', value: '$(params.flags[*])' }],
        workspaces: [{ name: 'source', workspace: 'source' }],
      },
      {
        name: 'second',
        taskRef: { name: 'b', kind: 'Task' },
        params: [{ name: 'revision', value: '$(params.revision)' }, { name: 'mode', value: 'slow' }],
        workspaces: [{ name: 'source', workspace: 'source' }, { name: 'cache', workspace: 'shared-cache' }],
      },
    ]);
  });

  test('explicit Pipeline params and workspaces are shared by the tasks that name them', () => {
    const objects = synth((s) => {
      const p = new Pipeline(s, 'ci');
      const env = p.addParam('environment', { default: 'staging', description: 'where to deploy' });
      const ws = p.addWorkspace('checkout');
      p.addTask('t', { task: task(s, 'a', { params: [['target']], workspaces: ['source'] }), params: { target: env }, workspaces: { source: ws } });
    });
    const spec = find(objects, 'Pipeline').spec;
    expect(spec.params).toEqual([{ name: 'environment', type: 'string', default: 'staging', description: 'where to deploy' }]);
    expect(spec.tasks[0].params).toEqual([{ name: 'target', value: '$(params.environment)' }]);
    expect(spec.workspaces).toEqual([{ name: 'checkout' }]);
  });

  test('the same name with another type, or another default, is an error naming both places', () => {
    expect(codesOf((s) => {
      const p = new Pipeline(s, 'ci');
      p.addTask('one', { task: task(s, 'a', { params: [['x']] }) });
      p.addTask('two', { task: task(s, 'b', { params: [['x', { type: ParamType.ARRAY }]] }) });
    })).toEqual([['test/ci', 'param-conflict']]);
    // the wording: both places, and the two ways out
    expect(errorsOf((s) => {
      const p = new Pipeline(s, 'ci');
      p.addTask('one', { task: task(s, 'a', { params: [['x']] }) });
      p.addTask('two', { task: task(s, 'b', { params: [['x', { type: ParamType.ARRAY }]] }) });
    })).toEqual(["[test/ci] param 'x' is string in task 'one' but array in task 'two': rename one of them, or bind it in addTask('two', { params: { 'x': ... } })"]);
    expect(errorsOf((s) => {
      const p = new Pipeline(s, 'ci');
      p.addTask('one', { task: task(s, 'a', { params: [['x', { default: '1' }]] }) });
      p.addTask('two', { task: task(s, 'b', { params: [['x', { default: '2' }]] }) });
    })).toEqual(['[test/ci] param \'x\' has default "1" in task \'one\' but "2" in task \'two\': give both the same default, or bind it in addTask(\'two\', { params: { \'x\': ... } })']);
  });

  test('binding a param or workspace the Task does not declare is an error', () => {
    expect(codesOf((s) => {
      const p = new Pipeline(s, 'ci');
      p.addTask('t', { task: task(s, 'a', { params: [['revision']], workspaces: ['source'] }), params: { revison: 'x' }, workspaces: { src: 'x' } });
    })).toEqual([['test/ci', 'unknown-param'], ['test/ci', 'unknown-workspace']]);
    expect(errorsOf((s) => {
      const p = new Pipeline(s, 'ci');
      p.addTask('t', { task: task(s, 'a', { params: [['revision']], workspaces: ['source'] }), params: { revison: 'x' }, workspaces: { src: 'x' } });
    })).toEqual([
      "[test/ci] task 't' binds param 'revison', but Task 'a' has no such param: did you mean 'revision'?",
      // the hint leads with the Task's unbound workspace (a misspelt key), not with declaring the typo on the Task
      "[test/ci] task 't' binds workspace 'src', but Task 'a' has no such workspace: it declares 'source': bind that (workspaces: { 'source': … }), " +
        "or declare 'src' with a.addWorkspace('src')",
    ]);
  });
});

describe('Pipeline: order, finally, results, when', () => {
  test('result references add the dependency; runAfter adds explicit ones; each edge is listed once', () => {
    const objects = synth((s) => {
      const p = new Pipeline(s, 'ci');
      const clone = p.addTask('clone', { task: task(s, 'clone', { results: ['commit'] }) });
      const lint = p.addTask('lint', { task: task(s, 'lint'), runAfter: [clone] });
      p.addTask('build', { task: task(s, 'build', { params: [['commit']] }), params: { commit: clone.result('commit') }, runAfter: [clone, lint] });
    });
    const tasks = find(objects, 'Pipeline').spec.tasks;
    expect(tasks.map((t: any) => [t.name, t.runAfter])).toEqual([['clone', undefined], ['lint', ['clone']], ['build', ['clone', 'lint']]]);
    expect(tasks[2].params).toEqual([{ name: 'commit', value: '$(tasks.clone.results.commit)' }]);
  });

  test('retries, timeout, when, onError, finally and Pipeline results render as Tekton expects', () => {
    const objects = synth((s) => {
      const p = new Pipeline(s, 'ci');
      const deploy = p.addParam('deploy', { default: 'true' });
      const build = p.addTask('build', { task: task(s, 'build', { results: ['digest'] }), retries: 3, timeout: Duration.minutes(20) });
      p.addTask('push', {
        task: task(s, 'push', { params: [['digest']] }),
        params: { digest: build.result('digest') },
        when: [When.input(deploy).in(['true']), When.input(build.result('digest')).notIn(['']), When.cel("'$(params.deploy)' == 'true'")],
        onError: OnError.CONTINUE,
      });
      p.addFinally('report', { task: task(s, 'report', { params: [['status'], ['build-status']] }), params: { 'status': p.tasksStatus, 'build-status': build.status } });
      p.addResult('digest', build.result('digest'), { description: 'image digest' });
    });
    const spec = find(objects, 'Pipeline').spec;
    expect(spec.tasks[0]).toMatchObject({ name: 'build', retries: 3, timeout: '20m0s' });
    expect(spec.tasks[1]).toEqual({
      name: 'push',
      taskRef: { name: 'push', kind: 'Task' },
      params: [{ name: 'digest', value: '$(tasks.build.results.digest)' }],
      runAfter: ['build'],
      onError: 'continue',
      when: [
        { input: '$(params.deploy)', operator: 'in', values: ['true'] },
        { input: '$(tasks.build.results.digest)', operator: 'notin', values: [''] },
        { cel: "'$(params.deploy)' == 'true'" },
      ],
    });
    expect(spec.finally).toEqual([{
      name: 'report',
      taskRef: { name: 'report', kind: 'Task' },
      params: [{ name: 'status', value: '$(tasks.status)' }, { name: 'build-status', value: '$(tasks.build.status)' }],
    }]);
    expect(spec.results).toEqual([{ name: 'digest', type: 'string', description: 'image digest', value: '$(tasks.build.results.digest)' }]);
  });
});

describe('Pipeline validation: one problem each, of its kind (code) and where (path)', () => {
  test.each([
    ['reference to an undeclared Pipeline param', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      p.addTask('t', { task: task(s, 'a', { params: [['x']] }), params: { x: '$(params.nope)' } });
    }, 'test/ci', 'unknown-reference'],
    ['reference to an undeclared result', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      const a = p.addTask('a', { task: task(s, 'a', { results: ['digest'] }) });
      p.addTask('b', { task: task(s, 'b', { params: [['x']] }), params: { x: a.result('digets') } });
    }, 'test/ci', 'unknown-reference'],
    ['reference to a task not in the pipeline', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      p.addTask('b', { task: task(s, 'b', { params: [['x']] }), params: { x: '$(tasks.ghost.results.y)' } });
    }, 'test/ci', 'unknown-reference'],
    ['runAfter a task of another pipeline', (s: Construct) => {
      const other = new Pipeline(s, 'other');
      const foreign = other.addTask('x', { task: task(s, 'x') });
      const p = new Pipeline(s, 'ci');
      p.addTask('b', { task: task(s, 'b'), runAfter: [foreign] });
    }, 'test/ci', 'invalid-run-after'],
    ['a cycle', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      const a = p.addTask('a', { task: task(s, 'a', { params: [['x']], results: ['r'] }), params: { x: '$(tasks.c.results.r)' } });
      const b = p.addTask('b', { task: task(s, 'b', { results: ['r'] }), runAfter: [a] });
      p.addTask('c', { task: task(s, 'c', { results: ['r'] }), runAfter: [b] });
    }, 'test/ci', 'task-cycle'],
    ['duplicate task names', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      p.addTask('a', { task: task(s, 'a') });
      p.addFinally('a', { task: task(s, 'b') });
    }, 'test/ci', 'duplicate-name'],
    ['a duplicate task name that the other runs after: reported once, not also as a foreign task and a cycle', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      const first = p.addTask('build', { task: task(s, 'a') });
      p.addTask('build', { task: task(s, 'b'), runAfter: [first] });
    }, 'test/ci', 'duplicate-name'],
    ['task name over the DNS label limit', (s: Construct) => {
      new Pipeline(s, 'ci').addTask('t'.repeat(64), { task: task(s, 'a') });
    }, 'test/ci', 'invalid-name'],
    ['a finally result used by a regular task', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      const f = p.addFinally('f', { task: task(s, 'f', { results: ['r'] }) });
      p.addTask('a', { task: task(s, 'a', { params: [['x']] }), params: { x: f.result('r') } });
    }, 'test/ci', 'misplaced-reference'],
    ['runAfter on a finally task', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      const a = p.addTask('a', { task: task(s, 'a') });
      p.addFinally('f', { task: task(s, 'f'), runAfter: [a] });
    }, 'test/ci', 'invalid-run-after'],
    ['a when input that references an undeclared param', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      p.addTask('a', { task: task(s, 'a'), when: [When.input('$(params.deploi)').in(['true'])] });
    }, 'test/ci', 'unknown-reference'],
    ['task status outside finally', (s: Construct) => {
      const p = new Pipeline(s, 'ci');
      const a = p.addTask('a', { task: task(s, 'a') });
      p.addTask('b', { task: task(s, 'b', { params: [['s']] }), params: { s: a.status } });
    }, 'test/ci', 'misplaced-reference'],
    ['onError continue with retries', (s: Construct) => {
      new Pipeline(s, 'ci').addTask('a', { task: task(s, 'a'), retries: 2, onError: OnError.CONTINUE });
    }, 'test/ci', 'conflicting-props'],
    ['no tasks', (s: Construct) => { new Pipeline(s, 'ci'); }, 'test/ci', 'no-tasks'],
    ['a param bound on a resolved Task declared to take none', (s: Construct) => {
      const lint = Task.fromResolver(s, 'lint', TaskResolver.hub({ name: 'golangci-lint', version: '0.2' }), {});
      new Pipeline(s, 'ci').addTask('lint', { task: lint, params: { flags: '-v' } });
    }, 'test/ci', 'unknown-param'],
    ['a string bound to an array param', (s: Construct) => {
      new Pipeline(s, 'ci').addTask('t', { task: task(s, 'a', { params: [['flags', { type: ParamType.ARRAY }]] }), params: { flags: '-v' } });
    }, 'test/ci', 'param-type-mismatch'],
    ['a list bound to a string param', (s: Construct) => {
      new Pipeline(s, 'ci').addTask('t', { task: task(s, 'a', { params: [['mode']] }), params: { mode: ['fast'] } });
    }, 'test/ci', 'param-type-mismatch'],
  ])('%s', (_title, build, path, code) => {
    expect(codesOf(build)).toEqual([[path, code]]);
  });
});

test('a Task imported by name without an interface has its bindings passed through unchecked', () => {
  const build = (s: Construct) => {
    const kaniko = Task.fromTaskName(s, 'kaniko', 'kaniko', { namespace: 'ci' });
    new Pipeline(s, 'ci').addTask('build', { task: kaniko, params: { IMAGE: 'ghcr.io/acme/app' } });
  };
  expect(errorsOf(build)).toEqual([]);
  expect(find(synth(build), 'Pipeline').spec.tasks).toEqual([
    { name: 'build', taskRef: { name: 'kaniko', kind: 'Task' }, params: [{ name: 'IMAGE', value: 'ghcr.io/acme/app' }] },
  ]);
});

describe('PipelineRun (a one-off run kept in git)', () => {
  function pipeline(s: Construct) {
    const p = new Pipeline(s, 'ci', { timeouts: { pipeline: Duration.hours(2) } });
    p.addTask('a', { task: task(s, 'a', { params: [['revision'], ['mode', { default: 'fast' }]], workspaces: ['source'] }) });
    return p;
  }

  test('gets a deterministic name from its content, never generateName', () => {
    const render = (revision: string) => find(synth((s) => {
      new PipelineRun(s, 'run', { pipeline: pipeline(s), params: { revision }, workspaces: { source: WorkspaceBinding.volumeClaimTemplate() }, serviceAccountName: 'ci-runner' });
    }), 'PipelineRun');
    const run = render('abc');
    expect(run.metadata.generateName).toBeUndefined();
    expect(run.metadata.name).toMatch(/^ci-[0-9a-f]{8}$/);
    expect(render('abc').metadata.name).toBe(run.metadata.name);
    expect(render('def').metadata.name).not.toBe(run.metadata.name);
    expect(run.spec).toEqual({
      pipelineRef: { name: 'ci' },
      params: [{ name: 'revision', value: 'abc' }],
      workspaces: [{ name: 'source', volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } }],
      taskRunTemplate: { serviceAccountName: 'ci-runner' },
      timeouts: { pipeline: '2h0m0s' },
    });
  });

  test("Tekton's default pipeline timeout is written out (Flux applies the run; the cluster would add it)", () => {
    const run = find(synth((s) => {
      const p = new Pipeline(s, 'plain');
      p.addTask('a', { task: task(s, 'a') });
      new PipelineRun(s, 'run', { pipeline: p, timeouts: { tasks: Duration.minutes(40) } });
    }), 'PipelineRun');
    expect(run.spec.timeouts).toEqual({ pipeline: '1h0m0s', tasks: '40m0s' });
  });

  test.each([
    // the one-off run writes Tekton's default pipeline timeout out, so the message names it
    [{ tasks: Duration.minutes(90) }, 'timeouts.tasks exceeds timeouts.pipeline (1h0m0s): Tekton rejects the run, raise timeouts.pipeline or lower the others'],
    [{ pipeline: Duration.minutes(30), tasks: Duration.minutes(20), finally: Duration.minutes(15) },
      'timeouts.tasks + timeouts.finally exceed timeouts.pipeline (30m0s): Tekton rejects the run, raise timeouts.pipeline or lower the others'],
  ])('timeouts Tekton rejects: %j', (timeouts, message) => {
    const problems = problemsOf((s) => {
      const p = new Pipeline(s, 'plain');
      p.addTask('a', { task: task(s, 'a') });
      new PipelineRun(s, 'run', { pipeline: p, timeouts });
    });
    expect(problems.map((p) => [p.path, p.code, `${p.message}: ${p.fix}`])).toEqual([['test/run', 'invalid-timeouts', message]]);
  });

  test('whole arrays and objects pass on by reference; a literal of the wrong shape is an error', () => {
    expect(codesOf((s) => {
      const p = new Pipeline(s, 'ci');
      const all = p.addParam('all-flags', { type: ParamType.ARRAY });
      const b = p.addTask('b', { task: task(s, 'b', { params: [['flags', { type: ParamType.ARRAY }]] }), params: { flags: all.all } });
      void b;
      new PipelineRun(s, 'run', { pipeline: p, params: { 'all-flags': 'x' } });
    })).toEqual([['test/run', 'param-type-mismatch']]);
  });

  test('every param without a default must be given, and every required workspace bound', () => {
    const build = (s: Construct) => { new PipelineRun(s, 'run', { pipeline: pipeline(s), params: { typo: 'x' } }); };
    expect(codesOf(build)).toEqual([['test/run', 'missing-required-param'], ['test/run', 'unknown-param'], ['test/run', 'missing-required-workspace']]);
    // the wording users read most: what has no value, and where to give it
    expect(errorsOf(build)).toEqual([
      "[test/run] Pipeline 'ci' param 'revision' has no value: give it in params (or a default where it is declared)",
      "[test/run] params gives 'typo', but Pipeline 'ci' has no such param (params: mode, revision)",
      "[test/run] Pipeline 'ci' workspace 'source' is not bound: give it in workspaces, e.g. { 'source': WorkspaceBinding.volumeClaimTemplate() }",
    ]);
  });
});

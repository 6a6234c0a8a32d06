import { Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { EnvValue, OnError, ParamType, Pipeline, Task, TaskResolver } from '../src';
import { codesOf, errorsOf, find, synth } from './util';

describe('Task', () => {
  test('params, workspaces and results render Tekton references and declarations', () => {
    const objects = synth((scope) => {
      const task = new Task(scope, 'build', { description: 'build it', displayName: 'Build' });
      const revision = task.addParam('revision', { description: 'commit to build' });
      const flags = task.addParam('flags', { type: ParamType.ARRAY, default: ['--quiet'] });
      const repo = task.addParam('repo', { default: { url: 'https://x', branch: 'main' } });
      const source = task.addWorkspace('source', { description: 'checkout', readOnly: true });
      const digest = task.addResult('digest', { description: 'image digest' });
      task.addStep({
        name: 'build',
        image: 'alpine:3.20',
        script: `cd ${source.path} && git checkout ${revision} && echo ${repo.key('url')} > ${digest.path}`,
      });
      task.addStep({ name: 'flags', image: 'alpine:3.20', command: ['echo'], args: [flags.all, flags.index(0)] });
    });
    expect(find(objects, 'Task', 'build')).toEqual({
      apiVersion: 'tekton.dev/v1',
      kind: 'Task',
      metadata: { name: 'build', namespace: 'ci' },
      spec: {
        description: 'build it',
        displayName: 'Build',
        params: [
          { name: 'revision', type: 'string', description: 'commit to build' },
          { name: 'flags', type: 'array', default: ['--quiet'] },
          { name: 'repo', type: 'object', default: { url: 'https://x', branch: 'main' }, properties: { url: { type: 'string' }, branch: { type: 'string' } } },
        ],
        workspaces: [{ name: 'source', description: 'checkout', readOnly: true }],
        results: [{ name: 'digest', type: 'string', description: 'image digest' }],
        steps: [
          {
            name: 'build',
            image: 'alpine:3.20',
            // params reach the script through the environment (never as shell text); Tekton's own paths stay
            env: [{ name: 'PARAMS_REVISION', value: '$(params.revision)' }, { name: 'PARAMS_REPO_URL', value: '$(params.repo.url)' }],
            script: 'cd $(workspaces.source.path) && git checkout "${PARAMS_REVISION}" && echo "${PARAMS_REPO_URL}" > $(results.digest.path)',
          },
          { name: 'flags', image: 'alpine:3.20', command: ['echo'], args: ['$(params.flags[*])', '$(params.flags[0])'] },
        ],
      },
    });
  });

  test('steps carry env, resources, security context, onError and timeout; stepTemplate and sidecars render', () => {
    const objects = synth((scope) => {
      const task = new Task(scope, 'full', {
        stepTemplate: { env: { CI: 'true' }, computeResources: { limits: { memory: '1Gi' } } },
        sidecars: [{ name: 'db', image: 'postgres:16', env: { POSTGRES_PASSWORD: { secretKeyRef: { name: 'db', key: 'password' } } } }],
        volumes: [kplus.Volume.fromPersistentVolumeClaim(scope, 'cache', kplus.PersistentVolumeClaim.fromClaimName(scope, 'claim', 'cache'), { name: 'cache' })],
      });
      task.addStep({
        name: 'run',
        image: 'node:20',
        script: 'npm test',
        env: {
          TOKEN: EnvValue.fromSecretValue({ secret: kplus.Secret.fromSecretName(scope, 'npm', 'npm'), key: 'token' }),
          MODE: EnvValue.fromConfigMap(kplus.ConfigMap.fromConfigMapName(scope, 'cfg', 'cfg'), 'mode'),
          SHARED: EnvValue.fromSecretKey('shared', 'token'),
          PLAIN: EnvValue.fromValue('x'),
          LEGACY: 'y',
        },
        workingDir: '/src',
        computeResources: { requests: { cpu: '500m' } },
        securityContext: { runAsNonRoot: true },
        onError: OnError.CONTINUE,
        timeout: Duration.minutes(90),
      });
    });
    const spec = find(objects, 'Task', 'full').spec;
    expect(spec.steps[0]).toEqual({
      name: 'run',
      image: 'node:20',
      script: 'npm test',
      env: [
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'npm', key: 'token' } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } },
        { name: 'SHARED', valueFrom: { secretKeyRef: { name: 'shared', key: 'token' } } },
        { name: 'PLAIN', value: 'x' },
        { name: 'LEGACY', value: 'y' },
      ],
      workingDir: '/src',
      computeResources: { requests: { cpu: '500m' } },
      securityContext: { runAsNonRoot: true },
      onError: 'continue',
      timeout: '1h30m0s',
    });
    expect(spec.stepTemplate).toEqual({ env: [{ name: 'CI', value: 'true' }], computeResources: { limits: { memory: '1Gi' } } });
    // the earlier form of a key reference (Kubernetes' own valueFrom) still renders as given
    expect(spec.sidecars).toEqual([{ name: 'db', image: 'postgres:16', env: [{ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } }] }]);
    // cdk8s-plus renders the volume (as in its Pods)
    expect(spec.volumes).toEqual([{ name: 'cache', persistentVolumeClaim: { claimName: 'cache', readOnly: false } }]);
  });

  test('steps added after a Pipeline uses the Task are rendered (lazy)', () => {
    const objects = synth((scope) => {
      const task = new Task(scope, 'late');
      const p = new Pipeline(scope, 'p');
      p.addTask('t', { task });
      task.addStep({ name: 'one', image: 'busybox', script: 'true' });
      task.addParam('added-late');
    });
    expect(find(objects, 'Task', 'late').spec.steps).toHaveLength(1);
    expect(find(objects, 'Pipeline', 'p').spec.params).toEqual([{ name: 'added-late', type: 'string' }]);
  });

  test('names: default from the construct path below the chart, or the name prop', () => {
    const objects = synth((scope) => {
      const t1 = new Task(scope, 'My_Task');
      t1.addStep({ name: 's', image: 'busybox', script: 'true' });
      const t2 = new Task(scope, 'other', { name: 'explicit-name', namespace: 'tools' });
      t2.addStep({ name: 's', image: 'busybox', script: 'true' });
    });
    expect(objects.map((o) => [o.metadata.name, o.metadata.namespace])).toEqual([['my-task', 'ci'], ['explicit-name', 'tools']]);
  });

  test('existing Tasks: by name, and by each resolver', () => {
    const objects = synth((scope) => {
      const tasks = [
        Task.fromTaskName(scope, 'named', 'existing-task'),
        Task.fromResolver(scope, 'git', TaskResolver.git({ url: 'https://github.com/tektoncd/catalog.git', pathInRepo: 'task/git-clone/0.9/git-clone.yaml', revision: 'v1' })),
        Task.fromResolver(scope, 'hub', TaskResolver.hub({ name: 'git-clone', version: '0.9' })),
        Task.fromResolver(scope, 'bundle', TaskResolver.bundle('ghcr.io/acme/tasks:v1', 'lint')),
        Task.fromResolver(scope, 'cluster', TaskResolver.cluster('shared-task', 'tekton-tasks')),
      ];
      const p = new Pipeline(scope, 'p');
      tasks.forEach((task, i) => p.addTask(`t${i}`, { task }));
    });
    expect(find(objects, 'Pipeline').spec.tasks.map((t: any) => t.taskRef)).toEqual([
      { name: 'existing-task', kind: 'Task' },
      { resolver: 'git', params: [{ name: 'url', value: 'https://github.com/tektoncd/catalog.git' }, { name: 'revision', value: 'v1' }, { name: 'pathInRepo', value: 'task/git-clone/0.9/git-clone.yaml' }] },
      { resolver: 'hub', params: [{ name: 'catalog', value: 'tekton-catalog-tasks' }, { name: 'type', value: 'artifact' }, { name: 'kind', value: 'task' }, { name: 'name', value: 'git-clone' }, { name: 'version', value: '0.9' }] },
      { resolver: 'bundles', params: [{ name: 'bundle', value: 'ghcr.io/acme/tasks:v1' }, { name: 'name', value: 'lint' }, { name: 'kind', value: 'task' }] },
      { resolver: 'cluster', params: [{ name: 'kind', value: 'task' }, { name: 'name', value: 'shared-task' }, { name: 'namespace', value: 'tekton-tasks' }] },
    ]);
  });
});

describe('Task validation', () => {
  const withStep = (scope: Construct, id: string, script: string) => {
    const t = new Task(scope, id);
    t.addStep({ name: 'run', image: 'busybox', script });
    return t;
  };

  test.each([
    ['undeclared param', (s: Construct) => { const t = withStep(s, 't', 'echo $(params.revison)'); t.addParam('revision'); },
      'test/t', 'unknown-reference'],
    ['undeclared workspace', (s: Construct) => withStep(s, 't', 'cd $(workspaces.src.path)'),
      'test/t', 'unknown-reference'],
    ['undeclared result', (s: Construct) => withStep(s, 't', 'echo x > $(results.digest.path)'),
      'test/t', 'unknown-reference'],
    ['unknown object key', (s: Construct) => { const t = withStep(s, 't', 'echo $(params.repo.branch)'); t.addParam('repo', { properties: ['url'] }); },
      'test/t', 'unknown-reference'],
    ['no steps', (s: Construct) => new Task(s, 't'),
      'test/t', 'no-steps'],
    ['duplicate step', (s: Construct) => { const t = withStep(s, 't', 'true'); t.addStep({ name: 'run', image: 'busybox', script: 'true' }); },
      'test/t', 'duplicate-name'],
    ['duplicate param', (s: Construct) => { const t = withStep(s, 't', 'true'); t.addParam('a'); t.addParam('a'); },
      'test/t', 'duplicate-name'],
    ['bad step name', (s: Construct) => { const t = new Task(s, 't'); t.addStep({ name: 'Run_It', image: 'busybox', script: 'true' }); },
      'test/t', 'invalid-name'],
    ['a sidecar name that is not a DNS label', (s: Construct) => withStep(s, 't', 'true').addSidecar({ name: 'Postgres', image: 'postgres:16' }),
      'test/t', 'invalid-name'],
    ['script and command', (s: Construct) => { const t = new Task(s, 't'); t.addStep({ name: 'x', image: 'busybox', script: 'true', command: ['true'] }); },
      'test/t', 'conflicting-props'],
    ['default of the wrong type', (s: Construct) => { const t = withStep(s, 't', 'true'); t.addParam('a', { type: ParamType.ARRAY, default: 'x' }); },
      'test/t', 'param-type-mismatch'],
    ['default outside its enum', (s: Construct) => { const t = withStep(s, 't', 'true'); t.addParam('env', { default: 'dev', enum: ['staging', 'prod'] }); },
      'test/t', 'invalid-param'],
    ['bad param name', (s: Construct) => { const t = withStep(s, 't', 'true'); t.addParam('1st'); },
      'test/t', 'invalid-name'],
    ['pipeline variable in a Task', (s: Construct) => withStep(s, 't', 'echo $(tasks.a.results.b)'),
      'test/t', 'misplaced-reference'],
    ['name too long', (s: Construct) => { const t = new Task(s, 't', { name: 'x'.repeat(254) }); t.addStep({ name: 's', image: 'b', script: 'true' }); },
      'test/t', 'invalid-object-name'],
    ['two Tasks with one name', (s: Construct) => { withStep(s, 'a', 'true'); const b = new Task(s, 'b', { name: 'a' }); b.addStep({ name: 's', image: 'b', script: 'true' }); },
      'test/b', 'name-clash'],
  ])('%s', (_title, build, path, code) => {
    expect(codesOf(build)).toEqual([[path, code]]);
  });

  test('steps and sidecars mount the Task\'s volumes; an unknown volume or a path under /tekton/ is an error', () => {
    const objects = synth((s) => {
      const claim = kplus.PersistentVolumeClaim.fromClaimName(s, 'claim', 'npm-cache');
      const t = new Task(s, 't', { volumes: [kplus.Volume.fromPersistentVolumeClaim(s, 'cache', claim, { name: 'cache' })] });
      t.addStep({ name: 'test', image: 'node:20', script: 'npm test', volumeMounts: [{ name: 'cache', mountPath: '/root/.npm' }] });
      t.addSidecar({ name: 'db', image: 'postgres:16', volumeMounts: [{ name: 'cache', mountPath: '/data', readOnly: true }] });
    });
    expect(find(objects, 'Task').spec.steps[0].volumeMounts).toEqual([{ name: 'cache', mountPath: '/root/.npm' }]);
    expect(find(objects, 'Task').spec.sidecars[0].volumeMounts).toEqual([{ name: 'cache', mountPath: '/data', readOnly: true }]);
    // cdk8s-plus volumes, as its Pods render them: a size in Mi, a Secret (by reference) with its mode
    const volumes = find(synth((s) => {
      const t = new Task(s, 't', {
        volumes: [
          kplus.Volume.fromEmptyDir(s, 'scratch', 'scratch', { sizeLimit: Size.gibibytes(1) }),
          kplus.Volume.fromSecret(s, 'creds', kplus.Secret.fromSecretName(s, 'registry', 'registry'), { defaultMode: 0o400 }),
          kplus.Volume.fromConfigMap(s, 'settings', kplus.ConfigMap.fromConfigMapName(s, 'cfg', 'build-config')),
        ],
      });
      t.addStep({ name: 'test', image: 'node:20', script: 'npm test', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] });
    }), 'Task').spec.volumes;
    expect(volumes).toEqual([
      { name: 'scratch', emptyDir: { sizeLimit: '1024Mi' } },
      { name: 'secret-registry', secret: { secretName: 'registry', defaultMode: 256 } },
      { name: 'configmap-build-config', configMap: { name: 'build-config' } },
    ]);
    const scratch = (s: Construct, name: string) => kplus.Volume.fromEmptyDir(s, name, name);
    const mounts = (s: Construct) => {
      const t = new Task(s, 't', { volumes: [scratch(s, 'cache')] });
      t.addStep({ name: 'test', image: 'node:20', script: 'npm test', volumeMounts: [{ name: 'cahce', mountPath: '/root/.npm' }, { name: 'cache', mountPath: '/tekton/cache' }] });
    };
    expect(codesOf(mounts)).toEqual([['test/t', 'unknown-volume'], ['test/t', 'reserved-by-tekton']]);
    // the wording: the volumes there are, and where to mount instead
    expect(errorsOf(mounts)).toEqual([
      "[test/t] step 'test' mounts volume 'cahce', which the Task does not declare: add it to the Task's volumes (volumes: cache)",
      "[test/t] step 'test' mounts 'cache' at /tekton/cache: /tekton/ is Tekton's own, mount it elsewhere",
    ]);
    expect(codesOf((s) => {
      const t = new Task(s, 't', { volumes: [scratch(s, 'tekton-internal-x')] });
      t.addStep({ name: 'test', image: 'node:20', script: 'npm test', volumeMounts: [{ name: 'tekton-internal-x', mountPath: '/x' }] });
      t.addSidecar({ name: 'db', image: '', script: 'run', command: ['run'] });
    })).toEqual([['test/t', 'reserved-by-tekton'], ['test/t', 'missing-prop'], ['test/t', 'conflicting-props']]);
  });

  test('array and object params are used whole only where Tekton expands them', () => {
    const build = (s: Construct) => {
      const t = new Task(s, 't');
      const flags = t.addParam('flags', { type: ParamType.ARRAY });
      const cfg = t.addParam('cfg', { properties: ['mode'] });
      t.addStep({ name: 'script', image: 'busybox', script: `echo ${flags.all} ${flags.index(0)} ${cfg.key('mode')}`, env: { CFG: '$(params.cfg)' } });
      t.addStep({ name: 'args', image: 'busybox', command: ['echo'], args: [flags.all, `--flag=${flags.all}`, flags.index(1), cfg.all] });
    };
    expect(codesOf(build)).toEqual(Array(4).fill(['test/t', 'misplaced-reference']));
    // where each was written, and what to write instead
    expect(errorsOf(build)).toEqual([
      "[test/t] steps[0].script uses array param 'flags' whole ($(params.flags[*])): Tekton expands a whole array only as a complete command or args item " +
        '(args: [param.all]); in a string use one item, $(params.flags[0])',
      "[test/t] steps[0].env.CFG uses object param 'cfg' whole ($(params.cfg)): a step can only use its keys, e.g. $(params.cfg.<key>)",
      "[test/t] steps[1].args[1] uses array param 'flags' whole ($(params.flags[*])): Tekton expands a whole array only as a complete command or args item " +
        '(args: [param.all]); in a string use one item, $(params.flags[0])',
      "[test/t] steps[1].args[3] uses object param 'cfg' whole ($(params.cfg[*])): a step can only use its keys, e.g. $(params.cfg.<key>)",
    ]);
  });

  test('shell command substitutions are not Tekton references', () => {
    expect(errorsOf((s) => withStep(s, 't', 'echo $(date) $(git rev-parse HEAD) $(cat file)'))).toEqual([]);
  });

  test('reference objects check their shape at once', () => {
    const t = new Task(new Chart(Testing.app(), 'c'), 't');
    const s = t.addParam('s');
    expect(() => s.key('x')).toThrow("param 's' is a string, not an object: key('x') needs type object");
    expect(() => s.index(0)).toThrow("param 's' is a string, not an array: index(0) needs type array");
  });
});

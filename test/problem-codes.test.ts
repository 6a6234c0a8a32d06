import * as fs from 'fs';
import * as path from 'path';
import { ApiObject, App, Chart, Duration, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Alert, Cluster, EventListener, FluxEvent, FluxKind, FluxListener, FluxListenerProps, FluxSource, FluxTriggeredPipeline,
  FluxTriggeredPipelineProps, GitOpsSync, GitRepository, Kustomization, ListenerAuthentication, ListenerExposure, ListenerTokenSource,
  OCIRepository, Pipeline, PipelineRun, Provider, Task, Trigger, TriggerBinding, TriggerTemplate, WorkspaceBinding,
} from '../src';
import { codesOf, problemsOf } from './util';
import { problemAt } from '../src/problems';

/** A Task `id` with one step that runs `script` and declares `params`. */
function task(s: Construct, id: string, params: string[] = [], script = '#!/bin/sh\ntrue'): Task {
  const t = new Task(s, id);
  for (const p of params) t.addParam(p);
  t.addStep({ name: 'run', image: 'busybox:1.36', script });
  return t;
}
/** A Pipeline `p` that runs Task `t` (its params become the Pipeline's). */
function pipeline(s: Construct, params: string[] = []): Pipeline {
  const p = new Pipeline(s, 'p');
  p.addTask('a', { task: task(s, 't', params) });
  return p;
}
/** A template that makes a run per event, for listeners and triggers. */
function template(s: Construct): TriggerTemplate {
  const t = new TriggerTemplate(s, 'tt');
  t.addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { generateName: 'run-' }, spec: {} });
  return t;
}
const repo = (s: Construct, id = 'repo') => new GitRepository(s, id, { url: 'https://github.com/acme/app.git', branch: 'main' });

/**
 * The common mistakes of the Tekton, Triggers and Flux layers: each is one problem, of a stable code (what tooling
 * filters by), at the construct that was given the mistake. The wording is tested in bad-input.test.ts.
 */
const MISTAKES: Array<[string, (s: Construct) => void, Array<[string, string]>]> = [
  // runs
  ['a run that gives no value to a required param', (s) => new PipelineRun(s, 'run', { pipeline: pipeline(s, ['commit']) }),
    [['test/run', 'missing-required-param']]],
  ['a run that gives a param the Pipeline does not have', (s) => new PipelineRun(s, 'run', { pipeline: pipeline(s), params: { comit: 'x' } }),
    [['test/run', 'unknown-param']]],
  ['a run that leaves a required workspace unbound', (s) => {
    const t = task(s, 't');
    t.addWorkspace('source');
    new Pipeline(s, 'p').addTask('a', { task: t });
    new PipelineRun(s, 'run', { pipeline: Pipeline.fromPipelineName(s, 'ref', 'p', { workspaces: { source: {} } }) });
  }, [['test/run', 'missing-required-workspace']]],
  ['a run that binds a workspace the Pipeline does not have', (s) => new PipelineRun(s, 'run', {
    pipeline: pipeline(s), workspaces: { sourec: WorkspaceBinding.emptyDir() },
  }), [['test/run', 'unknown-workspace']]],
  ['a run in another namespace than its Pipeline', (s) => new PipelineRun(s, 'run', { pipeline: pipeline(s), namespace: 'other' }),
    [['test/run', 'cross-namespace-reference']]],
  ['task timeouts longer than the pipeline timeout', (s) => new PipelineRun(s, 'run', {
    pipeline: pipeline(s), timeouts: { pipeline: Duration.minutes(10), tasks: Duration.minutes(20) },
  }), [['test/run', 'invalid-timeouts']]],
  ['(no mistake) a zero pipeline timeout: Tekton\'s "no timeout"', (s) => new PipelineRun(s, 'run', { pipeline: pipeline(s), timeouts: { pipeline: Duration.seconds(0), tasks: Duration.minutes(1) } }),
    []],
  // tasks
  ['a step without an image', (s) => new Task(s, 't').addStep({ name: 'run', image: '', script: 'true' }), [['test/t', 'missing-prop']]],
  ['a step that does nothing', (s) => new Task(s, 't').addStep({ name: 'run', image: 'busybox:1.36' }), [['test/t', 'missing-prop']]],
  ['a param pasted into a python script', (s) => task(s, 't', ['v'], '#!/usr/bin/env python3\nprint("$(params.v)")'),
    [['test/t', 'unsafe-substitution']]],
  ['a param in a quoted heredoc', (s) => task(s, 't', ['v'], "#!/bin/sh\ncat <<'EOF'\n$(params.v)\nEOF"), [['test/t', 'unsafe-substitution']]],
  ['a sidecar with a param in a python script: the sidecar named', (s) => task(s, 't', ['v']).addSidecar({
    name: 'db', image: 'python:3.12', script: '#!/usr/bin/env python3\nprint("$(params.v)")',
  }), [['test/t', 'unsafe-substitution']]],
  ['a mount of an undeclared volume', (s) => new Task(s, 't').addStep({
    name: 'run', image: 'busybox:1.36', script: 'true', volumeMounts: [{ name: 'cache', mountPath: '/cache' }],
  }), [['test/t', 'unknown-volume']]],
  ['a workspace name Tekton refuses', (s) => task(s, 't').addWorkspace('my source'), [['test/t', 'invalid-name']]],
  ['an object param without keys', (s) => task(s, 't').addParam('cfg', { type: 'object' as never }), [['test/t', 'invalid-param']]],
  ['an unknown $(context.…) variable', (s) => task(s, 't', [], 'echo $(context.taskrun.name)'), [['test/t', 'unknown-reference']]],
  // pipelines
  ['retries below zero', (s) => new Pipeline(s, 'p').addTask('a', { task: task(s, 't'), retries: -1 }), [['test/p', 'invalid-retries']]],
  ['a task that runs after a finally task', (s) => {
    const p = new Pipeline(s, 'p');
    const f = p.addFinally('f', { task: task(s, 'tf') });
    p.addTask('a', { task: task(s, 't'), runAfter: [f] });
  }, [['test/p', 'invalid-run-after']]],
  ['a reference to an undeclared Pipeline workspace', (s) => new Pipeline(s, 'p').addTask('a', {
    task: task(s, 't', ['dir']), params: { dir: '$(workspaces.sourc.path)' },
  }), [['test/p', 'unknown-reference']]],
  ['a task that uses its own result', (s) => {
    const t = task(s, 't', ['x']);
    t.addResult('r');
    new Pipeline(s, 'p').addTask('a', { task: t, params: { x: '$(tasks.a.results.r)' } });
  }, [['test/p', 'misplaced-reference'], ['test/p', 'task-cycle']]],
  ['an unknown $(context.…) variable in a Pipeline', (s) => new Pipeline(s, 'p').addTask('a', {
    task: task(s, 't', ['x']), params: { x: '$(context.pipelinerun.name)' },
  }), [['test/p', 'unknown-reference']]],
  // triggers
  ['a listener with an empty allowedClients', (s) => new EventListener(s, 'el', { allowedClients: [], triggers: [{ name: 'on-push', template: template(s) }] }),
    [['test/el', 'no-clients']]],
  ['a listener client of an invalid namespace', (s) => new EventListener(s, 'el', {
    allowedClients: [{ namespace: 'Flux System', podLabels: {} }], triggers: [{ name: 'on-push', template: template(s) }],
  }), [['test/el', 'invalid-name']]],
  ['a listener ServiceAccount name with a space', (s) => new EventListener(s, 'el', {
    serviceAccountName: 'ci runner', triggers: [{ name: 'on-push', template: template(s) }],
  }), [['test/el', 'invalid-name']]],
  ['selected Triggers without triggerSelector', (s) => {
    const el = new EventListener(s, 'el');
    el.addSelectedTrigger(new Trigger(s, 'tr', { template: template(s) }));
  }, [['test/el', 'missing-prop']]],
  ['an inline trigger name that is not a DNS label', (s) => new EventListener(s, 'el', { triggers: [{ name: 'On Push', template: template(s) }] }),
    [['test/el', 'invalid-name']]],
  ['a standalone Trigger name that is not a DNS label', (s) => new Trigger(s, 'tr', { name: 'On_Push', template: template(s) }),
    [['test/tr', 'invalid-object-name'], ['test/tr', 'invalid-name']]],
  ['a template with no resource template', (s) => new TriggerTemplate(s, 'tt'), [['test/tt', 'no-resource-templates']]],
  ['a binding param declared twice', (s) => {
    const b = new TriggerBinding(s, 'b', { params: { x: '$(body.x)' } });
    b.addParam('x', '$(body.y)');
  }, [['test/b', 'duplicate-name']]],
  // flux
  ['a GitRepository that follows no ref', (s) => new GitRepository(s, 'r', { url: 'https://github.com/acme/app.git' }), [['test/r', 'missing-prop']]],
  ['an include that is not a GitRepository', (s) => new GitRepository(s, 'r', {
    url: 'https://github.com/acme/app.git', branch: 'main', include: [{ repository: FluxSource.fromName(s, 'o', FluxKind.OCI_REPOSITORY, 'o') }],
  }), [['test/r', 'wrong-kind']]],
  ['an include of another namespace', (s) => new GitRepository(s, 'r', {
    url: 'https://github.com/acme/app.git', branch: 'main', include: [{ repository: GitRepository.fromGitRepositoryName(s, 'o', 'o', { namespace: 'other' }) }],
  }), [['test/r', 'cross-namespace-reference']]],
  ['a Kustomization that depends on a GitRepository', (s) => new Kustomization(s, 'k', { source: repo(s), dependsOn: [repo(s, 'other') as never] }),
    [['test/k', 'wrong-kind']]],
  ['an Alert of a source of an unknown kind', (s) => new Alert(s, 'a', {
    provider: new Provider(s, 'p', { address: 'https://hooks.example.com/flux' }), eventSources: [FluxSource.fromName(s, 'x', 'GitRepo', 'x')],
  }), [['test/a', 'unknown-kind']]],
  ['an Alert with no event source', (s) => new Alert(s, 'a', { provider: new Provider(s, 'p', { address: 'https://hooks.example.com/flux' }), eventSources: [] }),
    [['test/a', 'no-event-sources']]],
];

/** A FluxTriggeredPipeline `fp` of a one-task pipeline on a GitRepository, with `props` on top. */
function triggered(s: Construct, props: Partial<FluxTriggeredPipelineProps> = {}, id = 'fp'): FluxTriggeredPipeline {
  const p = (s.node.tryFindChild('p') as Pipeline | undefined) ?? pipeline(s);
  const source = (s.node.tryFindChild('repo') as GitRepository | undefined) ?? repo(s);
  return new FluxTriggeredPipeline(s, id, { source, pipeline: p, ...props });
}

/** The mistakes of the patterns layer (listeners, their authentication and exposure, keepRuns, the event's values). */
/** A FluxListener `id` (props on top) that a pipeline joins (a listener without one is a mistake of its own). */
function listener(s: Construct, props: FluxListenerProps, id = 'l'): FluxListener {
  const l = new FluxListener(s, id, props);
  triggered(s, { listener: l }, `fp-${id}`);
  return l;
}

const PATTERN_MISTAKES: Array<[string, (s: Construct) => void, Array<[string, string]>]> = [
  ['an option sharedToken does not have', (s) => listener(s, {
    authentication: ListenerAuthentication.sharedToken({ tokenSecretName: 'x' } as never),
  }), [['test/l', 'unknown-option']]],
  ['the token under the key of the Provider\'s headers', (s) => listener(s, {
    authentication: ListenerAuthentication.sharedToken({ listenerSecretKey: 'headers' }),
  }), [['test/l', 'conflicting-props']]],
  ['an option externalSecretsPassword does not have', (s) => listener(s, {
    tokenSource: ListenerTokenSource.externalSecretsPassword({ symbols: 3 } as never),
  }), [['test/l', 'unknown-option']]],
  ['a generated token too short', (s) => listener(s, { tokenSource: ListenerTokenSource.externalSecretsPassword({ length: 8 }) }),
    [['test/l', 'invalid-token-length']]],
  ['a generated token on an unauthenticated listener', (s) => listener(s, {
    tokenSource: ListenerTokenSource.externalSecretsPassword(), authentication: ListenerAuthentication.unauthenticated(),
  }), [['test/l', 'conflicting-props']]],
  ['two Secret names for one generated Secret', (s) => listener(s, {
    tokenSource: ListenerTokenSource.externalSecretsPassword(),
    authentication: ListenerAuthentication.sharedToken({ providerSecretName: 'a', listenerSecretName: 'b' }),
  }), [['test/l', 'conflicting-props']]],
  ['an http externalUrl', (s) => listener(s, { externalUrl: 'http://ci.acme.example' }), [['test/l', 'not-https']]],
  ['an externalUrl with a port', (s) => listener(s, { externalUrl: 'https://ci.acme.example:8443/flux' }), [['test/l', 'invalid-url']]],
  ['externalUrl and tls', (s) => listener(s, {
    externalUrl: 'https://ci.acme.example/flux', tls: { listenerSecretName: 'tls', providerCaSecretName: 'ca' },
  }), [['test/l', 'conflicting-props']]],
  ['an exposure without externalUrl', (s) => listener(s, { exposure: ListenerExposure.ingress() }), [['test/l', 'missing-prop']]],
  ['a second default listener of the namespace', (s) => {
    listener(s, {}, 'a');
    listener(s, {}, 'b');
  }, [['test/b', 'name-clash'], ['test/b/EventListener', 'name-clash'], ['test/b/Provider', 'name-clash'], ['test/b/Alert', 'name-clash']]],
  ['keepRuns: 0', (s) => triggered(s, { keepRuns: 0 }), [['test/fp', 'invalid-keep-runs']]],
  ['keepRuns above int32', (s) => triggered(s, { keepRuns: 2 ** 31 }), [['test/fp', 'invalid-keep-runs']]],
  ['two keepRuns for one pipeline', (s) => {
    triggered(s, { keepRuns: 10 });
    triggered(s, { keepRuns: 3, name: 'fp-other' }, 'other');
  }, [['test/other', 'conflicting-keep-runs']]],
  ['a ConfigMap of the user where keepRuns writes the pruner\'s', (s) => {
    new ApiObject(s, 'pruner', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tekton-pruner-namespace-spec' } });
    triggered(s, { keepRuns: 5 });
  }, [['test/fp', 'name-clash']]],
];

describe('every common mistake is one problem with a code, at the construct that was given it', () => {
  test.each(MISTAKES)('%s', (_what, build, expected) => {
    expect(codesOf(build)).toEqual(expected);
  });

  test.each(PATTERN_MISTAKES)('patterns: %s', (_what, build, expected) => {
    expect(codesOf(build)).toEqual(expected);
  });

  test('FluxEvent.commit() of a source without commits: wrong-kind', () => {
    const oci = new OCIRepository(new Chart(Testing.app(), 'c', { namespace: 'ci' }), 'oci', { url: 'oci://ghcr.io/acme/app' });
    const text = FluxEvent.commit().problem(oci);
    expect(text && problemAt('x', text).code).toBe('wrong-kind');
  });

  test('the app layer\'s cross-cluster listener mistakes: missing-prop, unauthenticated-listener, invalid-path', () => {
    const problemsOfApp = (build: (app: App) => void) => {
      const app = Testing.app();
      build(app);
      return app.node.findAll().flatMap((c) => c.node.validate().map((text) => problemAt(c.node.path, text)))
        .map((p) => [p.path, p.code]);
    };
    const source = (cluster: Cluster) => repo(new Chart(cluster, 'flux-system', { namespace: 'flux-system' }));
    expect(problemsOfApp((app) => {
      const ci = new Chart(new Cluster(app, 'ci'), 'ci', { namespace: 'ci' });
      new FluxTriggeredPipeline(ci, 'fp', { source: source(new Cluster(app, 'dev')), pipeline: pipeline(ci) });
    })).toEqual([['ci/ci/fp', 'missing-prop']]);
    expect(problemsOfApp((app) => {
      const ci = new Chart(new Cluster(app, 'ci'), 'ci', { namespace: 'ci' });
      const open = new FluxListener(ci, 'l', { externalUrl: 'https://ci.acme.example/flux', authentication: ListenerAuthentication.unauthenticated() });
      new FluxTriggeredPipeline(ci, 'fp', { source: source(new Cluster(app, 'dev')), pipeline: pipeline(ci), listener: open });
    })).toEqual([['ci/ci/fp', 'unauthenticated-listener']]);
    expect(problemsOfApp((app) => {
      const flux = new Chart(new Cluster(app, 'staging'), 'flux-system', { namespace: 'flux-system' });
      new GitOpsSync(flux, 'sync', { source: repo(flux, 'fleet'), path: './dist' });
    })).toEqual([['staging/flux-system/sync', 'invalid-path']]);
  });

  test('no message of these layers is unclassified', () => {
    const codes = [...MISTAKES, ...PATTERN_MISTAKES].flatMap(([, build]) => problemsOf(build).map((p) => p.code));
    expect(codes.length).toBeGreaterThan(30);
    expect(codes).not.toContain('unclassified');
  });

  test('a cluster name or folder that cannot be written: invalid-name and invalid-path, at the cluster', () => {
    const app: App = Testing.app();
    new Cluster(app, 'Production', { path: '../prod' });
    const problems = app.node.findAll().flatMap((c) => c.node.validate().map((text) => problemAt(c.node.path, text)));
    expect(problems.map((p) => [p.path, p.code])).toEqual([['Production', 'invalid-name'], ['Production', 'invalid-path']]);
  });

  test('a code is the problem\'s, however the message reads: the fix is split off at the first ": " outside quotes', () => {
    const [problem] = problemsOf((s) => new PipelineRun(s, 'run', { pipeline: pipeline(s, ['commit']) }));
    expect(problem).toEqual({
      path: 'test/run',
      code: 'missing-required-param',
      message: "Pipeline 'p' param 'commit' has no value",
      fix: 'give it in params (or a default where it is declared)',
    });
  });

  test('the tools, the listener and sync patterns and the internals push no message without its code', () => {
    const root = path.join(__dirname, '..');
    const patterns = ['flux-listener', 'listener-authentication', 'listener-exposure', 'listener-token-source', 'gitops-sync', 'pruner-config',
      'flux-event', 'run-concurrency'].map((f) => `src/patterns/${f}.ts`);
    const below = (dir: string): string[] => fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`);
    const files = [...patterns, ...below('src/simulate'), ...below('src/cli'), ...below('src/internal'), 'src/problems.ts'];
    // a literal pushed as a problem (or returned by a validation) is a message the registry has no code for
    const uncoded = /\b(?:errors|problems|broken)\.push\(\s*[`'"]|validate: \(\) => \[\s*[`'"]/;
    const found = files.flatMap((f) => fs.readFileSync(path.join(root, f), 'utf8').split('\n')
      .map((line, i) => [`${f}:${i + 1}`, line] as const).filter(([, line]) => uncoded.test(line)).map(([where]) => where));
    expect(files.length).toBeGreaterThan(20);
    expect(found).toEqual([]);
  });

  test('the README lists every code the library reports (a user\'s tooling filters by them)', () => {
    const root = path.join(__dirname, '..');
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    const codes = new Set<string>();
    for (const file of files(path.join(root, 'src'))) {
      // problem('code', …), coded('code', …), and the app's add(construct, 'code', …)
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/\b(?:problem|coded|add)\(\s*(?:\w+,\s*)?'([a-z]+(?:-[a-z]+)+|[a-z]+)'/g)) codes.add(m[1]);
    }
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(codes.size).toBeGreaterThan(40);
    // add each missing one to the README's list of codes (search it for `unknown-reference`)
    expect([...codes].filter((c) => !readme.includes(`\`${c}\``)).sort()).toEqual([]);
  });
});

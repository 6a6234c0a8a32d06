import * as fs from 'fs';
import { ApiObject, App, Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Alert, EventListener, FluxEvent, FluxListener, FluxSource, FluxTriggeredPipeline, FluxTriggeredPipelineProps, GitOpsApp, GitRepository,
  Kustomization,
  ListenerAuthentication, OCIRepository, OnError, ParamType, Pipeline, PipelineRun, Provider, Receiver, ReceiverType, RunConcurrency, SynthError,
  Task, TriggerTemplate, When, WorkspaceBinding,
} from '../src';
import { snapshotDir, tempDir } from './util';
import { buildApp } from '../app/main';

function task(s: Construct, id: string, iface: { params?: string[]; results?: string[]; script?: string } = {}) {
  const t = new Task(s, id);
  for (const p of iface.params ?? []) t.addParam(p);
  for (const r of iface.results ?? []) t.addResult(r);
  t.addStep({ name: 'run', image: 'busybox:1.36', script: iface.script ?? '#!/bin/sh\ntrue' });
  return t;
}
const repo = (s: Construct) => new GitRepository(s, 'repo', { url: 'https://github.com/acme/app.git', branch: 'main' });
/** A FluxTriggeredPipeline `fp` of a pipeline `p`, with `props` on top. */
function triggered(s: Construct, props: Partial<FluxTriggeredPipelineProps> = {}, id = 'fp') {
  const p = (s.node.tryFindChild('p') as Pipeline | undefined) ?? new Pipeline(s, 'p');
  if (!s.node.tryFindChild('ta')) p.addTask('a', { task: task(s, 'ta') });
  return new FluxTriggeredPipeline(s, id, { source: (s.node.tryFindChild('repo') as GitRepository | undefined) ?? repo(s), pipeline: p, ...props });
}
const LABEL_VALUE_FIX = "is not a valid label value: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, no spaces (e.g. 'web-platform')";
const SECRET_NAME_FIX = "is not a valid Secret name: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253, e.g. 'flux-token')";
const KEEP_RUNS_FIX = 'leave it out to keep every run';
// reported on the first pipeline with keepRuns in the namespace: here the sample app's (another chart)
const PRUNER_CONFIGMAP_CLASH = "[ci/on-push] keepRuns writes Tekton Pruner's ConfigMap 'tekton-pruner-namespace-spec' in namespace 'ci', and bad/%s defines one too " +
  '(the cluster would keep only one of them): remove bad/%s and set keepRuns on each pipeline instead, or leave keepRuns out and keep your own ConfigMap';

/**
 * The problems of MISTAKES still without a code: messages of src/patterns/flux-triggered-pipeline.ts that are
 * plain text or built around a coded one (`param 'x': ${coded}`), to be coded there. A new one fails the test.
 */
const KNOWN_UNCLASSIFIED: string[] = [];

/** Mistakes users make: [what, build, the one error expected (path and message)]. */
const MISTAKES: Array<[string, (s: Construct) => void, string]> = [
  ['typo in $(params.x) in a script', (s) => { const t = task(s, 't', { params: ['revision'], script: 'echo $(params.revison)' }); void t; },
    "[bad/t] steps[0].script references $(params.revison), but the Task has no param 'revison': did you mean 'revision'?"],
  ['typo in a workspace path', (s) => task(s, 't', { script: 'cd $(workspaces.sourc.path)' }),
    "[bad/t] steps[0].script references $(workspaces.sourc.path), but the Task has no workspace 'sourc': declare it with addWorkspace('sourc')"],
  ['typo in a result path', (s) => task(s, 't', { script: 'echo > $(results.digets.path)' }),
    "[bad/t] steps[0].script references $(results.digets.path), but the Task has no result 'digets': declare it with addResult('digets')"],
  ['typo in a task result reference', (s) => {
    const p = new Pipeline(s, 'p');
    const a = p.addTask('a', { task: task(s, 'ta', { results: ['digest'] }) });
    p.addTask('b', { task: task(s, 'tb', { params: ['x'] }), params: { x: a.result('digset') } });
  }, "[bad/p] tasks.b.params[0].value references $(tasks.a.results.digset), but Task 'ta' has no result 'digset': did you mean 'digest'?"],
  ['a reference to a task that is not in the pipeline', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('b', { task: task(s, 'tb', { params: ['x'] }), params: { x: '$(tasks.buidl.results.digest)' } });
  }, "[bad/p] tasks.b.params[0].value references $(tasks.buidl.results.digest), but the Pipeline has no task 'buidl': declare it with addTask('buidl') (declared: b)"],
  ['a cycle', (s) => {
    const p = new Pipeline(s, 'p');
    const a = p.addTask('a', { task: task(s, 'ta', { params: ['x'], results: ['r'] }), params: { x: '$(tasks.b.results.r)' } });
    p.addTask('b', { task: task(s, 'tb', { results: ['r'] }), runAfter: [a] });
  }, '[bad/p] tasks form a cycle (each runs after the next): a → b → a: remove one of these runAfter edges or result references'],
  ['two tasks with one name', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('build', { task: task(s, 'ta') });
    p.addTask('build', { task: task(s, 'tb') });
  }, "[bad/p] pipeline task 'build' is declared more than once: pipeline task names must be unique, rename or remove one"],
  ['two steps with one name', (s) => { const t = task(s, 't'); t.addStep({ name: 'run', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' }); },
    "[bad/t] step 'run' is declared more than once: step names must be unique, rename or remove one"],
  ['two params with one name', (s) => { const t = task(s, 't', { params: ['a', 'a'] }); void t; },
    "[bad/t] param 'a' is declared more than once: param names must be unique, rename or remove one"],
  ['two Tasks with one object name', (s) => { task(s, 'a'); const b = new Task(s, 'b', { name: 'a' }); b.addStep({ name: 's', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' }); },
    "[bad/b] Task 'a' in namespace 'ci' is also defined by bad/a: give one of them another name (the `name` prop, or another construct id)"],
  ['a Task name over 63 characters (Tekton\'s limit)', (s) => { const t = new Task(s, 't', { name: 'a'.repeat(64) }); t.addStep({ name: 's', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' }); },
    `[bad/t] Task name '${'a'.repeat(64)}' is not a valid Kubernetes name: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 63)`],
  ['a listener name too long for el-<name>', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: task(s, 'ta') });
    const listener = new FluxListener(s, 'fl', { name: `on-push-${'x'.repeat(53)}` });
    new FluxTriggeredPipeline(s, 'fp', { listener, source: repo(s), pipeline: p });
  }, `[bad/fl/EventListener] EventListener name 'on-push-${'x'.repeat(53)}' is 61 characters: its Service 'el-on-push-${'x'.repeat(53)}' must fit 63, so use at most 60 (set 'name', or a shorter construct id)`],
  ['a zero Flux interval', (s) => new GitRepository(s, 'r', { url: 'https://x/y.git', branch: 'main', interval: Duration.seconds(0) }),
    '[bad/r] interval must be longer than 0 (got 0ms): use e.g. Duration.minutes(1)'],
  ['a step timeout of a fraction of a millisecond', (s) => { const t = new Task(s, 't'); t.addStep({ name: 's', image: 'busybox:1.36', script: '#!/bin/sh\ntrue', timeout: Duration.millis(0.5) }); },
    "[bad/t] step 's' timeout must be a whole number of milliseconds (got 0.5ms)"],
  ['a task timeout of zero', (s) => new Pipeline(s, 'p').addTask('a', { task: task(s, 'ta'), timeout: Duration.seconds(0) }),
    "[bad/p] task 'a' timeout must be longer than 0 (got 0ms): use e.g. Duration.minutes(1)"],
  ['a Task with no steps', (s) => new Task(s, 't'), "[bad/t] Task 't' has no steps: add one with addStep({ name, image, script })"],
  ['a pipeline param that gets no value from the trigger', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: task(s, 'ta', { params: ['image'] }) });
    new FluxTriggeredPipeline(s, 'fp', { source: repo(s), pipeline: p });
  }, "[bad/fp] pipeline 'p' param 'image' gets no value: give it in params, e.g. params: { 'image': FluxEvent.revision() } or a literal, or give the param a default where it is declared"],
  ['a one-off run missing a param', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: task(s, 'ta', { params: ['image'] }) });
    new PipelineRun(s, 'run', { pipeline: p });
  }, "[bad/run] Pipeline 'p' param 'image' has no value: give it in params (or a default where it is declared)"],
  ['an unknown Flux source kind', (s) => new Kustomization(s, 'k', { source: FluxSource.fromName(s, 'x', 'GitRepo', 'x') }),
    "[bad/k] unknown Flux kind 'GitRepo' for source 'x': use one of GitRepository, OCIRepository, Bucket, HelmRepository, HelmChart, ExternalArtifact, Kustomization, HelmRelease"],
  ['one param name with two types', (s) => {
    const a = new Task(s, 'ta');
    a.addParam('x');
    a.addStep({ name: 's', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' });
    const b = new Task(s, 'tb');
    b.addParam('x', { type: ParamType.ARRAY });
    b.addStep({ name: 's', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' });
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: a });
    p.addTask('b', { task: b });
  }, "[bad/p] param 'x' is string in task 'a' but array in task 'b': rename one of them, or bind it in addTask('b', { params: { 'x': ... } })"],
  ['binding a param the Task does not have', (s) => new Pipeline(s, 'p').addTask('a', { task: task(s, 'ta', { params: ['url'] }), params: { ulr: 'x' } }),
    "[bad/p] task 'a' binds param 'ulr', but Task 'ta' has no such param: did you mean 'url'?"],
  ['a finally result used by a regular task', (s) => {
    const p = new Pipeline(s, 'p');
    const f = p.addFinally('f', { task: task(s, 'tf', { results: ['r'] }) });
    p.addTask('a', { task: task(s, 'ta', { params: ['x'] }), params: { x: f.result('r') } });
  }, "[bad/p] tasks.a.params[0].value references $(tasks.f.results.r): results of finally task 'f' cannot be used by other tasks (only by Pipeline results)"],
  ['runAfter on a finally task', (s) => {
    const p = new Pipeline(s, 'p');
    const a = p.addTask('a', { task: task(s, 'ta') });
    p.addFinally('f', { task: task(s, 'tf'), runAfter: [a] });
  }, "[bad/p] finally task 'f' sets runAfter, but finally tasks always run after all regular tasks: remove runAfter"],
  ['a when input with a typo', (s) => new Pipeline(s, 'p').addTask('a', { task: task(s, 'ta'), when: [When.input('$(params.deplyo)').in(['true'])] }),
    "[bad/p] tasks.a.when[0].input references $(params.deplyo), but the Pipeline has no param 'deplyo': declare it with addParam('deplyo')"],
  ['onError continue with retries', (s) => new Pipeline(s, 'p').addTask('a', { task: task(s, 'ta'), retries: 3, onError: OnError.CONTINUE }),
    "[bad/p] task 'a' sets both onError: CONTINUE and retries: Tekton rejects the combination, keep one"],
  ['a git URL without a scheme', (s) => new GitRepository(s, 'r', { url: 'github.com/acme/app', branch: 'main' }),
    "[bad/r] url 'github.com/acme/app' must start with http://, https:// or ssh://"],
  ['an OCI URL without oci://', (s) => new OCIRepository(s, 'r', { url: 'ghcr.io/acme/app' }), "[bad/r] url 'ghcr.io/acme/app' must start with oci://"],
  ['an Alert away from its Provider', (s) => new Alert(s, 'a', { provider: Provider.fromProviderName(s, 'p', 'p', { namespace: 'other' }), eventSources: [GitRepository.fromGitRepositoryName(s, 'r', 'r')], namespace: 'flux-system' }),
    "[bad/a] provider 'p' is in namespace 'other': an Alert must be in its Provider's namespace"],
  ['commit() of an OCI artifact', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: task(s, 'ta', { params: ['sha'] }) });
    new FluxTriggeredPipeline(s, 'fp', { source: OCIRepository.fromOCIRepositoryName(s, 'm', 'm'), pipeline: p, params: { sha: FluxEvent.commit() } });
  }, "[bad/fp] param 'sha': FluxEvent.commit() needs a Git revision, but OCIRepository revisions have none: use FluxEvent.digest() or FluxEvent.tag()"],
  ['a run template with a fixed name', (s) => new TriggerTemplate(s, 't').addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { name: 'run' }, spec: {} }),
    '[bad/t] resourcetemplates[0] (PipelineRun) has a fixed name: the second event would fail to create it, ' +
      'use metadata.generateName, or a name from the event ($(tt.params.…)) to create one run per event value'],
  ['a listener with no triggers', (s) => new EventListener(s, 'el'), '[bad/el] the EventListener has no triggers: add one with addTrigger'],
  ['a step name with capitals', (s) => { const t = new Task(s, 't'); t.addStep({ name: 'Build', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' }); },
    "[bad/t] step name 'Build' is not a DNS label: use lower case letters, digits and '-' (at most 63)"],
  ['a Pipeline that runs a Task of another namespace', (s) => {
    const t = new Task(s, 'build', { namespace: 'tools' });
    t.addStep({ name: 'run', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' });
    new Pipeline(s, 'p').addTask('build', { task: t });
  }, "[bad/p] task 'build' refers to Task 'build' of namespace 'tools', but it is looked up in 'ci' only: " +
    "define the Task in 'ci', or refer to it with Task.fromResolver(scope, id, TaskResolver.cluster('build', 'tools'), …)"],
  ['a one-off run in another namespace than its Pipeline', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: task(s, 'ta') });
    new PipelineRun(s, 'run', { pipeline: p, namespace: 'other' });
  }, "[bad/run] the run refers to Pipeline 'p' of namespace 'ci', but it is looked up in 'other' only: put the run in 'ci' (its `namespace` prop or chart)"],
  ['a whole array param in a script', (s) => {
    const t = new Task(s, 't');
    const flags = t.addParam('flags', { type: ParamType.ARRAY });
    t.addStep({ name: 'run', image: 'busybox:1.36', script: `#!/bin/sh\nnpm test ${flags.all}` });
  }, "[bad/t] steps[0].script uses array param 'flags' whole ($(params.flags[*])): Tekton expands a whole array only as a complete command or args item " +
    '(args: [param.all]); in a string use one item, $(params.flags[0])'],
  ['a list given to a string param of a run', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: task(s, 'ta', { params: ['image'] }) });
    new PipelineRun(s, 'run', { pipeline: p, params: { image: ['ghcr.io/acme/app'] } });
  }, "[bad/run] param 'image' of Pipeline 'p' is a string param, but the value is an array: give a string"],
  ['a default of the wrong type', (s) => { const t = task(s, 't'); t.addParam('flags', { type: ParamType.ARRAY, default: '-v' }); },
    "[bad/t] param 'flags' is of type array but its default is a string: give a default of type array, or change the type"],
  // what the cluster would reject
  ['a Flux object name with an underscore', (s) => new GitRepository(s, 'r', { name: 'App_Repo', url: 'https://x/y.git', branch: 'main' }),
    "[bad/r] GitRepository name 'App_Repo' is not a valid Kubernetes name: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253)"],
  ['a namespace with a space', (s) => new OCIRepository(s, 'r', { url: 'oci://ghcr.io/acme/app', namespace: 'Flux System' }),
    "[bad/r] OCIRepository namespace 'Flux System' is not a valid namespace: use lower case letters, digits and '-' (at most 63)"],
  ['a Provider address that is not a URL', (s) => new Provider(s, 'p', { address: 'not a url' }),
    "[bad/p] address 'not a url' is not an http(s) URL: write e.g. 'https://hooks.example.com/flux'"],
  ['storage that is not a quantity', (s) => {
    const t = task(s, 't');
    t.addWorkspace('src');
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: t });
    new PipelineRun(s, 'run', { pipeline: p, workspaces: { src: WorkspaceBinding.volumeClaimTemplate({ storage: 'lots' }) } });
  }, "[bad/run] workspace 'src' storage 'lots' is not a Kubernetes quantity: write e.g. '512Mi', '2Gi', '500m' or '2'"],
  ['a cpu request that is not a quantity', (s) => new Task(s, 't').addStep({ name: 'run', image: 'busybox:1.36', script: 'true', computeResources: { requests: { cpu: 'abc' } } }),
    "[bad/t] step 'run' requests.cpu 'abc' is not a Kubernetes quantity: write e.g. '512Mi', '2Gi', '500m' or '2'"],
  ['an env name with =', (s) => new Task(s, 't').addStep({ name: 'run', image: 'busybox:1.36', script: 'true', env: { 'A=B': 'x' } }),
    "[bad/t] step 'run' environment variable name 'A=B' is invalid: use printable characters without '=' (e.g. MY_VAR)"],
  ['a Pipeline name over 63 characters', (s) => { const p = new Pipeline(s, 'p', { name: 'p'.repeat(64) }); p.addTask('a', { task: task(s, 'ta') }); },
    `[bad/p] Pipeline name '${'p'.repeat(64)}' is not a valid Kubernetes name: use lower case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 63)`],
  ['an image with capitals and a space', (s) => new Task(s, 't').addStep({ name: 'run', image: 'Golang:1.22 ', script: 'true' }),
    "[bad/t] step 'run' image 'Golang:1.22 ' is not a valid image reference: lower-case repository, then ':tag' and/or '@sha256:…', no spaces (e.g. 'golang:1.22' or 'ghcr.io/acme/app@sha256:…')"],
  ['an image with two colons', (s) => new Task(s, 't').addStep({ name: 'run', image: 'golang::1.22', script: 'true' }),
    "[bad/t] step 'run' image 'golang::1.22' is not a valid image reference: lower-case repository, then ':tag' and/or '@sha256:…', no spaces (e.g. 'golang:1.22' or 'ghcr.io/acme/app@sha256:…')"],
  ['a misspelled context variable', (s) => task(s, 't', { script: 'echo $(context.pipelinerun.name)' }),
    '[bad/t] steps[0].script references $(context.pipelinerun.name), which Tekton does not substitute in a Task: use one of $(context.taskRun.name), ' +
    '$(context.taskRun.namespace), $(context.taskRun.uid), $(context.taskRun.retry-count), $(context.task.name), $(context.task.retry-count)'],
  ['a Task too large for etcd', (s) => task(s, 't', {
    script: `#!/bin/sh
# ${'x'.repeat(2 * 1024 * 1024)}`,
  }),
  "[bad/t] Task 't' is 2.0 MiB, more than the 1.5 MiB etcd stores per object: move large scripts into the image or a ConfigMap mounted as a volume"],
  ['a timeout longer than Go can hold', (s) => {
    const p = new Pipeline(s, 'p', { timeouts: { pipeline: Duration.days(365 * 300) } });
    p.addTask('a', { task: task(s, 'ta') });
  }, '[bad/p] timeouts.pipeline is longer than a Go duration can be (at most 2562047h47m16.854s): use a shorter one'],
  ['a GitRepository with no ref (Flux would follow master)', (s) => new GitRepository(s, 'r', { url: 'https://x/y.git' }),
    "[bad/r] no git reference: Flux would silently follow the 'master' branch. Set 'branch' (e.g. 'main'), or 'ref' with one of branch, tag, semver, commit or name"],
  ['a GitRepository with an empty ref', (s) => new GitRepository(s, 'r', { url: 'https://x/y.git', ref: {} }),
    "[bad/r] no git reference: Flux would silently follow the 'master' branch. Set 'branch' (e.g. 'main'), or 'ref' with one of branch, tag, semver, commit or name"],
  // props the cluster (or Flux, Triggers, Tekton Pruner) would refuse, or that would silently weaken the listener
  ['a run label value with a space', (s) => triggered(s, { runLabels: { team: 'web platform' } }),
    `[bad/fp] runLabels 'team' value 'web platform' ${LABEL_VALUE_FIX}`],
  ['a run label value over 63 characters', (s) => triggered(s, { runLabels: { team: 'w'.repeat(64) } }),
    `[bad/fp] runLabels 'team' value '${'w'.repeat(64)}' ${LABEL_VALUE_FIX}`],
  ['a run label value from the event (not literal)', (s) => triggered(s, { runLabels: { message: '$(body.message)' } }),
    "[bad/fp] runLabels 'message' value '$(body.message)' holds a substitution, but a label value must be literal (a substituted one may be refused " +
    'by the API server when the run is created): write a fixed value, or pass the event field as a pipeline param instead'],
  ['a run label key with a prefix in capitals', (s) => triggered(s, { runLabels: { 'Acme.com/team': 'web' } }),
    "[bad/fp] runLabels key 'Acme.com/team' is not a valid label key: use an optional DNS-subdomain prefix and '/' (lower case, at most 253), " +
    "then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. 'team' or 'example.com/team')"],
  ['a run label key of two slashes, on addPipeline', (s) => {
    const p2 = new Pipeline(s, 'p2');
    p2.addTask('a', { task: task(s, 'tb') });
    triggered(s).addPipeline('again', { pipeline: p2, runLabels: { 'a/b/c': 'x' } });
  }, "[bad/fp/again] runLabels key 'a/b/c' is not a valid label key: use an optional DNS-subdomain prefix and '/' (lower case, at most 253), " +
    "then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. 'team' or 'example.com/team')"],
  ['a listener name with capitals and a space', (s) => triggered(s, { name: 'Web CI' }),
    "[bad/fp] name 'Web CI' is not a DNS label, which the names of its Trigger, binding and template (and of a listener of its own) must be: use lower case letters, digits and '-', " +
    "starting and ending with a letter or digit (at most 60, e.g. 'web-ci')"],
  ['keepRuns: 0', (s) => triggered(s, { keepRuns: 0 }), `[bad/fp] keepRuns must be a whole number of at least 1 (got 0): ${KEEP_RUNS_FIX}`],
  ['keepRuns above int32 (the pruner\'s config fails to load)', (s) => triggered(s, { keepRuns: 2 ** 31 }),
    '[bad/fp] keepRuns must be at most 2147483647, the largest number Tekton Pruner reads (got 2147483648): keep fewer runs, or leave it out to keep every run'],
  ['keepRuns: 2.5', (s) => triggered(s, { keepRuns: 2.5 }), `[bad/fp] keepRuns must be a whole number of at least 1 (got 2.5): ${KEEP_RUNS_FIX}`],
  ['two keepRuns for one pipeline', (s) => { triggered(s, { keepRuns: 10 }); triggered(s, { keepRuns: 3, name: 'fp-other' }, 'other'); },
    "[bad/other] keepRuns is 3 for pipeline 'p', but bad/fp keeps 10 of its runs in namespace 'ci' (Tekton Pruner keeps one number per pipeline " +
    'and namespace, for all of its runs): give both the same keepRuns, or set it on one of them only'],
  ['a ConfigMap of the user where keepRuns writes the pruner\'s', (s) => {
    new ApiObject(s, 'pruner', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tekton-pruner-namespace-spec' } });
    triggered(s, { keepRuns: 5 });
  }, PRUNER_CONFIGMAP_CLASH.replace(/%s/g, 'pruner')],
  ['a ConfigMap of the user with the construct id the pruner\'s takes', (s) => {
    new ApiObject(s, 'TektonPrunerConfig-ci', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'tekton-pruner-namespace-spec' } });
    triggered(s, { keepRuns: 5 });
  }, PRUNER_CONFIGMAP_CLASH.replace(/%s/g, 'TektonPrunerConfig-ci')],
  ['an empty provider Secret name (no token sent)', (s) => triggered(s, { authentication: ListenerAuthentication.sharedToken({ providerSecretName: '' }) }),
    `[bad/fp/Listener] authentication's providerSecretName '' ${SECRET_NAME_FIX}`],
  ['an empty listener Secret name', (s) => triggered(s, { authentication: ListenerAuthentication.sharedToken({ listenerSecretName: '' }) }),
    `[bad/fp/Listener] authentication's listenerSecretName '' ${SECRET_NAME_FIX}`],
  ['a listener Secret key with a space', (s) => triggered(s, { authentication: ListenerAuthentication.sharedToken({ listenerSecretKey: 'my token' }) }),
    "[bad/fp/Listener] authentication's listenerSecretKey 'my token' is not a valid Secret key: use letters, digits, '-', '_' and '.' (at most 253, e.g. 'token')"],
  ['an empty token header (every event dropped)', (s) => triggered(s, { authentication: ListenerAuthentication.sharedToken({ header: '' }) }),
    "[bad/fp/Listener] authentication's header '' is not a valid HTTP header name: use letters, digits and '-', starting with a letter (e.g. 'X-Flux-Token')"],
  ['an option sharedToken does not have', (s) => triggered(s, { authentication: ListenerAuthentication.sharedToken({ tokenSecretName: '' } as any) }),
    "[bad/fp/Listener] ListenerAuthentication.sharedToken() has no option 'tokenSecretName': use providerSecretName, listenerSecretName, listenerSecretKey, header"],
  ['HTTPS without a CA', (s) => triggered(s, { tls: { listenerSecretName: 'fp-tls', providerCaSecretName: '' } }),
    `[bad/fp/Listener] tls.providerCaSecretName '' ${SECRET_NAME_FIX}`],
  ['HTTPS without a certificate', (s) => triggered(s, { tls: { listenerSecretName: '', providerCaSecretName: 'fp-ca' } }),
    `[bad/fp/Listener] tls.listenerSecretName '' ${SECRET_NAME_FIX}`],
  ['an allowed client without a namespace', (s) => triggered(s, { allowedClients: [{ namespace: '', podLabels: {} }] }),
    "[bad/fp/Listener/EventListener] allowedClients[0].namespace '' is not a valid namespace, so the NetworkPolicy would admit no pod: name the namespace of " +
    "the pods that may post (lower case letters, digits and '-', at most 63, e.g. 'flux-system')"],
  ['an allowed client selected by an invalid label', (s) => triggered(s, { allowedClients: [{ namespace: 'flux-system', podLabels: { app: 'notification controller' } }] }),
    `[bad/fp/Listener/EventListener] allowedClients[0].podLabels 'app' value 'notification controller' ${LABEL_VALUE_FIX}`],
  ['an empty serviceAccountName (the runs would use the default account)', (s) => triggered(s, { serviceAccountName: '' }),
    "[bad/fp] serviceAccountName '' is not a valid ServiceAccount name: use lower case letters, digits, '-' and '.', starting and ending with a " +
    "letter or digit (at most 253), or leave it out for a ServiceAccount of the runs' own"],
  ['an invalid image of the canceller', (s) => triggered(s, { concurrency: RunConcurrency.cancelInProgress({ image: 'Flux CLI' }) }),
    "[bad/fp] concurrency image 'Flux CLI' is not a valid image reference: lower-case repository, then ':tag' and/or '@sha256:…', no spaces " +
    "(e.g. 'golang:1.22' or 'ghcr.io/acme/app@sha256:…'); or leave it out for the default"],
  ['an empty Secret of a Provider', (s) => new Provider(s, 'p', { address: 'https://hooks.example.com/flux', secretName: '' }),
    `[bad/p] secretName '' ${SECRET_NAME_FIX}`],
  ['an empty Secret of a Receiver', (s) => new Receiver(s, 'r', { type: ReceiverType.GITHUB, resources: [repo(s)], secretName: '' }),
    `[bad/r] secretName '' ${SECRET_NAME_FIX}`],
  ['a listener certificate key with a slash', (s) => {
    const template = new TriggerTemplate(s, 't');
    template.addResourceTemplate({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { generateName: 'run-' }, spec: {} });
    new EventListener(s, 'el', { tls: { secretName: 'el-tls', certKey: 'certs/tls.crt' }, triggers: [{ name: 'tr', template }] });
  }, "[bad/el] tls.certKey 'certs/tls.crt' is not a valid Secret key: use letters, digits, '-', '_' and '.' (at most 253, e.g. 'token')"],
  // what would synthesize wrong output
  ['events: [] (a filter that never fires)', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: task(s, 'ta') });
    new FluxTriggeredPipeline(s, 'fp', { source: repo(s), pipeline: p, events: [] });
  }, "[bad/fp] events is empty, so the listener's filter could never admit an event: list the reasons that run the pipeline, or leave events out for GitRepository's default (NewArtifact)"],
  ['commit() of a Kustomization that applies an OCI artifact', (s) => {
    const p = new Pipeline(s, 'p');
    p.addTask('a', { task: task(s, 'ta', { params: ['sha'] }) });
    const k = new Kustomization(s, 'k', { source: OCIRepository.fromOCIRepositoryName(s, 'm', 'm') });
    new FluxTriggeredPipeline(s, 'fp', { source: k, pipeline: p, params: { sha: FluxEvent.commit() } });
  }, "[bad/fp] param 'sha': FluxEvent.commit() needs a Git revision, but Kustomization 'k' applies a OCIRepository, whose revisions have none: use FluxEvent.digest() or FluxEvent.tag()"],
];

describe('bad input: one clear error with the construct path and the fix, and dist/ untouched', () => {
  const dist = tempDir();
  buildApp(new GitOpsApp({ outdir: dist })).synth();
  const before = snapshotDir(dist);

  test('the table has at least 25 mistakes', () => expect(MISTAKES.length).toBeGreaterThanOrEqual(25));

  test.each(MISTAKES)('%s', (_what, build, expected) => {
    const app: App = buildApp(new GitOpsApp({ outdir: dist }));
    build(new Chart(app, 'bad', { namespace: 'ci' }));
    let message = '';
    try {
      app.synth();
    } catch (e: any) {
      message = e.message;
    }
    expect(message.split('\n').slice(1).map((l) => l.trim())).toEqual([expected]);
    expect(snapshotDir(dist)).toEqual(before);
    expect(fs.readdirSync(dist).sort()).toEqual(Object.keys(before).sort());
  });

  test('every mistake\'s problem has a code: none is unclassified (a message built around a coded one loses its code)', () => {
    const unclassified = MISTAKES.flatMap(([what, build]) => {
      const app: App = buildApp(new GitOpsApp({ outdir: tempDir() }));
      build(new Chart(app, 'bad', { namespace: 'ci' }));
      try {
        app.synth();
      } catch (e) {
        if (!(e instanceof SynthError)) throw e;
        return e.problems.filter((p) => p.code === 'unclassified').map((p) => `${what}: ${p.message}`);
      }
      return [];
    });
    expect(unclassified.length).toBeLessThan(MISTAKES.length / 5);
    expect(unclassified.filter((u) => !KNOWN_UNCLASSIFIED.includes(u))).toEqual([]);
  });
});

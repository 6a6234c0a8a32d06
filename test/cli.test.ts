import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { CommitStatus, FluxTriggeredPipeline, GitOpsApp, GitRepository, Pipeline, Task } from '../src';
import { FIXTURES, synth, tempDir } from './util';
import { buildApp } from '../app/main';
import { parseObjects, readBounded } from '../src/cli/load';
import { runCli } from '../src/cli/main';
import { problemAt } from '../src/problems';
import { mermaidGraph, simulateEvent } from '../src/simulate';

const events = FIXTURES;
const sha = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = runCli(argv, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err, runs: parseAllDocuments(out).map((d) => d.toJS()).filter(Boolean) };
}
const params = (run: any) => Object.fromEntries(run.spec.params.map((p: any) => [p.name, p.value]));

describe('simulate: the synth app', () => {
  const dist = tempDir();
  buildApp(new GitOpsApp({ outdir: dist })).synth();

  test.each([
    ['gitrepository-new-artifact.json', 'node-service-ci', { commit: sha, image: 'ghcr.io/acme/app', url: 'https://github.com/acme/app.git' }],
    ['gitrepository-new-artifact-legacy-metadata.json', 'node-service-ci', { commit: sha, image: 'ghcr.io/acme/app', url: 'https://github.com/acme/app.git' }],
    ['kustomization-reconciliation-succeeded.json', 'staging-smoke-test', { 'base-url': 'http://app.staging.svc.cluster.local', 'revision': `main@sha1:${sha}` }],
  ])('%s creates the PipelineRun a cluster would', (event, pipeline, expected) => {
    const r = cli('simulate', '--event', path.join(events, event), dist);
    expect(r.code).toBe(0);
    // staging's event also starts the promotion to production (a second Trigger of the namespace's listener): the run of this pipeline
    const mine = r.runs.filter((run: any) => run.kind === 'PipelineRun' && run.spec.pipelineRef.name === pipeline);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', metadata: { name: `${pipeline}-4b825dc642cb` }, spec: { pipelineRef: { name: pipeline } } });
    expect(params(mine[0])).toEqual(expected);
  });

  test('the canceller of superseded runs says what it cancels', () => {
    const r = cli('simulate', '--event', path.join(events, 'gitrepository-new-artifact.json'), dist);
    expect(r.err).toContain(`# node-service-ci-${sha.slice(0, 12)}-supersede cancels the runs of trigger 'on-push' still running ` +
      `that node-service-ci-${sha.slice(0, 12)} supersedes`);
  });

  test('a promotion run says what it promotes, from where to where, at which revision', () => {
    const r = cli('simulate', '--event', path.join(events, 'kustomization-reconciliation-succeeded.json'), dist);
    expect(r.err).toContain(`# promotes 'app' from staging to production: the version staging runs at main@sha1:${sha} (run app-to-production-${sha.slice(0, 12)})`);
  });

  test('a failed fetch creates nothing, says which condition failed, and exits 1', () => {
    const r = cli('simulate', '--event', path.join(events, 'gitrepository-fetch-failed.json'), dist);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain("CEL filter is false at: body.reason == 'NewArtifact'");
    expect(r.err).toContain('nothing would be triggered');
  });

  test('an event no Alert watches exits 1 and says so', () => {
    const r = cli('simulate', '--event', path.join(events, 'ocirepository-new-artifact.json'), dist);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no Alert watches OCIRepository/flux-system/app-manifests');
  });

  test('simulate follows the event through the namespace\'s one listener, to each of its Triggers', () => {
    const r = cli('simulate', '--event', path.join(events, 'gitrepository-new-artifact.json'), dist);
    expect(r.code).toBe(0);
    expect(r.err).toContain('# Alert ci/flux-events → Provider ci/flux-events → EventListener ci/flux-events');
    expect(r.err).toContain("# trigger 'on-push': fires: PipelineRun, TaskRun from TriggerTemplate 'on-push'");
    expect(r.err).toContain("# trigger 'on-staging-deploy': CEL filter is false at: body.involvedObject.kind == 'Kustomization'");
    expect(r.err).toContain("# trigger 'app-on-staging': CEL filter is false at: body.involvedObject.kind == 'Kustomization'");
    // one Secret, in the listener's namespace, with both keys
    expect(r.err).toContain("to check, give --secret ci/flux-events-flux-token:headers=<value>, e.g. 'X-Flux-Token: <token>'");
    expect(r.err).toContain('to check, give --secret ci/flux-events-flux-token:token=<value>');
  });

  test('graph draws the chain and the task DAG as Mermaid', () => {
    const r = cli('graph', dist);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(expect.arrayContaining([
      'flowchart LR',
      '  GitRepository_flux_system_app_repo --> Alert_ci_flux_events',
      '  Kustomization_flux_system_app_staging --> Alert_ci_flux_events',
      '  Alert_ci_flux_events --> Provider_ci_flux_events',
      '  Provider_ci_flux_events -->|POST| EventListener_ci_flux_events',
      '    ci_node_service_ci__install --> ci_node_service_ci__lint',
      '    ci_node_service_ci__clone -.->|commit| ci_node_service_ci__build',
      '    ci_node_service_ci__build -.->|digest| ci_node_service_ci__deploy',
      '    ci_node_service_ci__notify(["finally: notify"])',
      '    ci_node_service_ci__deploy ==> ci_node_service_ci__notify',
    ]));
  });

  test('graph follows the listener to the Triggers it selects by label, and on to their pipelines', () => {
    expect(cli('graph', dist).out.split('\n')).toEqual(expect.arrayContaining([
      '  EventListener_ci_flux_events --> trigger_ci_flux_events_on_push',
      '  trigger_ci_flux_events_on_push -->|PipelineRun| Pipeline_ci_node_service_ci',
      '  EventListener_ci_flux_events --> trigger_ci_flux_events_on_staging_deploy',
      '  trigger_ci_flux_events_on_staging_deploy -->|PipelineRun| Pipeline_ci_staging_smoke_test',
      '  EventListener_ci_flux_events --> trigger_ci_flux_events_app_on_staging',
      '  trigger_ci_flux_events_app_on_staging -->|PipelineRun| Pipeline_ci_app_to_production',
    ]));
  });
});

describe('simulate: a hand-written YAML set', () => {
  const chain = path.join(FIXTURES, '../reference-chain.yaml');

  test.each(['gitrepository-new-artifact.json', 'gitrepository-new-artifact-legacy-metadata.json'])('%s: commit is the sha after @sha1:', (event) => {
    const r = cli('simulate', '--event', path.join(events, event), chain);
    expect(r.code).toBe(0);
    expect(params(r.runs[0])).toEqual({ revision: `main@sha1:${sha}`, commit: sha });
    expect(r.runs[0].metadata).toEqual({ generateName: 'ci-' });
  });

  test('a Provider that posts to a listener that is not there is a broken chain (exit 1)', () => {
    const dir = tempDir();
    const docs = parseAllDocuments(fs.readFileSync(chain, 'utf8')).map((d) => d.toJS()).filter((o) => o.kind !== 'EventListener');
    fs.writeFileSync(path.join(dir, 'chain.yaml'), docs.map((d) => JSON.stringify(d)).join('\n---\n'));
    const r = cli('simulate', '--event', path.join(events, 'gitrepository-new-artifact.json'), dir);
    expect(r.code).toBe(1);
    expect(r.err).toContain('broken: Provider flux-system/on-push posts to Service el-on-push in \'ci\', but EventListener ci/on-push is not in the input');
  });

  test('compareSecret reads secrets given with --secret', () => {
    const dir = tempDir();
    const text = fs.readFileSync(chain, 'utf8')
      .replace("body.reason == 'NewArtifact'", "body.reason == 'NewArtifact' && header.canonical('x-flux-token').compareSecret('token', 'flux-token')")
      .replace('  type: generic\n', '  type: generic\n  secretRef: {name: flux-headers}\n');
    fs.writeFileSync(path.join(dir, 'chain.yaml'), text);
    const event = path.join(events, 'gitrepository-new-artifact.json');
    const ok = cli('simulate', '--event', event, '--secret', 'flux-system/flux-headers:headers=X-Flux-Token: abc', '--secret', 'ci/flux-token:token=abc', dir);
    expect(ok.code).toBe(0);
    const wrong = cli('simulate', '--event', event, '--secret', 'flux-system/flux-headers:headers=X-Flux-Token: nope', '--secret', 'ci/flux-token:token=abc', dir);
    expect(wrong.code).toBe(1);
    // Secrets not given are assumed to match, and the output says so
    const assumed = cli('simulate', '--event', event, dir);
    expect(assumed.code).toBe(0);
    expect(assumed.err).toContain("assumed: Provider flux-system/on-push's Secret 'flux-headers' holds the header the listener checks");
    expect(assumed.err).toContain("assumed: Secret ci/flux-token key 'token' holds the token the Provider sends");
  });
});

describe('rerun: a failed run again, with the same inputs', () => {
  /** A PipelineRun as `kubectl get pipelinerun -o yaml` returns it after Triggers created it and it failed. */
  const failed = `apiVersion: tekton.dev/v1
kind: PipelineRun
metadata:
  name: node-service-ci-x7k2p
  generateName: node-service-ci-
  namespace: ci
  uid: 0b7c5d1e-2f4a-4c8e-9d3b-5a6e7f8091a2
  resourceVersion: "48213"
  generation: 1
  creationTimestamp: "2026-11-20T10:00:00Z"
  labels:
    team: web
    tekton.dev/pipeline: node-service-ci
    triggers.tekton.dev/eventlistener: on-push
    triggers.tekton.dev/trigger: node-service-ci
    triggers.tekton.dev/triggers-eventid: 6a0c3f9e
  annotations:
    acme.dev/ticket: OPS-12
    kubectl.kubernetes.io/last-applied-configuration: "{}"
  managedFields: [{ manager: eventlistenersink, operation: Update }]
spec:
  pipelineRef: { name: node-service-ci }
  params: [{ name: commit, value: ${sha} }, { name: image, value: ghcr.io/acme/app }]
  workspaces:
    - name: source
      volumeClaimTemplate: { spec: { accessModes: [ReadWriteOnce], resources: { requests: { storage: 2Gi } } } }
  taskRunTemplate: { serviceAccountName: on-push-run }
  timeouts: { pipeline: 1h0m0s, tasks: 45m0s, finally: 10m0s }
  status: Cancelled
status:
  conditions: [{ type: Succeeded, status: "False", reason: Failed }]
`;
  const expected = {
    apiVersion: 'tekton.dev/v1',
    kind: 'PipelineRun',
    metadata: {
      generateName: 'node-service-ci-',
      namespace: 'ci',
      // the labels by which Tekton Pruner, cancelInProgress and kubectl -l find the run are kept; triggers-eventid is not
      labels: { 'team': 'web', 'tekton.dev/pipeline': 'node-service-ci', 'triggers.tekton.dev/eventlistener': 'on-push', 'triggers.tekton.dev/trigger': 'node-service-ci' },
      annotations: { 'acme.dev/ticket': 'OPS-12', 'cdk8s-tekton-flux/rerun-of': 'node-service-ci-x7k2p' },
    },
    spec: {
      pipelineRef: { name: 'node-service-ci' },
      params: [{ name: 'commit', value: sha }, { name: 'image', value: 'ghcr.io/acme/app' }],
      workspaces: [{ name: 'source', volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } } }],
      taskRunTemplate: { serviceAccountName: 'on-push-run' },
      timeouts: { pipeline: '1h0m0s', tasks: '45m0s', finally: '10m0s' },
    },
  };

  test('reads the run from standard input and prints a new one: same inputs, new name, no status or server fields', () => {
    let out = '';
    const code = runCli(['rerun'], { out: (t) => { out += t; }, err: () => {}, stdin: () => failed });
    expect(code).toBe(0);
    expect(parseAllDocuments(out).map((d) => d.toJS())).toEqual([expected]);
  });

  test('a one-off run kept in git (a fixed name) is re-run under a generateName from its name', () => {
    const dir = tempDir();
    const file = path.join(dir, 'runs.yaml');
    fs.writeFileSync(file, 'apiVersion: tekton.dev/v1\nkind: PipelineRun\nmetadata: {name: ci-3f2a1b4c, namespace: ci}\nspec: {pipelineRef: {name: ci}}\n' +
      '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n');
    const r = cli('rerun', file);
    expect(r.code).toBe(0);
    expect(r.runs).toEqual([{
      apiVersion: 'tekton.dev/v1',
      kind: 'PipelineRun',
      metadata: { generateName: 'ci-3f2a1b4c-', namespace: 'ci', annotations: { 'cdk8s-tekton-flux/rerun-of': 'ci-3f2a1b4c' } },
      spec: { pipelineRef: { name: 'ci' } },
    }]);
  });

  test('input without a PipelineRun exits 2 and says so', () => {
    let err = '';
    const code = runCli(['rerun'], { out: () => {}, err: (t) => { err += t; }, stdin: () => 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' });
    expect(code).toBe(2);
    expect(err).toContain('standard input holds no PipelineRun');
  });
});

describe('CLI usage errors exit 2', () => {
  test.each([
    [['simulate', 'dist'], 'simulate needs --event <flux-event.json>'],
    [['simulate', '--event', '/nonexistent.json'], 'cannot read the event /nonexistent.json'],
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['graph', '/nonexistent'], '/nonexistent: no such file or folder'],
    [['simulate', '--event', __filename, '--bogus'], "Unknown option '--bogus'"],
  ])('%j', (argv, message) => {
    const r = cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  test('unparsable YAML exits 2 and names the file', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'a: [1, 2\n');
    const r = cli('graph', dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain(path.join(dir, 'bad.yaml'));
  });

  test('--help prints usage and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('cdk8s-tekton-flux simulate --event');
  });
});

describe('the bin', () => {
  test('runs as a process with the documented exit codes', () => {
    const root = path.resolve(__dirname, '..');
    const bin = [path.join(root, 'node_modules/.bin/ts-node'), '--transpile-only', '--project', path.join(root, 'tsconfig.dev.json'), path.join(root, 'src/cli/bin.ts')];
    const dist = tempDir();
    buildApp(new GitOpsApp({ outdir: dist })).synth();
    const out = execFileSync(bin[0], [...bin.slice(1), 'simulate', '--event', path.join(events, 'gitrepository-new-artifact.json'), dist], { encoding: 'utf8', stdio: 'pipe' });
    expect(out).toContain(`value: ${sha}`);
    let status = 0;
    try {
      execFileSync(bin[0], [...bin.slice(1), 'simulate', '--event', path.join(events, 'gitrepository-fetch-failed.json'), dist], { stdio: 'pipe' });
    } catch (e: any) {
      status = e.status;
    }
    expect(status).toBe(1);
  });
});

describe('CLI conventions and hostile input', () => {
  const dist = tempDir();
  buildApp(new GitOpsApp({ outdir: dist })).synth();

  test('--help for every command, --version, did-you-mean, errors and usage on stderr', () => {
    for (const command of ['simulate', 'graph', 'resume', 'rerun']) {
      const r = cli(command, '--help');
      expect({ command, code: r.code, err: r.err }).toEqual({ command, code: 0, err: '' });
      expect(r.out).toContain(`cdk8s-tekton-flux ${command}`);
    }
    expect(cli('--version').out.trim()).toBe(JSON.parse(fs.readFileSync(path.join(__dirname, '../package.json'), 'utf8')).version);
    const typo = cli('simulte');
    expect({ code: typo.code, out: typo.out }).toEqual({ code: 2, out: '' });
    expect(typo.err).toContain("unknown command 'simulte': did you mean 'simulate'?");
    const none = cli();
    expect({ code: none.code, out: none.out }).toEqual({ code: 2, out: '' });
    expect(none.err).toContain('usage:');
  });

  test('--source builds the event Flux would send for your own source', () => {
    const r = cli('simulate', '--source', 'GitRepository/flux-system/app-repo', '--revision', `main@sha1:${sha}`, dist);
    expect(r.code).toBe(0);
    // the run, and the TaskRun that cancels the runs it supersedes (concurrency: cancelInProgress)
    expect(r.runs.map((x: any) => x.metadata.name)).toEqual([`node-service-ci-${sha.slice(0, 12)}`, `node-service-ci-${sha.slice(0, 12)}-supersede`]);
    expect(cli('simulate', '--source', 'GitRepository/app-repo', '--revision', 'x', dist).err).toContain('is not <Kind>/<namespace>/<name>');
  });

  test('a folder with a link loop, a FIFO and a link to a device finishes at once; an event file is never echoed', () => {
    const dir = tempDir('hostile-');
    fs.copyFileSync(path.join(dist, 'ci.k8s.yaml'), path.join(dir, 'ci.k8s.yaml'));
    fs.copyFileSync(path.join(dist, 'flux-system.k8s.yaml'), path.join(dir, 'flux-system.k8s.yaml'));
    fs.symlinkSync('.', path.join(dir, 'self'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.yaml'));
    execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);
    const r = cli('simulate', '--event', path.join(events, 'gitrepository-new-artifact.json'), dir);
    expect(r.code).toBe(0);
    // the loop is not followed: one run (and its canceller of superseded runs), not one per path
    expect(r.runs.map((x: any) => x.kind)).toEqual(['PipelineRun', 'TaskRun']);
    const fifo = cli('simulate', '--event', path.join(events, 'gitrepository-new-artifact.json'), path.join(dir, 'pipe.yaml'));
    expect(fifo.err).toContain('not a regular file');
    const secret = path.join(dir, 'secret.json');
    fs.writeFileSync(secret, 'root:$y$j9T$hunter2:19000:0:99999:7:::\n');
    const leak = cli('simulate', '--event', secret, dist);
    expect(leak.code).toBe(2);
    expect(leak.err).not.toContain('hunter2');
    expect(leak.err).toContain('is not JSON');
  });

  test("an Alert pattern is Go's regexp (linear time): ^(a+)+$ on a long message finishes at once", () => {
    const dir = tempDir('regex-');
    // the Alerts are in the ci chart's file (with namespace flux-system)
    const text = fs.readFileSync(path.join(dist, 'ci.k8s.yaml'), 'utf8').split('eventSeverity: info').join('eventSeverity: info\n  inclusionList:\n    - "^(a+)+$"');
    fs.writeFileSync(path.join(dir, 'ci.k8s.yaml'), text);
    fs.copyFileSync(path.join(dist, 'flux-system.k8s.yaml'), path.join(dir, 'flux-system.k8s.yaml'));
    const e = JSON.parse(fs.readFileSync(path.join(events, 'gitrepository-new-artifact.json'), 'utf8'));
    e.message = `${'a'.repeat(5000)}!`;
    const file = path.join(dir, 'event.json');
    fs.writeFileSync(file, JSON.stringify(e));
    const start = Date.now();
    const r = cli('simulate', '--event', file, dir);
    expect(Date.now() - start).toBeLessThan(5000);
    expect(r.code).toBe(1); // the message does not match: nothing runs
  });

  test("an overlay key '__proto__.default' is a key, not a prototype", () => {
    const dir = tempDir('proto-');
    const text = fs.readFileSync(path.join(dist, 'ci.k8s.yaml'), 'utf8').replace('key: flux-revision-id', 'key: __proto__.default');
    fs.writeFileSync(path.join(dir, 'ci.k8s.yaml'), text);
    fs.copyFileSync(path.join(dist, 'flux-system.k8s.yaml'), path.join(dir, 'flux-system.k8s.yaml'));
    cli('simulate', '--event', path.join(events, 'gitrepository-new-artifact.json'), dir);
    expect(({} as any).default).toBeUndefined();
  });
});

describe("simulate checks each run as Tekton's reconciler would", () => {
  test('a run without a required param, with an unbound workspace, or reading an undeclared result is reported, not "fires"', () => {
    const dist = tempDir();
    buildApp(new GitOpsApp({ outdir: dist })).synth();
    const objects = fs.readdirSync(dist).flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(dist, f), 'utf8')).map((d) => d.toJS()));
    const template = objects.find((o) => o.kind === 'TriggerTemplate' && o.metadata.name === 'on-push');
    const run = template.spec.resourcetemplates[0];
    run.spec.params = run.spec.params.filter((p: any) => p.name !== 'image');
    delete run.spec.workspaces;
    const pipeline = objects.find((o) => o.kind === 'Pipeline' && o.metadata.name === 'node-service-ci');
    pipeline.spec.tasks.find((t: any) => t.name === 'deploy').params.find((p: any) => p.name === 'digest').value = '$(tasks.build.results.digset)';
    const result = simulateEvent(objects, JSON.parse(fs.readFileSync(path.join(events, 'gitrepository-new-artifact.json'), 'utf8')));
    expect(result.runs).toEqual([]);
    // the library's own run checks, in its words (what to give, not which flag)
    const [broken] = result.broken;
    expect(broken).toContain("Pipeline 'node-service-ci' param 'image' has no value: give it in the run's params");
    expect(broken).toContain("Pipeline 'node-service-ci' workspace 'source' is not bound");
    expect(broken).toContain("tasks.deploy.params[1].value references $(tasks.build.results.digset), but Task 'build-image' has no result 'digset': " +
      "did you mean 'digest'?");
    expect(problemAt('x', broken).code).toBe('run-would-fail');
  });
});

describe('reading manifests: bounded whatever the input', () => {
  const graph = (target: string) => cli('graph', target);

  test('a YAML alias bomb is refused, not expanded', () => {
    const dir = tempDir('bomb-');
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    fs.writeFileSync(path.join(dir, 'bomb.yaml'), `${lines.join('\n')}\n`);
    const r = graph(dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain('its YAML aliases (*name) expand to more values than the file has characters: write the values out');
  });

  test('YAML nested 100,000 deep is an error, not a stack overflow', () => {
    const dir = tempDir('deep-');
    fs.writeFileSync(path.join(dir, 'deep.yaml'), `${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    const r = graph(dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain('nesting exceeded maxDepth');
  });

  test('more than 32 MiB of YAML in all is refused before it is parsed', () => {
    const dir = tempDir('large-');
    const doc = `---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: "${'x'.repeat(1024 * 1024)}"\n`;
    for (let i = 0; i < 33; i++) fs.writeFileSync(path.join(dir, `f${String(i).padStart(2, '0')}.yaml`), doc);
    const r = graph(dir);
    expect(r.code).toBe(2);
    expect(r.err).toContain('more than 32 MiB of YAML');
  });

  test('standard input (for rerun and resume) is read to its end, and refused past 32 MiB', () => {
    const dir = tempDir('stdin-');
    const small = path.join(dir, 'small.yaml');
    fs.writeFileSync(small, 'kind: PipelineRun\n');
    const smallFd = fs.openSync(small, 'r');
    expect(readBounded(smallFd, 'standard input')).toBe('kind: PipelineRun\n');
    fs.closeSync(smallFd);
    const large = path.join(dir, 'large.yaml');
    fs.writeFileSync(large, Buffer.alloc(33 * 1024 * 1024, 'a'));
    const largeFd = fs.openSync(large, 'r');
    expect(() => readBounded(largeFd, 'standard input')).toThrow('standard input: more than 32 MiB: pipe the run and its TaskRuns only');
    fs.closeSync(largeFd);
  });

  test('a date stays a string, as Kubernetes reads it into a string field (YAML 1.2 core schema)', () => {
    const [cm]: any[] = parseObjects('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  date: 2026-12-01\n  answer: yes\n', 'cm.yaml');
    expect(cm.data).toEqual({ date: '2026-12-01', answer: 'yes' });
  });
});

describe('simulate and graph show the commit statuses a pipeline reports (CommitStatus)', () => {
  const dir = tempDir('status-');
  const objects = synth((s) => {
    const t = new Task(s, 'build');
    t.addStep({ name: 'build', image: 'busybox:1.36', script: '#!/bin/sh\ntrue' });
    const p = new Pipeline(s, 'app-ci');
    p.addTask('build', { task: t });
    new FluxTriggeredPipeline(s, 'on-push', {
      source: new GitRepository(s, 'app', { url: 'https://github.com/acme/app.git', branch: 'main', namespace: 'flux-system' }),
      pipeline: p,
      status: CommitStatus.github({ repository: 'acme/app', tokenSecretName: 'github-status', context: 'ci/build' }),
    });
  });
  fs.writeFileSync(path.join(dir, 'ci.yaml'), objects.map((o) => JSON.stringify(o)).join('\n---\n'));
  const event = (revision: string) => {
    const e = JSON.parse(fs.readFileSync(path.join(events, 'gitrepository-new-artifact.json'), 'utf8'));
    e.involvedObject = { ...e.involvedObject, name: 'app' };
    e.metadata = { revision };
    return e;
  };

  test('a run of a reporting pipeline: pending, then its outcome, on the event\'s commit, in the result and the trace', () => {
    const result = simulateEvent(objects, event(`main@sha1:${sha}`));
    expect(result.broken).toEqual([]);
    expect(result.runs.map((r) => r.status)).toEqual([{ provider: 'github', project: 'acme/app', commit: sha, context: 'ci/build', api: 'https://api.github.com' }]);
    expect(result.trace).toContainEqual(expect.stringMatching(
      new RegExp(`^status: pending then success\\|failure on github acme/app@${sha} as 'ci/build' \\(run app-ci-`)));
  });

  test('the CLI prints it with the trace', () => {
    const file = path.join(dir, 'event.json');
    fs.writeFileSync(file, JSON.stringify(event(`main@sha1:${sha}`)));
    const r = cli('simulate', '--event', file, dir);
    expect(r.code).toBe(0);
    expect(r.err).toContain(`# status: pending then success|failure on github acme/app@${sha} as 'ci/build'`);
  });

  test('a run without a commit posts nothing (the status tasks\' `when` skips them), and says nothing of it', () => {
    const noCommit = JSON.parse(JSON.stringify(objects).replace('"$(extensions.commit)"', '""'));
    const result = simulateEvent(noCommit, event(`main@sha1:${sha}`));
    expect(result.runs).toHaveLength(1);
    expect(result.runs[0].status).toBeUndefined();
    expect(result.trace.join('\n')).not.toContain('status:');
  });

  test('graph marks the pipeline that reports, and only it', () => {
    const out = mermaidGraph(objects);
    expect(out).toContain("app_ci___reports{{\"reports: github acme/app as 'ci/build'\"}}");
    expect(out.match(/reports:/g)).toHaveLength(1);
    expect(cli('graph', dir).out).toContain("reports: github acme/app as 'ci/build'");
  });
});

import { execFileSync } from 'child_process';
import { buildApp } from '../app/main';
import { build as threeClusters } from '../examples/clusters/app';
import { build as fleetCi } from '../examples/fleet-ci/app';
import { GitOpsApp } from '../src';
import { fluxEvent, tempDir } from './util';
import { runCli } from '../src/cli/main';
import { simulateEvent } from '../src/simulate';

function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = runCli(argv, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

describe('cdk8s-tekton-flux secrets: what to create before the objects work', () => {
  test('a listener needs one Secret, with both keys, and the command makes it', () => {
    const dist = tempDir();
    buildApp(new GitOpsApp({ outdir: dist })).synth();
    const r = cli('secrets', dist);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('TOKEN=$(openssl rand -hex 32)  # the token: the same value in the Secrets that use $TOKEN');
    expect(lines.filter((l) => l.startsWith('# ci/flux-events-flux-token'))).toEqual([
      expect.stringMatching(/^# ci\/flux-events-flux-token \(keys: headers, token\), read by Provider ci\/flux-events \(the headers it sends\); Trigger ci\/app-on-staging/),
    ]);
    const command = lines.find((l) => l.startsWith('kubectl -n ci create secret generic flux-events-flux-token'))!;
    expect(command).toBe('kubectl -n ci create secret generic flux-events-flux-token --from-literal=headers="X-Flux-Token: $TOKEN" --from-literal=token="$TOKEN"');
    // the command, run with a kubectl that prints what it would send, makes a Secret the chain accepts
    const shell = `kubectl() { shift 2; shift 3; printf '%s\\n' "$@"; }\n${lines[0]}\n${command}`;
    const args = execFileSync('sh', ['-c', shell], { encoding: 'utf8' }).trim().split('\n');
    const token = /^--from-literal=token=(.+)$/.exec(args.find((a) => a.startsWith('--from-literal=token='))!)![1];
    const headers = /^--from-literal=headers=(.+)$/.exec(args.find((a) => a.startsWith('--from-literal=headers='))!)![1];
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const objects = buildApp(new GitOpsApp({ outdir: tempDir() })).charts.flatMap((c) => c.toJson());
    const event = fluxEvent('gitrepository-new-artifact.json');
    const secrets = new Map([['ci/flux-events-flux-token', { headers, token }]]);
    expect(simulateEvent(objects, event, { secrets, assumeUnknownSecretsMatch: false }).runs.map((run) => (run.object as any).metadata.name))
      .toEqual(['node-service-ci-4b825dc642cb', 'node-service-ci-4b825dc642cb-supersede']);
  });

  test('clusters: each source cluster\'s token is a pair of Secrets, one in its cluster and one beside the listener, of one value', () => {
    const dist = tempDir();
    threeClusters(new GitOpsApp({ outdir: dist })).synth();
    const r = cli('secrets', dist);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    // one token: staging's events to ci's listener (production promotes nothing, ci's listener has no source of its own)
    expect(lines[0]).toBe('TOKEN=$(openssl rand -hex 32)  # the token: the same value in the Secrets that use $TOKEN');
    expect(lines.filter((l) => l.startsWith('# cluster'))).toEqual([
      expect.stringMatching(/^# cluster ci: ci\/fleet-git /),
      expect.stringMatching(/^# cluster ci: ci\/fleet-github /),
      '# cluster ci: ci/flux-events-flux-token-staging (keys: token), read by Trigger ci/web-on-staging (compareSecret: the token it checks)',
      expect.stringMatching(/^# cluster staging: flux-system\/ci-ingress-ca \(keys: ca.crt\)/),
      '# cluster staging: flux-system/flux-events-ci-ci-flux-token (keys: headers), read by Provider flux-system/flux-events-ci-ci (the headers it sends)',
    ]);
    expect(lines).toContain('kubectl --context ci -n ci create secret generic flux-events-flux-token-staging --from-literal=token="$TOKEN"');
    expect(lines).toContain('kubectl --context staging -n flux-system create secret generic flux-events-ci-ci-flux-token ' +
      '--from-literal=headers="X-Flux-Token: $TOKEN"');
  });

  test('a fleet whose listener token External Secrets generates (examples/fleet-ci) needs no Secret by hand', () => {
    const dist = tempDir();
    fleetCi(new GitOpsApp({ outdir: dist })).synth();
    const r = cli('secrets', dist);
    expect(r).toEqual({ code: 0, out: '', err: '# the objects read no Secret they do not contain\n' });
  });

  test('the synth app: its listener\'s one Secret, the steps\' Secrets, and no Secret value of the app', () => {
    const dist = tempDir();
    buildApp(new GitOpsApp({ outdir: dist })).synth();
    const r = cli('secrets', dist);
    expect(r.code).toBe(0);
    const names = r.out.split('\n').filter((l) => l.startsWith('# ')).map((l) => l.split(' ')[1]);
    // every pipeline and promotion step of `ci` joins its one listener: one token Secret, nothing in flux-system
    expect(names).toEqual(['ci/app-repo-pull-requests', 'ci/app-repo-push', 'ci/chat-webhook', 'ci/flux-events-flux-token']);
    expect(r.out).toContain('kubectl -n ci create secret generic app-repo-push --from-literal=token=<value>');
    expect(r.out).toContain('# ci/flux-events-flux-token (keys: headers, token), read by Provider ci/flux-events (the headers it sends); ' +
      'Trigger ci/app-on-staging (compareSecret: the token it checks); Trigger ci/on-push (compareSecret: the token it checks); ' +
      'Trigger ci/on-staging-deploy (compareSecret: the token it checks)');
    expect(r.out).toContain('kubectl -n ci create secret generic flux-events-flux-token --from-literal=headers="X-Flux-Token: $TOKEN" --from-literal=token="$TOKEN"');
  });

  test('usage: one folder at most (exit 2)', () => {
    expect(cli('secrets', 'a', 'b').code).toBe(2);
  });
});

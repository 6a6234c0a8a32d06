import { Chart, Duration } from 'cdk8s';
import { GitOpsApp, GitRepository, Pipeline, SynthError, Task } from '../src';
import { snapshotDir, tempDir } from './util';

describe('a failed synth throws one SynthError whose problems are data: path, code, message and fix', () => {
  test('four mistakes: four problems with their codes, and the message as cdk8s words it; dist/ untouched', () => {
    const dist = tempDir();
    const before = snapshotDir(dist);
    const app = new GitOpsApp({ outdir: dist });
    const ci = new Chart(app, 'ci', { namespace: 'ci' });
    const task = new Task(ci, 'build', { metadata: { labels: { 'team name': 'web' } } });
    task.addParam('commit');
    task.addStep({ name: 'build', image: 'alpine:3.20', script: '#!/bin/sh\necho $(params.comit)' });
    new Pipeline(ci, 'ci').addTask('build', { task, timeout: Duration.seconds(0) });
    new GitRepository(ci, 'repo', { url: 'https://github.com/acme/app.git', branch: 'main', secretName: 'Git Token' });
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SynthError);
    const problems = (error as SynthError).problems;
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ['ci/build', 'invalid-label'],
      ['ci/build', 'unknown-reference'],
      ['ci/ci', 'invalid-duration'],
      ['ci/repo', 'invalid-secret-name'],
    ]);
    const reference = problems.find((p) => p.code === 'unknown-reference')!;
    expect(reference.message).toContain("references $(params.comit), but the Task has no param 'comit'");
    expect(reference.fix).toBe("did you mean 'commit'?");
    // the message is cdk8s's: a heading, then `[path] what is wrong: what to do` for each problem
    expect((error as Error).message.split('\n')[0]).toBe('Validation failed with the following errors:');
    for (const p of problems) expect((error as Error).message).toContain(`[${p.path}] ${p.message}${p.fix ? `: ${p.fix}` : ''}`);
    expect(snapshotDir(dist)).toEqual(before);
  });
});

import { execFileSync } from 'child_process';
import * as path from 'path';
import { PipelineRun, Task } from '../../imports/tekton.dev';
import { crdsDir, snapshotDir, tempDir } from '../util';

const root = path.resolve(__dirname, '../..');
const crds = crdsDir();

describe('imports/', () => {
  test('the Tekton classes are the v1 ones (storage version), not v1beta1', () => {
    expect(Task.GVK).toEqual({ apiVersion: 'tekton.dev/v1', kind: 'Task' });
    expect(PipelineRun.GVK.apiVersion).toBe('tekton.dev/v1');
  });

  test('`npm run import` regenerates imports/ byte for byte', () => {
    const out = tempDir('imports-');
    execFileSync(path.join(root, 'node_modules/.bin/ts-node'), ['--project', 'tsconfig.dev.json', 'scripts/import-crds.ts'], {
      cwd: root, env: { ...process.env, CRDS_DIR: crds, IMPORTS_OUTDIR: out }, stdio: 'pipe',
    });
    expect(snapshotDir(out)).toEqual(snapshotDir(path.join(root, 'imports')));
  });

  test('the import task fails clearly when the CRD folder is missing', () => {
    let message = '';
    try {
      execFileSync(path.join(root, 'node_modules/.bin/ts-node'), ['--project', 'tsconfig.dev.json', 'scripts/import-crds.ts'], {
        cwd: root, env: { ...process.env, CRDS_DIR: '/nonexistent/crds', IMPORTS_OUTDIR: tempDir() }, stdio: 'pipe',
      });
    } catch (e: any) {
      message = e.stderr.toString();
    }
    expect(message).toMatch(/CRD folder not found: \/nonexistent\/crds/);
  });
});

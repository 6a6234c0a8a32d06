import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildApp } from '../app/main';
import { GitOpsApp } from '../src/app/gitops-app';
import { runCli } from '../src/cli/main';

/** The README's generated regions, from a fresh synth of the app and the real CLI. */
export function readmeRegions(): { [name: string]: string } {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-'));
  buildApp(new GitOpsApp({ outdir: dist })).synth();
  const run = (...argv: string[]) => {
    let out = '';
    runCli(argv, { out: (t) => { out += t; }, err: () => {} });
    return out;
  };
  const event = path.resolve(__dirname, '../test/fixtures/flux-events/gitrepository-new-artifact.json');
  return {
    simulate: `\`\`\`yaml\n${run('simulate', '--event', event, dist)}\`\`\`\n`,
    graph: `\`\`\`mermaid\n${run('graph', dist)}\`\`\`\n`,
  };
}

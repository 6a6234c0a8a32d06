/**
 * `npm run docs`: regenerates docs/api/ from the doc comments (typedoc) and the README's generated
 * regions (the `simulate` output and the Mermaid graph of the synth app) from the real CLI. The tests fail
 * when either is stale.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { apiReport } from './api-report';
import { readmeRegions } from './readme-regions';

const root = path.resolve(__dirname, '..');

export function generateApiDocs(outdir: string) {
  fs.rmSync(outdir, { recursive: true, force: true });
  execFileSync(path.join(root, 'node_modules/.bin/typedoc'), [
    '--plugin', 'typedoc-plugin-markdown', '--out', outdir, '--outputFileStrategy', 'modules', '--readme', 'none',
    '--excludePrivate', '--excludeInternal', '--excludeExternals', '--disableSources', '--logLevel', 'Error',
    '--tsconfig', path.join(root, 'tsconfig.json'),
    // one page per layer (the package exports them from its index, and the simulator from `cdk8s-tekton-flux/simulate`)
    ...['app/index.ts', 'resource.ts', 'tekton/index.ts', 'triggers/index.ts', 'flux/index.ts', 'patterns/index.ts', 'simulate/index.ts']
      .map((f) => path.join(root, 'src', f)),
  ], { cwd: root, stdio: 'inherit' });
}

if (require.main === module) {
  generateApiDocs(path.join(root, 'docs/api'));
  fs.writeFileSync(path.join(root, 'docs/api-report.md'), apiReport());
  const readme = path.join(root, 'README.md');
  let text = fs.readFileSync(readme, 'utf8');
  for (const [name, content] of Object.entries(readmeRegions())) {
    text = text.replace(new RegExp(`<!-- ${name}:begin -->[\\s\\S]*?<!-- ${name}:end -->`), `<!-- ${name}:begin -->\n${content}<!-- ${name}:end -->`);
  }
  fs.writeFileSync(readme, text);
}

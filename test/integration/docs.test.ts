import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { buildApp } from '../../app/main';
import { apiReport } from '../../scripts/api-report';
import { generateApiDocs } from '../../scripts/docs';
import { readmeRegions } from '../../scripts/readme-regions';
import { GitOpsApp, GitOpsSync, GitRepository } from '../../src';
import { runCli } from '../../src/cli/main';
import { simulateEvent } from '../../src/simulate';
import { snapshotDir, synth, tempDir } from '../util';

const root = path.resolve(__dirname, '../..');
const DOCS = ['README.md', 'examples/README.md', ...fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

interface Block { file: string; lang: string; code: string; index: number }
function blocks(): Block[] {
  return DOCS.flatMap((file) => [...fs.readFileSync(path.join(root, file), 'utf8').matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)]
    .map((m, index) => ({ file, lang: m[1], code: m[2], index })));
}

describe('every code block in README and docs is compiled or run', () => {
  const all = blocks();

  test('each block is of a kind the tests check', () => {
    // ts: type-checked (and the README example run); sh: run or checked below; yaml and mermaid: generated
    // by the CLI and compared; text: a diagram, no code.
    expect(all.filter((b) => !['ts', 'sh', 'yaml', 'mermaid', 'text'].includes(b.lang)).map((b) => `${b.file}#${b.index} ${b.lang}`)).toEqual([]);
  });

  test('every TypeScript block compiles against the library', () => {
    const dir = path.join(root, '.docblocks');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const files = all.filter((b) => b.lang === 'ts').map((b) => {
      const file = path.join(dir, `${b.file.replace(/[/.]/g, '_')}_${b.index}.ts`);
      fs.writeFileSync(file, `${b.code}\nexport {};\n`);
      return file;
    });
    expect(files.length).toBeGreaterThanOrEqual(2);
    const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.dev.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const program = ts.createProgram(files, { ...config.options, noEmit: true, noUnusedLocals: false });
    const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.includes(path.resolve(d.file.fileName)));
    expect(diagnostics.map((d) => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)).toEqual([]);
  });

  describe('the README example', () => {
    test('runs, and a new Git artifact makes it run the pipeline with the commit', () => {
      const example = all.find((b) => b.file === 'README.md' && b.lang === 'ts')!;
      const dir = path.join(root, '.docblocks');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'readme_example_run.ts');
      fs.writeFileSync(file, example.code);
      const cwd = process.cwd();
      const out = tempDir();
      process.chdir(out);
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        jest.isolateModules(() => require(file));
      } finally {
        process.chdir(cwd);
      }
      const objects = parseAllDocuments(fs.readFileSync(path.join(out, 'dist/ci.k8s.yaml'), 'utf8')).map((d) => d.toJS());
      const event = JSON.parse(fs.readFileSync(path.join(root, 'test/fixtures/flux-events/gitrepository-new-artifact.json'), 'utf8'));
      const runs = simulateEvent(objects, event).runs;
      // the commit the run tests, and the one it reports its status on
      expect(runs.map((r) => (r.object as any).spec.params)).toEqual([[
        { name: 'commit', value: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' }, { name: 'status-commit', value: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' },
      ]]);

      // "What gets generated": every kind, API version and name the table lists is in the output
      const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
      const table = readme.slice(readme.indexOf('## What gets generated'), readme.indexOf('## Prerequisites'));
      const rows = table.split('\n').filter((l) => l.startsWith('| `'));
      expect(rows.length).toBeGreaterThanOrEqual(8);
      const ids = new Set(objects.map((o) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name)));
      for (const row of rows) {
        const [what, names] = row.split('|').slice(1, 3);
        const kinds = [...what.matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]);
        const apiVersion = /\(([a-z0-9.]+\/v[a-z0-9]+)\)/.exec(what)?.[1];
        for (const kind of kinds) {
          expect({ row: what.trim(), kind, found: objects.some((o) => o.kind === kind && (!apiVersion || o.apiVersion === apiVersion)) })
            .toEqual({ row: what.trim(), kind, found: true });
        }
        for (const [, id] of names.matchAll(/`([a-z0-9./-]+)`/g)) expect({ row: what.trim(), id, found: ids.has(id) }).toEqual({ row: what.trim(), id, found: true });
      }
    });
  });

  describe('shell blocks', () => {
    const commands = all.filter((b) => b.lang === 'sh').flatMap((b) => b.code.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean));
    const scripts = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts;

    test('npm commands name scripts that exist', () => {
      for (const c of commands.filter((x) => x.startsWith('npm '))) {
        for (const part of c.split('&&').map((p) => p.trim())) {
          const m = /^npm (ci|test|run (\S+))$/.exec(part);
          expect(m).not.toBeNull();
          if (m?.[2]) expect(Object.keys(scripts)).toContain(m[2]);
        }
      }
    });

    test('cdk8s-tekton-flux commands run and succeed on the synth app', () => {
      const dist = tempDir();
      buildApp(new GitOpsApp({ outdir: dist })).synth();
      const cli = commands.filter((c) => c.startsWith('npx cdk8s-tekton-flux '));
      expect(cli.length).toBeGreaterThanOrEqual(2);
      for (const c of cli) {
        const argv = c.split(/\s+/).slice(2).map((a) => (a === 'dist/' ? dist : a.replace(/^test\//, `${root}/test/`)));
        expect({ c, code: runCli(argv, { out: () => {}, err: () => {} }) }).toEqual({ c, code: 0 });
      }
    });

    test('the rerun pipeline turns the run a Flux event creates into a new run with the same spec', () => {
      const line = commands.find((c) => c.includes('| npx cdk8s-tekton-flux rerun |'))!;
      expect(line).toMatch(/^kubectl get pipelinerun \S+ -n \S+ -o yaml \| npx cdk8s-tekton-flux rerun \| kubectl create -f -$/);
      const dist = tempDir();
      buildApp(new GitOpsApp({ outdir: dist })).synth();
      let created = '';
      runCli(['simulate', '--event', path.join(root, 'test/fixtures/flux-events/gitrepository-new-artifact.json'), dist], { out: (t) => { created += t; }, err: () => {} });
      const run = { ...parseAllDocuments(created)[0].toJS(), metadata: { name: 'node-service-ci-x7k2p', generateName: 'node-service-ci-', namespace: 'ci' } };
      let out = '';
      expect(runCli(['rerun'], { out: (t) => { out += t; }, err: () => {}, stdin: () => JSON.stringify(run) })).toBe(0);
      const again = parseAllDocuments(out)[0].toJS();
      expect(again.spec).toEqual(run.spec);
      expect(again.metadata).toEqual({ generateName: 'node-service-ci-', namespace: 'ci', annotations: { 'cdk8s-tekton-flux/rerun-of': 'node-service-ci-x7k2p' } });
    });

    test('the flux CLI command creates the same Kustomization as GitOpsSync', () => {
      const flux = commands.find((c) => c.startsWith('flux create kustomization'))!;
      const [, , , name, ...flags] = flux.split(/\s+/);
      const opts = Object.fromEntries(flags.map((f) => f.replace(/^--/, '').split('=')));
      const [kind, source] = opts.source.split('/');
      const objects = synth((s) => new GitOpsSync(s, 'sync', { name, source: GitRepository.fromGitRepositoryName(s, 'source', source), path: opts.path }), 'flux-system');
      expect(objects[0].spec).toEqual({
        interval: opts.interval.replace(/^(\d+)m$/, '$1m0s'), path: opts.path, prune: opts.prune === 'true', sourceRef: { kind, name: source },
      });
    });

    test('the examples README command names a file each example has', () => {
      expect(commands).toContain('npx ts-node app.ts');
      for (const ex of ['node-service-ci', 'oci-deploy-check', 'staging-smoke-test']) expect(fs.existsSync(path.join(root, 'examples', ex, 'app.ts'))).toBe(true);
    });
  });

  describe('generated blocks', () => {
    test('the README simulate output and Mermaid graph are what the CLI prints now (npm run docs)', () => {
      const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
      for (const [name, content] of Object.entries(readmeRegions())) {
        const m = new RegExp(`<!-- ${name}:begin -->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(readme);
        expect(m?.[1]).toBe(content);
      }
    });
  });
});

describe('API report: the public surface is what docs/api-report.md says', () => {
  test('docs/api-report.md is the current export list (npm run docs): an accidental export fails here', () => {
    expect(apiReport()).toEqual(fs.readFileSync(path.join(root, 'docs/api-report.md'), 'utf8'));
  });

  test('no internal helper is exported', () => {
    const internal = ['duplicates', 'suggest', 'TEKTON_NAME', 'findCycle', 'runProblems', 'renderRunSpec', 'eventSourceProblems', 'fluxNamespace',
      'FLUX_KINDS', 'paramSpec', 'paramSpecProblems', 'renderParamValue', 'celString', 'hasRevisionExpr', 'conjuncts', 'listenerOf',
      'declareParam', 'declareWorkspace', 'validationConditions', 'containerProblems', 'renderStep', 'ImportedFluxObject'];
    const report = apiReport();
    expect(internal.filter((name) => report.includes(`\`${name}\``))).toEqual([]);
  });

  test('cdk8s-plus conventions: every L2 is a Resource with `name`, takes `metadata`, and imports by fromXName(scope, id, name, …)', () => {
    const program = ts.createProgram([path.join(root, 'src/index.ts')], { skipLibCheck: true });
    const checker = program.getTypeChecker();
    const index = program.getSourceFile(path.join(root, 'src/index.ts'))!;
    const problems: string[] = [];
    for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(index)!)) {
      // eslint-disable-next-line no-bitwise
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const decl = target.declarations?.[0];
      if (!decl || !ts.isClassDeclaration(decl)) continue;
      for (const m of decl.members) {
        if (!ts.isMethodDeclaration(m) || !/^from\w*Name$/.test(m.name.getText())) continue;
        const params = m.parameters.map((p) => `${p.name.getText()}: ${p.type?.getText()}`);
        if (params[0] !== 'scope: Construct' || params[1] !== 'id: string' || !/^\w*: string$/.test(params[m.name.getText() === 'fromName' ? 3 : 2] ?? '')) {
          problems.push(`${symbol.name}.${m.name.getText()}(${params.join(', ')}): want (scope, id, name, options?)`);
        }
      }
      const extendsResource = decl.heritageClauses?.some((h) => h.types.some((t) => t.expression.getText() === 'Resource'));
      if (!extendsResource) continue;
      const ctor = decl.members.find(ts.isConstructorDeclaration);
      const propsType = ctor?.parameters[2] && checker.getTypeAtLocation(ctor.parameters[2]);
      if (!propsType?.getProperty('metadata')) problems.push(`${symbol.name}: its props take no \`metadata\``);
      // (a PipelineRun's name is its content's hash: a changed run is a new run, never a patch of a finished one)
      if (!propsType?.getProperty('name') && symbol.name !== 'PipelineRun') problems.push(`${symbol.name}: its props take no \`name\``);
    }
    expect(problems).toEqual([]);
  });
});

describe('API reference', () => {
  test('docs/api/ is generated from the current doc comments (npm run docs)', () => {
    const out = tempDir();
    generateApiDocs(out);
    expect(snapshotDir(out)).toEqual(snapshotDir(path.join(root, 'docs/api')));
  });

  test('every exported declaration has a doc comment and every optional prop a @default', () => {
    const program = ts.createProgram([path.join(root, 'src/index.ts')], { skipLibCheck: true });
    const checker = program.getTypeChecker();
    const missing: string[] = [];
    const index = program.getSourceFile(path.join(root, 'src/index.ts'))!;
    for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(index)!)) {
      // eslint-disable-next-line no-bitwise
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      for (const decl of target.declarations ?? []) {
        if (!decl.getSourceFile().fileName.includes('/src/')) continue;
        if (ts.getJSDocCommentsAndTags(decl).length === 0 && !ts.isVariableDeclaration(decl)) missing.push(`${symbol.name}: no doc comment`);
        if (!ts.isInterfaceDeclaration(decl)) continue;
        for (const member of decl.members) {
          if (!ts.isPropertySignature(member) || !member.questionToken) continue;
          const tags = ts.getJSDocTags(member).map((t) => t.tagName.text);
          if (!tags.includes('default')) missing.push(`${symbol.name}.${member.name.getText()}: no @default`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

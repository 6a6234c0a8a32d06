import { javascript, typescript, YamlFile } from 'projen';

// Exact versions: cdk8s 2.x / constructs 10.x, never projen's cdk8s defaults (see docs/design.md, "Decisions").
const CDK8S = '2.70.106';
const CONSTRUCTS = '10.8.1';
const CDK8S_PLUS = '2.5.6';
const CDK8S_CLI = '2.207.60';

const project = new typescript.TypeScriptProject({
  name: 'cdk8s-tekton-flux',
  description: 'cdk8s constructs that synthesize Tekton Pipelines, Tekton Triggers and Flux objects for GitOps',
  license: 'Apache-2.0',
  copyrightOwner: 'cdk8s-tekton-flux authors',
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  projenVersion: '0.103.25',
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',
  typescriptVersion: '5.9.3',
  github: false,
  release: false,
  buildWorkflow: false,
  depsUpgrade: false,
  pullRequestTemplate: false,
  sampleCode: false,
  prettier: false,
  entrypoint: 'lib/src/index.js',
  entrypointTypes: 'lib/src/index.d.ts',
  bin: { 'cdk8s-tekton-flux': 'lib/src/cli/bin.js' },
  deps: ['@bufbuild/cel@0.6.1', '@bufbuild/protobuf@2.17.0', 'yaml@2.9.1', 'js-yaml@5.5.0', 're2js@2.10.0'],
  // The app that uses this library brings cdk8s, constructs and cdk8s-plus-28 (as cdk8s-plus does): a second
  // copy nested under this package makes the app's resolver miss this library's `Lazy` values (`instanceof`)
  // and synth fails, so they are peers. The ranges start at the oldest versions checked (see docs/design.md);
  // our own builds use the exact versions above, as devDependencies.
  peerDeps: ['cdk8s@^2.70.0', 'constructs@^10.3.0', `cdk8s-plus-28@^${CDK8S_PLUS}`],
  peerDependencyOptions: { pinnedDevDependency: false },
  devDeps: [
    `cdk8s@${CDK8S}`,
    `constructs@${CONSTRUCTS}`,
    `cdk8s-plus-28@${CDK8S_PLUS}`,
    `cdk8s-cli@${CDK8S_CLI}`,
    'ts-node@10.9.2',
    '@types/node@20.19.25',
    'ajv@8.20.0',
    'ajv-formats@3.0.1',
    '@ibm/tekton-lint@1.1.0',
    '@kubernetes-models/flux-cd@4.0.0',
    'kubernetes-models@5.1.0',
    'typedoc@0.28.20',
    'typedoc-plugin-markdown@4.14.1',
  ],
  jestOptions: {
    jestVersion: '^29',
    junitReporting: false,
    jestConfig: {
      // `npm test`: the unit tests (fast, in memory); test/integration/ (processes, npm, typedoc, tekton-lint,
      // the promotion scripts under BusyBox) is `npm run test:integration`, which CI runs too
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/'],
      testTimeout: 120000,
      collectCoverage: false,
      // examples and docs import the package by name, as users do
      moduleNameMapper: { '^cdk8s-tekton-flux$': '<rootDir>/src/index.ts', '^cdk8s-tekton-flux/simulate$': '<rootDir>/src/simulate/index.ts' },
    },
  },
  tsconfig: {
    // app/: this repository's own synth app (compiled for `cdk8s synth`, left out of the package)
    include: ['src/**/*.ts', 'imports/**/*.ts', 'app/**/*.ts'],
    compilerOptions: { rootDir: '.', outDir: 'lib', skipLibCheck: true },
  },
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['src/**/*.ts', 'imports/**/*.ts', 'app/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'examples/**/*.ts', 'scripts/**/*.ts', '.projenrc.ts'],
    // isolatedModules: ts-jest only transpiles (type checking happens once, in the test task's `tsc`),
    // which keeps the 600 kB generated Tekton module from being type-checked in every test file.
    compilerOptions: {
      rootDir: '.',
      skipLibCheck: true,
      isolatedModules: true,
      // examples and docs import the package by name, as users do
      baseUrl: '.',
      paths: { 'cdk8s-tekton-flux': ['./src/index.ts'], 'cdk8s-tekton-flux/simulate': ['./src/simulate/index.ts'] },
    },
  },
  gitignore: ['/.cdk8s-staging/', '/.pack/', '/bench/out/', '/.docblocks/', '*.tgz', '/e2e/.work/'],
  eslintOptions: {
    dirs: ['src', 'app'],
    tsconfigPath: './tsconfig.dev.json',
    devdirs: ['test', 'bench', 'examples', 'scripts', 'e2e'],
    ignorePatterns: ['imports/', 'lib/', 'dist/', '*.d.ts', '*.js', 'node_modules/', 'bench/out/'],
    // a finding fails the test task (and CI); `npm run eslint:fix` rewrites what it can
    commandOptions: { fix: false },
  },
  npmignoreEnabled: true,
});

// projen derives ts-jest/@types/jest from jestVersion, and adds ESLint as ranges; pin them
// exactly, at the versions the lock file resolves.
project.addDevDeps('jest@29.7.0', 'ts-jest@29.4.15', '@types/jest@29.5.14');
project.addDevDeps('eslint@9.39.5', '@typescript-eslint/eslint-plugin@8.73.0', '@typescript-eslint/parser@8.73.0',
  '@stylistic/eslint-plugin@2.13.0', 'eslint-import-resolver-typescript@4.4.5', 'eslint-plugin-import@2.32.0');

// dist/ is what Flux reconciles: it is committed (projen ignores /dist/ by default).
project.gitignore.include('/dist/');
project.npmignore?.exclude('/dist/', '/imports/**/*.ts', '!/imports/**/*.d.ts', '/bench/', '/.ci/', '/e2e/');

// `cdk8s synth` runs the compiled app (no ts-node at synth time).
// The version the changelog describes (no release automation here: bump it with the changelog).
project.package.addVersion('0.2.0');
// Two entries: the constructs (the package itself) and the simulator with the CLI's helpers
// (`cdk8s-tekton-flux/simulate`); nothing else is importable (the `exports` map keeps the internals out of reach).
project.addFields({
  exports: {
    '.': { types: './lib/src/index.d.ts', default: './lib/src/index.js' },
    './simulate': { types: './lib/src/simulate/index.d.ts', default: './lib/src/simulate/index.js' },
    './package.json': './package.json',
  },
  // for TypeScript's `moduleResolution: node`, which does not read `exports`
  typesVersions: { '*': { simulate: ['lib/src/simulate/index.d.ts'] } },
});
project.addFields({
  // The library alone (not this repo's synth app), and every file the README links to, so links work on npm.
  files: ['lib/src/**/*.js', 'lib/src/**/*.d.ts', 'lib/imports/**/*.js', 'lib/imports/**/*.d.ts', 'lib/**/promotion-scripts/*', 'README.md', 'CHANGELOG.md', 'docs/',
    'examples/', 'bench/RESULTS.md', 'test/fixtures/flux-events/'],
});

new YamlFile(project, 'cdk8s.yaml', {
  obj: {
    language: 'typescript',
    app: 'node lib/app/main.js',
    // The app writes dist/ itself (stage then swap, see src/app/gitops-app.ts); cdk8s deletes this
    // folder before each run, so it must never be dist/.
    output: '.cdk8s-staging/cli',
    imports: [],
  },
});

// Regenerates imports/ from the upstream CRDs (never `cdk8s import k8s`: that needs the internet).
// One source of truth for upstream versions: e2e/upstream/go.mod. `import` copies the pinned releases'
// CRDs into test/crds/ (committed, for the unit tests) and generates imports/ from them.
project.addTask('import', {
  description: 'Refresh test/crds from the releases pinned in e2e/upstream/go.mod (needs Go) and regenerate imports/',
  steps: [
    { exec: 'bash e2e/upstream/sync-crds.sh' },
    { exec: 'ts-node --project tsconfig.dev.json scripts/import-crds.ts' },
  ],
});

project.addTask('e2e', {
  description: 'The control-plane suite: a real kube-apiserver, Flux\'s apply, Triggers\' listener and Tekton\'s controller (needs Go)',
  exec: 'bash e2e/run.sh',
});

project.addTask('bench', {
  description: 'Measure synth cost and growth; writes bench/RESULTS.md (a script, not a test)',
  steps: [{ spawn: 'compile' }, { exec: 'ts-node --transpile-only --project tsconfig.dev.json bench/bench.ts' }],
});

project.addTask('docs', {
  description: 'Regenerate docs/api/ and the README regions produced by the CLI',
  exec: 'ts-node --project tsconfig.dev.json scripts/docs.ts',
});

project.addTask('synth', {
  description: 'Compile and synthesize the app into dist/',
  steps: [{ spawn: 'compile' }, { exec: 'cdk8s synth --no-check-upgrade' }],
});

// The project service only finds files through tsconfig.json (src/ and imports/); lint tests, scripts and
// benchmarks with the dev tsconfig instead.
// No `any` in the library, the tools and the app: unknown JSON is `unknown`, narrowed where it is read; a justified
// exception says why in an eslint-disable comment.
project.eslint!.addOverride({ files: ['src/**/*.ts', 'app/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'error' } });
// ApiObject.toJson() is cdk8s's and returns any: an override of it cannot say otherwise
project.eslint!.addOverride({ files: ['src/triggers/resource.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } });
// Tests, benchmarks and scripts read Kubernetes JSON of a shape they know field by field: any is the point there
project.eslint!.addOverride({
  files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'examples/**/*.ts', 'e2e/**/*.ts'],
  rules: { '@typescript-eslint/no-explicit-any': 'off' },
});
const eslintrc = project.tryFindObjectFile('.eslintrc.json')!;
eslintrc.addDeletionOverride('parserOptions.projectService');
eslintrc.addOverride('parserOptions.project', './tsconfig.dev.json');

// The promotion steps' scripts are files beside their module (read at synth): copied next to the compiled one.
project.compileTask.exec('rm -rf lib/src/patterns/promotion-scripts && cp -r src/patterns/promotion-scripts lib/src/patterns/');

// npm pack must never write into dist/ (projen's default): dist/ is what Flux applies.
// It packs what it has just compiled (npm pack itself compiles nothing).
project.packageTask.reset();
// from a clean lib/: tsc --build never removes the output of a file that moved or is gone
project.packageTask.exec('rm -rf lib');
project.packageTask.spawn(project.compileTask);
project.packageTask.exec('mkdir -p .pack && npm pack --pack-destination .pack');

const eslint = project.tasks.tryFind('eslint')!;
const lintDirs = 'src test bench examples scripts e2e projenrc .projenrc.ts';
project.addTask('eslint:fix', {
  description: 'Lint and rewrite what ESLint can fix',
  exec: `eslint --ext .ts,.tsx --fix --no-error-on-unmatched-pattern ${lintDirs}`,
});

project.testTask.reset();
project.testTask.exec('tsc --noEmit -p tsconfig.dev.json');
project.testTask.exec('jest --passWithNoTests=false');
project.testTask.spawn(eslint);

project.addTask('test:integration', {
  description: 'The integration tests (test/integration/): the promotion scripts under BusyBox, npm pack and install, init, typedoc, ' +
    'tekton-lint, locales, crash-safe publishing',
  exec: "jest --passWithNoTests=false --testPathIgnorePatterns /node_modules/ --testMatch '<rootDir>/test/integration/**/*.test.ts'",
});

project.addTask('release:check', {
  description: 'Check a tag before publishing it: v<package.json version>, with its CHANGELOG section',
  exec: 'ts-node --transpile-only --project tsconfig.dev.json scripts/release-check.ts',
  receiveArgs: true,
});

// The release: a tag v<version> publishes the package to npm with provenance, from the host's CI (GitHub Actions).
// It runs where the repository is hosted; here nothing publishes. The version and the CHANGELOG section are
// written by hand in the commit that is tagged (see the README's "Release").
new YamlFile(project, '.github/workflows/release.yml', {
  obj: {
    name: 'release',
    on: { push: { tags: ['v*'] } },
    permissions: { 'contents': 'read', 'id-token': 'write' },
    jobs: {
      release: {
        'runs-on': 'ubuntu-latest',
        'timeout-minutes': 90,
        'steps': [
          { uses: 'actions/checkout@v4' },
          { uses: 'actions/setup-node@v4', with: { 'node-version': '20', 'registry-url': 'https://registry.npmjs.org' } },
          { uses: 'actions/setup-go@v5', with: { 'go-version-file': 'e2e/harness/go.mod' } },
          { name: 'BusyBox (the promotion scripts\' tests)', run: 'sudo apt-get update -qq && sudo apt-get install -y -qq busybox' },
          { name: 'the tag is the version, with its CHANGELOG section', run: 'npm ci --no-audit --no-fund && npm run release:check -- "$GITHUB_REF_NAME"' },
          { name: 'everything CI runs', run: 'bash .ci/run' },
          { name: 'pack', run: 'npm run package' },
          {
            name: 'publish with provenance',
            run: 'npm publish .pack/cdk8s-tekton-flux-*.tgz --provenance --access public',
            env: { NODE_AUTH_TOKEN: '${{ secrets.NPM_TOKEN }}' },
          },
        ],
      },
    },
  },
});

project.synth();

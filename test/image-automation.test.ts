import { Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DigestReflection, GitOpsApp, GitRepository, ImagePolicy, ImagePolicyChoice, ImagePolicyField, ImageRepository, ImageUpdateAutomation,
  ImageUpdateStrategy, OCIRepository, SynthError, imagePolicyMarker,
} from '../src';
import { CrdSchemas } from './support/crd-schemas';
import { imageAutomationFleet as fleet } from './support/image-fleet';
import { nameErrors } from './support/k8s-names';
import { modelErrors } from './support/models';
import { crdsDir, find, synth, tempDir } from './util';

const schemas = CrdSchemas.load(crdsDir());

describe('Flux image automation', () => {
  const objects = synth(fleet, 'flux-system');

  test('ImageRepository renders image, interval, timeout, provider, Secrets, ServiceAccount, exclusions, insecure and suspend', () => {
    expect(find(objects, 'ImageRepository', 'web')).toEqual({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageRepository',
      metadata: { name: 'web', namespace: 'flux-system' },
      spec: { image: 'ghcr.io/acme/web', interval: '5m0s' },
    });
    expect(find(objects, 'ImageRepository', 'private').spec).toEqual({
      image: 'registry.example.com:5000/team/api',
      interval: '1m0s',
      timeout: '1m30s',
      provider: 'aws',
      secretRef: { name: 'registry-credentials' },
      certSecretRef: { name: 'registry-ca' },
      serviceAccountName: 'image-pull',
      exclusionList: ['^.*\\.sig$', '^sha256-'],
      insecure: false,
      suspend: true,
    });
  });

  test('ImagePolicy renders semver, numerical and alphabetical policies, tag filters and digest reflection', () => {
    expect(find(objects, 'ImagePolicy', 'web-semver').spec).toEqual({ imageRepositoryRef: { name: 'web' }, policy: { semver: { range: '>=1.0.0 <2.0.0' } } });
    expect(find(objects, 'ImagePolicy', 'web-builds').spec).toEqual({
      imageRepositoryRef: { name: 'web' },
      policy: { numerical: { order: 'asc' } },
      filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
      digestReflectionPolicy: 'Always',
      interval: '30m0s',
    });
    expect(find(objects, 'ImagePolicy', 'web-dates').spec).toEqual({
      imageRepositoryRef: { name: 'shared-images', namespace: 'images' },
      policy: { alphabetical: { order: 'desc' } },
      digestReflectionPolicy: 'IfNotPresent',
      suspend: true,
    });
  });

  test('ImageUpdateAutomation renders the GitRepository, branches, author, message, setters path and policy selector', () => {
    expect(find(objects, 'ImageUpdateAutomation', 'dev-images').spec).toEqual({
      interval: '5m0s',
      sourceRef: { kind: 'GitRepository', name: 'fleet' },
      git: {
        checkout: { ref: { branch: 'main' } },
        commit: { author: { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' }, messageTemplate: 'dev: {{range .Changed.Changes}}{{.NewValue}} {{end}}' },
        push: { branch: 'image-updates' },
      },
      update: { strategy: 'Setters', path: './envs/dev' },
      policySelector: { matchLabels: { 'app.kubernetes.io/part-of': 'web' } },
    });
    expect(find(objects, 'ImageUpdateAutomation', 'everything').spec).toEqual({
      interval: '10m0s',
      sourceRef: { kind: 'GitRepository', name: 'other-fleet' },
      git: { commit: { author: { email: 'bot@example.com' } } },
      update: { strategy: 'Setters', path: './' },
    });
  });

  test('every object passes the pinned CRD schemas (with their CEL rules) and @kubernetes-models/flux-cd', () => {
    const image = objects.filter((o) => o.apiVersion === 'image.toolkit.fluxcd.io/v1');
    expect(image.map((o) => o.kind).sort()).toEqual(['ImagePolicy', 'ImagePolicy', 'ImagePolicy', 'ImageRepository', 'ImageRepository',
      'ImageUpdateAutomation', 'ImageUpdateAutomation']);
    expect(objects.filter((o) => !schemas.has(o.apiVersion, o.kind))).toEqual([]);
    expect(objects.flatMap((o) => schemas.errors(o))).toEqual([]);
    expect(modelErrors(objects)).toEqual([]);
    expect(objects.flatMap(nameErrors)).toEqual([]);
  });

  test('the schema check catches what the constructs never write: an interval without Always, an unknown field', () => {
    const policy = structuredClone(find(objects, 'ImagePolicy', 'web-semver'));
    policy.spec.interval = '1m';
    policy.spec.policyz = {};
    expect(schemas.errors(policy)).toEqual([
      'ImagePolicy/web-semver/spec must NOT have additional properties {"additionalProperty":"policyz"}',
      "ImagePolicy/web-semver/spec spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'",
    ]);
  });

  test('imagePolicyMarker is Flux\'s setter comment, for the whole image or its tag, name or digest', () => {
    synth((s) => {
      const web = new ImageRepository(s, 'web-images', { image: 'ghcr.io/acme/web' });
      const policy = new ImagePolicy(s, 'web', { imageRepository: web, policy: ImagePolicyChoice.semver('>=1.0.0') });
      expect(imagePolicyMarker(policy)).toBe('# {"$imagepolicy": "flux-system:web"}');
      expect(imagePolicyMarker(policy, ImagePolicyField.TAG)).toBe('# {"$imagepolicy": "flux-system:web:tag"}');
      expect(imagePolicyMarker(policy, ImagePolicyField.NAME)).toBe('# {"$imagepolicy": "flux-system:web:name"}');
      expect(imagePolicyMarker(ImagePolicy.fromImagePolicyName(s, 'other', 'api', { namespace: 'apps' }), ImagePolicyField.DIGEST))
        .toBe('# {"$imagepolicy": "apps:api:digest"}');
    }, 'flux-system');
  });

  test.each([
    ['>=1.0.0'], ['1.2.x'], ['~1.4'], ['^1.4.0'], ['>= 1.0.0, < 2.0.0'], ['1.2 - 1.4.5'], ['>=1.0.0-0'], ['1.x || >=2.5.0 <3'], ['*'], ['v1.2.3'],
  ])('semver range %s is accepted', (range) => {
    expect(() => synth((s) => new ImagePolicy(s, 'p', {
      imageRepository: ImageRepository.fromImageRepositoryName(s, 'r', 'r'), policy: ImagePolicyChoice.semver(range),
    }), 'flux-system')).not.toThrow();
  });
});

/** The problems of a failed synth: `[path, code, message]` each. */
function problemsOf(build: (scope: Construct) => void): Array<[string, string, string]> {
  const app = new GitOpsApp({ outdir: tempDir() });
  build(new Chart(app, 'images', { namespace: 'flux-system' }));
  try {
    app.synth();
  } catch (e) {
    if (e instanceof SynthError) return e.problems.map((p) => [p.path, p.code, `${p.message}${p.fix ? `: ${p.fix}` : ''}`]);
    throw e;
  }
  return [];
}

describe('bad input fails the synth with coded problems at the construct path', () => {
  const repo = (s: Construct) => ImageRepository.fromImageRepositoryName(s, 'repo', 'web');
  const git = (s: Construct) => new GitRepository(s, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' });
  const author = { email: 'bot@example.com' };

  test.each<[string, (s: Construct) => void, Array<[string, string, RegExp]>]>([
    ['an image with a tag', (s) => new ImageRepository(s, 'web', { image: 'ghcr.io/acme/web:1.4.2' }),
      [['images/web', 'invalid-image', /^image 'ghcr.io\/acme\/web:1.4.2' has a tag or digest: .*write it without \(e.g. 'ghcr.io\/acme\/web'\)$/]]],
    ['an image with a digest', (s) => new ImageRepository(s, 'web', { image: `ghcr.io/acme/web@sha256:${'a'.repeat(64)}` }),
      [['images/web', 'invalid-image', /has a tag or digest/]]],
    ['an image with a scheme', (s) => new ImageRepository(s, 'web', { image: 'https://ghcr.io/acme/web' }),
      [['images/web', 'invalid-image', /starts with a URL scheme/]]],
    ['an image that is no reference', (s) => new ImageRepository(s, 'web', { image: 'ghcr.io/Acme/web app' }),
      [['images/web', 'invalid-image', /is not a valid image reference/]]],
    ['an hour-long scan timeout', (s) => new ImageRepository(s, 'web', { image: 'ghcr.io/acme/web', timeout: Duration.hours(1) }),
      [['images/web', 'invalid-duration', /^timeout 1h0m0s is an hour or longer/]]],
    ['a zero interval', (s) => new ImageRepository(s, 'web', { image: 'ghcr.io/acme/web', interval: Duration.seconds(0) }),
      [['images/web', 'invalid-duration', /^interval must be longer than 0/]]],
    ['a bad Secret name', (s) => new ImageRepository(s, 'web', { image: 'ghcr.io/acme/web', secretName: 'Registry Creds' }),
      [['images/web', 'invalid-secret-name', /^secretName 'Registry Creds' is not a valid Secret name/]]],
    ['a Perl-only exclusion pattern', (s) => new ImageRepository(s, 'web', { image: 'ghcr.io/acme/web', exclusionList: ['^(?!v).*'] }),
      [['images/web', 'invalid-regex', /^exclusionList\[0\] '\^\(\?!v\)\.\*' is not a Go regular expression: .*invalid or unsupported Perl syntax/]]],
    ['a semver range that is none', (s) => new ImagePolicy(s, 'p', { imageRepository: repo(s), policy: ImagePolicyChoice.semver('latest') }),
      [['images/p', 'invalid-semver-range', /^semver range 'latest' is not a semver range/]]],
    ['an unclosed tag pattern', (s) => new ImagePolicy(s, 'p', {
      imageRepository: repo(s), policy: ImagePolicyChoice.numerical(), filterTags: { pattern: '^main-(?P<ts>[0-9]+' },
    }), [['images/p', 'invalid-regex', /^filterTags.pattern .* missing closing \)/]]],
    ['an extract of a group the pattern lacks', (s) => new ImagePolicy(s, 'p', {
      imageRepository: repo(s), policy: ImagePolicyChoice.numerical(), filterTags: { pattern: '^main-(?P<ts>[0-9]+)$', extract: '$build' },
    }), [['images/p', 'invalid-regex', /^filterTags.extract '\$build' refers to 'build', which filterTags.pattern .* does not capture/]]],
    ['a digest interval of zero', (s) => new ImagePolicy(s, 'p', {
      imageRepository: repo(s), policy: ImagePolicyChoice.semver('>=1.0.0'), digestReflection: DigestReflection.always(Duration.seconds(0)),
    }), [['images/p', 'invalid-duration', /^digestReflection interval must be longer than 0/]]],
    ['a repository of another namespace', (s) => new ImagePolicy(s, 'p', {
      imageRepository: new ImageRepository(s, 'web', { image: 'ghcr.io/acme/web', namespace: 'images' }), policy: ImagePolicyChoice.semver('>=1.0.0'),
    }), [['images/p', 'cross-namespace-reference', /^imageRepository 'web' is in namespace 'images', the policy in 'flux-system'/]]],
    ['an OCIRepository as the git source', (s) => new ImageUpdateAutomation(s, 'a', {
      gitRepository: new OCIRepository(s, 'oci', { url: 'oci://ghcr.io/acme/manifests' }), author,
    }), [['images/a', 'wrong-kind', /^gitRepository 'oci' is a OCIRepository: an ImageUpdateAutomation commits to a GitRepository$/]]],
    ['a GitRepository on a tag with no branch to push to', (s) => new ImageUpdateAutomation(s, 'a', {
      gitRepository: new GitRepository(s, 'fleet', { url: 'https://github.com/acme/fleet.git', ref: { tag: 'v1' } }), author,
    }), [['images/a', 'no-push-branch', /^gitRepository 'fleet' follows no branch.*: set checkoutBranch or pushBranch$/]]],
    ['a bad push branch', (s) => new ImageUpdateAutomation(s, 'a', { gitRepository: git(s), author, pushBranch: 'image updates' }),
      [['images/a', 'invalid-branch', /^pushBranch 'image updates' is not a valid git branch name/]]],
    ['an author without an email address', (s) => new ImageUpdateAutomation(s, 'a', { gitRepository: git(s), author: { email: 'fluxcdbot' } }),
      [['images/a', 'invalid-email', /^author email 'fluxcdbot' is not an email address/]]],
    ['a template with .Updated', (s) => new ImageUpdateAutomation(s, 'a', {
      gitRepository: git(s), author, messageTemplate: '{{range .Updated.Images}}{{.}}{{end}}',
    }), [['images/a', 'invalid-template', /uses '.Updated', which image.toolkit.fluxcd.io\/v1 removed.*: use '.Changed'/]]],
    ['a template with an unclosed action', (s) => new ImageUpdateAutomation(s, 'a', { gitRepository: git(s), author, messageTemplate: 'update {{.Changed' }),
      [['images/a', 'invalid-template', /do not pair up/]]],
    ['an update path outside the repository', (s) => new ImageUpdateAutomation(s, 'a', {
      gitRepository: git(s), author, update: ImageUpdateStrategy.setters('../other'),
    }), [['images/a', 'invalid-path', /^update path '..\/other' is not a folder of the repository/]]],
    ['a bad policy selector', (s) => new ImageUpdateAutomation(s, 'a', { gitRepository: git(s), author, policySelector: { 'team name': 'web' } }),
      [['images/a', 'invalid-label', /^policySelector key 'team name' is not a valid label key/]]],
  ])('%s', (_name, build, expected) => {
    const problems = problemsOf(build);
    expect(problems).toHaveLength(expected.length);
    problems.forEach(([path, code, message], i) => {
      expect([path, code]).toEqual([expected[i][0], expected[i][1]]);
      expect(message).toMatch(expected[i][2]);
    });
  });

  test('a valid app has none', () => expect(problemsOf((s) => fleet(s))).toEqual([]));
});

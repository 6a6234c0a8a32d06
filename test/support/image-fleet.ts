import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import {
  DigestReflection, GitRepository, ImagePolicy, ImagePolicyChoice, ImagePolicyOrder, ImageRegistryProvider, ImageRepository,
  ImageUpdateAutomation, ImageUpdateStrategy,
} from '../../src';

/** Every image automation construct in every shape: repositories, the three policies, automations. */
export function imageAutomationFleet(s: Construct) {
  const fleetRepo = new GitRepository(s, 'fleet', { url: 'https://github.com/acme/fleet.git', branch: 'main' });
  const web = new ImageRepository(s, 'web', { image: 'ghcr.io/acme/web' });
  new ImageRepository(s, 'private', {
    image: 'registry.example.com:5000/team/api',
    interval: Duration.minutes(1),
    timeout: Duration.seconds(90),
    provider: ImageRegistryProvider.AWS,
    secretName: 'registry-credentials',
    certSecretName: 'registry-ca',
    serviceAccountName: 'image-pull',
    exclusionList: ['^.*\\.sig$', '^sha256-'],
    insecure: false,
    suspend: true,
  });
  new ImagePolicy(s, 'web-semver', { imageRepository: web, policy: ImagePolicyChoice.semver('>=1.0.0 <2.0.0') });
  new ImagePolicy(s, 'web-builds', {
    imageRepository: web,
    policy: ImagePolicyChoice.numerical(),
    filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
    digestReflection: DigestReflection.always(Duration.minutes(30)),
  });
  new ImagePolicy(s, 'web-dates', {
    imageRepository: ImageRepository.fromImageRepositoryName(s, 'shared', 'shared-images', { namespace: 'images' }),
    policy: ImagePolicyChoice.alphabetical(ImagePolicyOrder.DESCENDING),
    digestReflection: DigestReflection.IF_NOT_PRESENT,
    suspend: true,
  });
  new ImageUpdateAutomation(s, 'dev-images', {
    gitRepository: fleetRepo,
    author: { name: 'fluxcdbot', email: 'fluxcdbot@users.noreply.github.com' },
    messageTemplate: 'dev: {{range .Changed.Changes}}{{.NewValue}} {{end}}',
    update: ImageUpdateStrategy.setters('./envs/dev'),
    pushBranch: 'image-updates',
    checkoutBranch: 'main',
    interval: Duration.minutes(5),
    policySelector: { 'app.kubernetes.io/part-of': 'web' },
  });
  new ImageUpdateAutomation(s, 'everything', {
    gitRepository: GitRepository.fromGitRepositoryName(s, 'other', 'other-fleet', { namespace: 'flux-system' }),
    author: { email: 'bot@example.com' },
  });
}

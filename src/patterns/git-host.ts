/**
 * A Git host's API, as the steps' scripts speak it: its name (`PROVIDER` in the scripts), how it is called in
 * messages, its public API's base URL, and the shape of its repository paths. One table for commit statuses
 * (GitHub, GitLab, Gitea) and pull requests (GitHub, GitLab).
 * @internal
 */
export class GitHost {
  public static readonly GITHUB = new GitHost('github', 'GitHub', 'https://api.github.com', false);
  public static readonly GITLAB = new GitHost('gitlab', 'GitLab', 'https://gitlab.com/api/v4', true);
  /** Gitea and Forgejo: self-hosted only, so no public API. */
  public static readonly GITEA = new GitHost('gitea', 'Gitea', undefined, false);

  private constructor(
    /** PROVIDER in the scripts. */
    public readonly name: 'github' | 'gitlab' | 'gitea',
    /** Its name in messages. */
    public readonly label: string,
    /** The public API's base URL, if it has one. */
    public readonly defaultApiUrl: string | undefined,
    /** Whether repository paths may have groups (`group/subgroup/name`), or are `owner/name` only. */
    public readonly nested: boolean,
  ) {}
}

/**
 * GitHub REST reply bodies for the GitHub stub, with every property GitHub's OpenAPI description
 * marks required at the top level (`simple-user`, `full-repository`, `issue`, `pull-request`,
 * `issue-comment`, `label`, `status`, `check-run`, `pull-request-review`, `installation`…).
 */
export interface StubUser {
  login: string;
  id: number;
  type?: 'User' | 'Bot';
  name?: string | null;
}

const STAMP = '2026-01-01T00:00:00Z';

function urls(base: string, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, `${base}/${k.replace(/_url$/, '')}`]));
}

export function userJson(api: string, u: StubUser) {
  const base = `${api}/users/${u.login}`;
  return {
    login: u.login,
    id: u.id,
    node_id: `U_${u.id}`,
    avatar_url: `${api}/avatars/${u.id}`,
    gravatar_id: '',
    url: base,
    html_url: `${api}/web/${u.login}`,
    type: u.type ?? 'User',
    site_admin: false,
    user_view_type: 'public',
    ...urls(base, [
      'followers_url',
      'following_url',
      'gists_url',
      'starred_url',
      'subscriptions_url',
      'organizations_url',
      'repos_url',
      'events_url',
      'received_events_url',
    ]),
  };
}

/** `public-user` (GET /users/{u}, GET /user for a token). */
export function publicUserJson(api: string, u: StubUser) {
  return {
    ...userJson(api, u),
    name: u.name ?? null,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 1,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: STAMP,
    updated_at: STAMP,
  };
}

const REPO_URL_KEYS = [
  'archive_url',
  'assignees_url',
  'blobs_url',
  'branches_url',
  'collaborators_url',
  'comments_url',
  'commits_url',
  'compare_url',
  'contents_url',
  'contributors_url',
  'deployments_url',
  'downloads_url',
  'events_url',
  'forks_url',
  'git_commits_url',
  'git_refs_url',
  'git_tags_url',
  'hooks_url',
  'issue_comment_url',
  'issue_events_url',
  'issues_url',
  'keys_url',
  'labels_url',
  'languages_url',
  'merges_url',
  'milestones_url',
  'notifications_url',
  'pulls_url',
  'releases_url',
  'stargazers_url',
  'statuses_url',
  'subscribers_url',
  'subscription_url',
  'tags_url',
  'teams_url',
  'trees_url',
] as const;

export interface StubRepoView {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  openIssues: number;
  settings: Record<string, boolean>;
  permissions: Record<string, boolean>;
}

/** `full-repository` (GET /repos/{o}/{r}); `minimal` is the `repository` inside PR heads. */
export function repoJson(api: string, r: StubRepoView, minimal = false) {
  const full = `${r.owner}/${r.name}`;
  const base = `${api}/repos/${full}`;
  const repo = {
    id: r.id,
    node_id: `R_${r.id}`,
    name: r.name,
    full_name: full,
    owner: userJson(api, { login: r.owner, id: 1000 + r.id }),
    private: true,
    html_url: `${api}/web/${full}`,
    description: null,
    fork: false,
    url: base,
    ...urls(base, REPO_URL_KEYS),
    clone_url: `${api}/web/${full}.git`,
    git_url: `git://stub/${full}.git`,
    ssh_url: `git@stub:${full}.git`,
    svn_url: `${api}/web/${full}`,
    mirror_url: null,
    homepage: null,
    language: null,
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 1,
    default_branch: r.defaultBranch,
    open_issues: r.openIssues,
    open_issues_count: r.openIssues,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: false,
    has_discussions: false,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: STAMP,
    created_at: STAMP,
    updated_at: STAMP,
    permissions: { ...r.permissions },
  };
  if (minimal) return repo;
  return { ...repo, ...r.settings, network_count: 0, subscribers_count: 0 };
}

export interface StubLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export function labelJson(api: string, full: string, l: StubLabel) {
  return {
    id: l.id,
    node_id: `L_${l.id}`,
    url: `${api}/repos/${full}/labels/${encodeURIComponent(l.name)}`,
    name: l.name,
    description: l.description,
    color: l.color,
    default: false,
  };
}

export function issueJson(
  api: string,
  full: string,
  i: {
    number: number;
    title: string;
    body: string;
    state: string;
    stateReason: string | null;
    user: StubUser;
    labels: StubLabel[];
    assignees: StubUser[];
    comments: number;
    createdAt: string;
    updatedAt: string;
    closedAt: string | null;
    isPull: boolean;
  },
) {
  const base = `${api}/repos/${full}/issues/${i.number}`;
  return {
    id: 5000 + i.number,
    node_id: `I_${i.number}`,
    url: base,
    repository_url: `${api}/repos/${full}`,
    labels_url: `${base}/labels{/name}`,
    comments_url: `${base}/comments`,
    events_url: `${base}/events`,
    html_url: `${api}/web/${full}/issues/${i.number}`,
    number: i.number,
    state: i.state,
    state_reason: i.stateReason,
    title: i.title,
    body: i.body,
    user: userJson(api, i.user),
    labels: i.labels.map((l) => labelJson(api, full, l)),
    assignee: i.assignees[0] ? userJson(api, i.assignees[0]) : null,
    assignees: i.assignees.map((a) => userJson(api, a)),
    milestone: null,
    locked: false,
    comments: i.comments,
    closed_at: i.closedAt,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    author_association: 'OWNER',
    ...(i.isPull
      ? {
          pull_request: {
            url: `${api}/repos/${full}/pulls/${i.number}`,
            html_url: `${api}/web/${full}/pull/${i.number}`,
            diff_url: `${api}/web/${full}/pull/${i.number}.diff`,
            patch_url: `${api}/web/${full}/pull/${i.number}.patch`,
          },
        }
      : {}),
  };
}

export function commentJson(
  api: string,
  full: string,
  c: {
    id: number;
    issue: number;
    body: string;
    user: StubUser;
    createdAt: string;
    updatedAt: string;
  },
) {
  return {
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${api}/repos/${full}/issues/comments/${c.id}`,
    html_url: `${api}/web/${full}/issues/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${api}/repos/${full}/issues/${c.issue}`,
    body: c.body,
    user: userJson(api, c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    author_association: 'OWNER',
  };
}

/** Pull-request, status, check-run, review and git-ref reply bodies for the GitHub stub. */
import { repoJson, userJson, type StubRepoView, type StubUser } from './github-stub-json.js';

export type MergeableState =
  'clean' | 'dirty' | 'blocked' | 'behind' | 'unstable' | 'draft' | 'unknown' | 'has_hooks';

export interface GithubStubPull {
  number: number;
  head: string;
  headSha: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeSha: string | null;
  /** GitHub's background mergeability: null while it computes (after a push). */
  mergeable: boolean | null;
  mergeableState: MergeableState;
  /** While `mergeable` is null: GET /pulls/{n} reads left until it is computed. */
  computeReads: number;
  user: StubUser;
  createdAt: string;
}

export interface GithubStubStatus {
  id: number;
  state: string;
  context: string;
  description: string | null;
  target_url: string | null;
  createdAt: string;
}

export interface GithubStubCheckRun {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
}

export interface GithubStubReview {
  id: number;
  prNumber: number;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'PENDING' | 'DISMISSED';
  body: string;
  user: StubUser;
  submittedAt: string;
}

function branchJson(api: string, repo: StubRepoView, ref: string, sha: string) {
  return {
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: userJson(api, { login: repo.owner, id: 1000 + repo.id }),
    repo: repoJson(api, repo, true),
  };
}

/** `pull-request` (full) or `pull-request-simple` (lists). */
export function pullJson(
  api: string,
  repo: StubRepoView,
  p: GithubStubPull,
  baseSha: string,
  full: boolean,
) {
  const name = `${repo.owner}/${repo.name}`;
  const url = `${api}/repos/${name}/pulls/${p.number}`;
  const html = `${api}/web/${name}/pull/${p.number}`;
  const simple = {
    url,
    id: 9000 + p.number,
    node_id: `PR_${p.number}`,
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: `${api}/repos/${name}/issues/${p.number}`,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/repos/${name}/pulls/comments{/number}`,
    comments_url: `${api}/repos/${name}/issues/${p.number}/comments`,
    statuses_url: `${api}/repos/${name}/statuses/${p.headSha}`,
    number: p.number,
    state: p.state,
    locked: false,
    title: p.title,
    user: userJson(api, p.user),
    body: p.body,
    labels: [],
    milestone: null,
    created_at: p.createdAt,
    updated_at: p.createdAt,
    closed_at: p.state === 'closed' ? p.createdAt : null,
    merged_at: p.merged ? p.createdAt : null,
    merge_commit_sha: p.mergeSha,
    assignee: null,
    head: branchJson(api, repo, p.head, p.headSha),
    base: branchJson(api, repo, p.base, baseSha),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: `${api}/repos/${name}/issues/${p.number}` },
      comments: { href: `${api}/repos/${name}/issues/${p.number}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/repos/${name}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${api}/repos/${name}/statuses/${p.headSha}` },
    },
    author_association: 'OWNER',
    auto_merge: null,
    draft: p.mergeableState === 'draft',
  };
  if (!full) return simple;
  return {
    ...simple,
    merged: p.merged,
    mergeable: p.mergeable,
    mergeable_state: p.mergeableState,
    merged_by: p.merged ? userJson(api, { login: 'orch-bot', id: 42 }) : null,
    maintainer_can_modify: false,
    comments: 0,
    review_comments: 0,
    commits: 1,
    additions: 1,
    deletions: 0,
    changed_files: 1,
  };
}

export function statusJson(api: string, full: string, s: GithubStubStatus, creator: StubUser) {
  return {
    url: `${api}/repos/${full}/statuses/${s.id}`,
    avatar_url: null,
    id: s.id,
    node_id: `S_${s.id}`,
    state: s.state,
    description: s.description,
    target_url: s.target_url,
    context: s.context,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    creator: userJson(api, creator),
  };
}

export function checkRunJson(api: string, full: string, sha: string, c: GithubStubCheckRun) {
  return {
    id: c.id,
    node_id: `CR_${c.id}`,
    head_sha: sha,
    name: c.name,
    external_id: null,
    url: `${api}/repos/${full}/check-runs/${c.id}`,
    html_url: `${api}/web/${full}/runs/${c.id}`,
    details_url: null,
    status: c.status,
    conclusion: c.conclusion,
    started_at: '2026-01-01T00:00:00Z',
    completed_at: c.status === 'completed' ? '2026-01-01T00:01:00Z' : null,
    output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: '' },
    check_suite: { id: 1 },
    app: null,
    pull_requests: [],
  };
}

export function reviewJson(api: string, full: string, r: GithubStubReview, commitId: string) {
  const html = `${api}/web/${full}/pull/${r.prNumber}#pullrequestreview-${r.id}`;
  return {
    id: r.id,
    node_id: `PRR_${r.id}`,
    user: userJson(api, r.user),
    body: r.body,
    state: r.state,
    html_url: html,
    pull_request_url: `${api}/repos/${full}/pulls/${r.prNumber}`,
    _links: {
      html: { href: html },
      pull_request: { href: `${api}/repos/${full}/pulls/${r.prNumber}` },
    },
    ...(r.state === 'PENDING' ? {} : { submitted_at: r.submittedAt }),
    commit_id: commitId,
    author_association: 'MEMBER',
  };
}

export function refJson(api: string, full: string, branch: string, sha: string) {
  return {
    ref: `refs/heads/${branch}`,
    node_id: `REF_${branch}`,
    url: `${api}/repos/${full}/git/refs/heads/${branch}`,
    object: { type: 'commit', sha, url: `${api}/repos/${full}/git/commits/${sha}` },
  };
}

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { StubServer, type RecordedRequest, type StubResponse } from './stub-server.js';

export interface GiteaStubPull {
  number: number;
  head: string;
  headSha: string;
  base: string;
  title: string;
  body: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergeSha: string | null;
  /**
   * Gitea's mergeability (models/issues PullRequestStatus): after every push the PR is
   * `checking` until its background conflict check ran; `conflict` if it found one.
   */
  status: 'checking' | 'mergeable' | 'conflict';
  /** While `checking`: GET /pulls/{n} reads left until the check finishes (a view triggers it). */
  checkReads: number;
  /** Title starts with WIP: Gitea refuses to merge. */
  wip: boolean;
  approvals: number;
}

/** A submitted review (Gitea `PullReview`; `state` is its ReviewStateType). */
export interface GiteaStubReview {
  id: number;
  prNumber: number;
  state: 'APPROVED' | 'REQUEST_CHANGES' | 'COMMENT' | 'PENDING' | 'REQUEST_REVIEW';
  body: string;
  login: string;
  submittedAt: string;
  dismissed: boolean;
}

/** Repository settings (Gitea `Repository` allow_* flags) and branch protection of the base. */
export interface GiteaStubSettings {
  allow_merge_commits: boolean;
  allow_rebase: boolean;
  allow_rebase_explicit: boolean;
  allow_squash_merge: boolean;
  allow_fast_forward_only_merge: boolean;
  default_merge_style: string;
  /** Branch protection: contexts that must be `success` on the head (enable_status_check). */
  requiredContexts: string[];
  requiredApprovals: number;
  /** False when the token's user may not merge (not a writer / not in the merge whitelist). */
  userCanMerge: boolean;
}

export interface GiteaStubRepo {
  defaultBranch: string;
  /** branch → head sha */
  branches: Map<string, string>;
  pulls: GiteaStubPull[];
  /** sha → statuses, newest last */
  statuses: Map<
    string,
    { state: string; context: string; description: string; target_url?: string }[]
  >;
  /** PR numbers whose next merge answers 409 "merge add conflicts". */
  conflicts: Set<number>;
  reviews: GiteaStubReview[];
  settings: GiteaStubSettings;
}

const STYLE_SETTING: Record<string, keyof GiteaStubSettings> = {
  merge: 'allow_merge_commits',
  rebase: 'allow_rebase',
  'rebase-merge': 'allow_rebase_explicit',
  squash: 'allow_squash_merge',
  'fast-forward-only': 'allow_fast_forward_only_merge',
};

const REPO_RE = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)(\/.*)?$/;

export function fakeSha(): string {
  return randomBytes(20).toString('hex');
}

/**
 * Just enough of Gitea's REST API (`/api/v1/repos/{owner}/{repo}/…`, `Authorization: token`)
 * for the Gitea client: repo info (with merge-style settings), branch creation, PR
 * list/create/get and get by base/head, the current user, commit statuses and the combined
 * status, PR reviews (list), and a merge that answers as Gitea's handler does (routers/api/v1/repo/pull.go
 * MergePullRequest, same order of checks and the same `message`s): 405 "" already merged,
 * "User not allowed to merge PR", "Work in progress PRs cannot be merged", "Please try again
 * later" while the PR is checking or conflicted, the branch-protection reason, "<style> is not
 * allowed an allowed merge style for this repository"; 409 "head out of date" and conflicts.
 * A push puts the PR back into `checking`. Every request is recorded.
 */
export class GiteaStub extends StubServer {
  readonly repos = new Map<string, GiteaStubRepo>();

  constructor(readonly token = 'gitea-test-token') {
    super((req) => this.#route(req));
  }

  addRepo(fullName: string, defaultBranch = 'main'): GiteaStubRepo {
    const repo: GiteaStubRepo = {
      defaultBranch,
      branches: new Map([[defaultBranch, fakeSha()]]),
      pulls: [],
      statuses: new Map(),
      conflicts: new Set(),
      reviews: [],
      settings: {
        allow_merge_commits: true,
        allow_rebase: true,
        allow_rebase_explicit: true,
        allow_squash_merge: true,
        allow_fast_forward_only_merge: false,
        default_merge_style: 'merge',
        requiredContexts: [],
        requiredApprovals: 0,
        userCanMerge: true,
      },
    };
    this.repos.set(fullName, repo);
    return repo;
  }

  /**
   * When set, branch heads are read from real bare repos at `<gitRoot>/<owner>/<name>.git` before
   * every request, so PR head SHAs and `head_commit_id` checks see what agents really pushed.
   */
  gitRoot: string | null = null;

  #syncFromGit(fullName: string): void {
    let refs = '';
    try {
      refs = execFileSync(
        'git',
        ['for-each-ref', '--format=%(refname:short) %(objectname)', 'refs/heads'],
        {
          cwd: `${this.gitRoot}/${fullName}.git`,
          encoding: 'utf8',
        },
      );
    } catch {
      return;
    }
    for (const line of refs.trim().split('\n').filter(Boolean)) {
      const [branch, sha] = line.split(' ') as [string, string];
      const repo = this.repos.get(fullName)!;
      const pr = repo.pulls.find((p) => p.head === branch && p.merged);
      if (!pr) this.push(fullName, branch, sha);
    }
  }

  /** A person's review of PR `prNumber` (submitted now unless `submittedAt` says otherwise). */
  addReview(
    fullName: string,
    prNumber: number,
    r: Partial<Omit<GiteaStubReview, 'id' | 'prNumber'>> & Pick<GiteaStubReview, 'state'>,
  ): GiteaStubReview {
    const repo = this.repos.get(fullName)!;
    const review: GiteaStubReview = {
      body: '',
      login: 'reviewer',
      submittedAt: new Date().toISOString(),
      dismissed: false,
      ...r,
      id: 100 + repo.reviews.length,
      prNumber,
    };
    repo.reviews.push(review);
    return review;
  }

  /** Simulates a push: moves a branch (and any open PR from it) to `sha`. */
  push(fullName: string, branch: string, sha = fakeSha()): string {
    const repo = this.repos.get(fullName)!;
    repo.branches.set(branch, sha);
    for (const pr of repo.pulls) {
      if (pr.head !== branch || pr.state !== 'open' || pr.headSha === sha) continue;
      pr.headSha = sha;
      if (pr.status !== 'conflict') pr.status = 'checking';
    }
    return sha;
  }

  #route(req: RecordedRequest): StubResponse {
    if (req.headers.authorization !== `token ${this.token}`) {
      return { status: 401, body: { message: 'token is required' } };
    }
    if (req.method === 'GET' && req.path === '/api/v1/user') {
      return { status: 200, body: { id: 1, login: 'orch-bot', email: 'orch@example.com' } };
    }
    const m = REPO_RE.exec(req.path);
    const repo = m ? this.repos.get(`${m[1]}/${m[2]}`) : undefined;
    if (!m || !repo) return { status: 404, body: { message: 'repository does not exist' } };
    if (this.gitRoot) this.#syncFromGit(`${m[1]}/${m[2]}`);
    const rest = m[3] ?? '';
    const key = `${req.method} ${rest.replace(/\/[0-9a-f]{40}$/, '/:sha').replace(/\/\d+/g, '/:n')}`;
    const n = Number(/\/pulls\/(\d+)/.exec(rest)?.[1]);
    const pr = repo.pulls.find((p) => p.number === n);
    const byBaseHead = /^\/pulls\/([^/]+)\/(.+)$/.exec(rest);
    if (req.method === 'GET' && byBaseHead && !/^\d+$/.test(byBaseHead[1]!)) {
      const base = decodeURIComponent(byBaseHead[1]!);
      const head = byBaseHead[2]!.split('/').map(decodeURIComponent).join('/');
      // Gitea returns the first PR for the pair (lowest id), closed ones included
      const found = repo.pulls.find((p) => p.base === base && p.head === head);
      return found
        ? { status: 200, body: this.#view(found) }
        : { status: 404, body: { message: 'pull request does not exist' } };
    }
    switch (key) {
      case 'GET ': {
        const st = repo.settings;
        return {
          status: 200,
          body: {
            full_name: `${m[1]}/${m[2]}`,
            default_branch: repo.defaultBranch,
            allow_merge_commits: st.allow_merge_commits,
            allow_rebase: st.allow_rebase,
            allow_rebase_explicit: st.allow_rebase_explicit,
            allow_squash_merge: st.allow_squash_merge,
            allow_fast_forward_only_merge: st.allow_fast_forward_only_merge,
            default_merge_style: st.default_merge_style,
          },
        };
      }
      case 'POST /branches':
        return this.#createBranch(repo, req.body as Record<string, string>);
      case 'GET /pulls':
        return this.#listPulls(repo, req.query);
      case 'POST /pulls':
        return this.#createPull(repo, req.body as Record<string, string>);
      case 'GET /pulls/:n':
        return pr
          ? { status: 200, body: this.#view(pr) }
          : { status: 404, body: { message: 'not found' } };
      case 'GET /pulls/:n/reviews':
        return pr ? this.#listReviews(repo, pr, req.query) : { status: 404 };
      case 'GET /pulls/:n/merge':
        return { status: pr?.merged ? 204 : 404 };
      case 'POST /pulls/:n/merge':
        return pr ? this.#merge(repo, pr, req.body as Record<string, string>) : { status: 404 };
      default:
        return this.#statusRoutes(req, repo, rest);
    }
  }

  #statusRoutes(req: RecordedRequest, repo: GiteaStubRepo, rest: string): StubResponse {
    let m = /^\/statuses\/([^/]+)$/.exec(rest);
    if (m && req.method === 'POST') {
      const list = repo.statuses.get(m[1]!) ?? [];
      const b = req.body as { state: string; context: string; description: string };
      list.push(b);
      repo.statuses.set(m[1]!, list);
      return { status: 201, body: { id: list.length, status: b.state, context: b.context } };
    }
    m = /^\/commits\/([^/]+)\/status$/.exec(rest);
    if (m && req.method === 'GET') {
      const ref = decodeURIComponent(m[1]!);
      const sha = repo.branches.get(ref) ?? ref;
      const latest = new Map((repo.statuses.get(sha) ?? []).map((s) => [s.context, s]));
      const statuses = [...latest.values()].map((s) => ({
        context: s.context,
        status: s.state,
        description: s.description,
      }));
      const states = statuses.map((s) => s.status);
      const state = states.some((s) => s === 'failure' || s === 'error')
        ? 'failure'
        : states.some((s) => s === 'pending')
          ? 'pending'
          : states.length > 0
            ? 'success'
            : '';
      return { status: 200, body: { state, sha, total_count: statuses.length, statuses } };
    }
    return { status: 404, body: { message: 'not found' } };
  }

  /** `GET /pulls/{n}/reviews` (repoListPullReviews): oldest first, `page`/`limit` paged. */
  #listReviews(repo: GiteaStubRepo, pr: GiteaStubPull, query: URLSearchParams): StubResponse {
    const limit = Number(query.get('limit') ?? 30);
    const page = Number(query.get('page') ?? 1);
    const all = repo.reviews.filter((r) => r.prNumber === pr.number);
    const body = all.slice((page - 1) * limit, page * limit).map((r) => ({
      id: r.id,
      body: r.body,
      state: r.state,
      dismissed: r.dismissed,
      stale: false,
      official: r.state !== 'COMMENT',
      commit_id: pr.headSha,
      comments_count: 0,
      team: null,
      user: { id: 7, login: r.login },
      submitted_at: r.submittedAt,
      updated_at: r.submittedAt,
      html_url: `http://gitea.stub/pulls/${pr.number}#pullrequestreview-${r.id}`,
      pull_request_url: `http://gitea.stub/pulls/${pr.number}`,
    }));
    return { status: 200, body };
  }

  #createBranch(repo: GiteaStubRepo, body: Record<string, string>): StubResponse {
    const name = body.new_branch_name ?? '';
    if (repo.branches.has(name))
      return { status: 409, body: { message: 'The branch already exists.' } };
    const from = repo.branches.get(body.old_ref_name ?? body.old_branch_name ?? repo.defaultBranch);
    if (!from) return { status: 404, body: { message: 'old branch does not exist' } };
    repo.branches.set(name, from);
    return { status: 201, body: { name, commit: { id: from } } };
  }

  #listPulls(repo: GiteaStubRepo, query: URLSearchParams): StubResponse {
    const state = query.get('state') ?? 'open';
    const limit = Number(query.get('limit') ?? 30);
    const page = Number(query.get('page') ?? 1);
    const all = repo.pulls
      .filter((p) => state === 'all' || p.state === state)
      .sort((a, b) => b.number - a.number);
    return { status: 200, body: all.slice((page - 1) * limit, page * limit).map(pullJson) };
  }

  #createPull(repo: GiteaStubRepo, body: Record<string, string>): StubResponse {
    const head = body.head ?? '';
    const headSha = repo.branches.get(head);
    if (!headSha) return { status: 404, body: { message: 'head branch does not exist' } };
    if (repo.pulls.some((p) => p.head === head && p.state === 'open')) {
      return { status: 409, body: { message: 'pull request already exists for these targets' } };
    }
    const pr: GiteaStubPull = {
      number: repo.pulls.length + 1,
      head,
      headSha,
      base: body.base ?? repo.defaultBranch,
      title: body.title ?? '',
      body: body.body ?? '',
      state: 'open',
      merged: false,
      mergeSha: null,
      status: 'checking',
      checkReads: 0,
      wip: /^(WIP:|\[WIP\])/i.test(body.title ?? ''),
      approvals: 0,
    };
    repo.pulls.push(pr);
    return { status: 201, body: pullJson(pr) };
  }

  /** GET of a PR: a view makes Gitea run a pending check; `checkReads` views until it is done. */
  #view(pr: GiteaStubPull) {
    if (pr.status === 'checking') {
      if (pr.checkReads <= 0) pr.status = 'mergeable';
      else pr.checkReads--;
    }
    return pullJson(pr);
  }

  #merge(repo: GiteaStubRepo, pr: GiteaStubPull, body: Record<string, string>): StubResponse {
    const refuse = (message: string): StubResponse => ({
      status: 405,
      body: { message, url: `${this.url}/api/swagger` },
    });
    // CheckPullMergeable, in Gitea's order
    if (pr.merged) return refuse('');
    if (!repo.settings.userCanMerge) return refuse('User not allowed to merge PR');
    if (pr.wip) return refuse('Work in progress PRs cannot be merged');
    if (pr.status !== 'mergeable') return refuse('Please try again later');
    const protection = this.#protection(repo, pr);
    if (protection) return refuse(protection);
    // pull_service.Merge
    const style = body.Do ?? body.do ?? 'merge';
    const setting = STYLE_SETTING[style];
    if (!setting || repo.settings[setting] !== true) {
      return refuse(`${style} is not allowed an allowed merge style for this repository`);
    }
    if (body.head_commit_id && body.head_commit_id !== pr.headSha) {
      return { status: 409, body: { message: 'head out of date', url: `${this.url}/api/swagger` } };
    }
    if (repo.conflicts.delete(pr.number)) {
      return { status: 409, body: { Style: style, StdOut: '', StdErr: 'CONFLICT', Err: {} } };
    }
    pr.merged = true;
    pr.state = 'closed';
    pr.mergeSha = fakeSha();
    repo.branches.set(pr.base, pr.mergeSha);
    return { status: 200 };
  }

  /** CheckPullBranchProtections: the first unmet rule's message, or null. */
  #protection(repo: GiteaStubRepo, pr: GiteaStubPull): string | null {
    const latest = new Map((repo.statuses.get(pr.headSha) ?? []).map((s) => [s.context, s.state]));
    if (repo.settings.requiredContexts.some((c) => latest.get(c) !== 'success')) {
      return 'Not all required status checks successful';
    }
    if (pr.approvals < repo.settings.requiredApprovals) return 'Does not have enough approvals';
    return null;
  }
}

function pullJson(p: GiteaStubPull) {
  return {
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    merged: p.merged,
    mergeable: p.status === 'mergeable' && !p.wip,
    merge_commit_sha: p.mergeSha,
    html_url: `http://gitea.stub/pulls/${p.number}`,
    head: { ref: p.head, sha: p.headSha },
    base: { ref: p.base },
  };
}

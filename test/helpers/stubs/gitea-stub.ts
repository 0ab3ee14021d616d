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
}

const REPO_RE = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)(\/.*)?$/;

export function fakeSha(): string {
  return randomBytes(20).toString('hex');
}

/**
 * Just enough of Gitea's REST API (`/api/v1/repos/{owner}/{repo}/…`, `Authorization: token`)
 * for the Gitea client: repo info, branch creation, PR list/create/get, merge with
 * `head_commit_id` (409 "head out of date" when the head moved, 405 when already merged),
 * merged check, commit statuses and the combined status. Every request is recorded.
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

  /** Simulates a push: moves a branch (and any open PR from it) to `sha`. */
  push(fullName: string, branch: string, sha = fakeSha()): string {
    const repo = this.repos.get(fullName)!;
    repo.branches.set(branch, sha);
    for (const pr of repo.pulls) if (pr.head === branch && pr.state === 'open') pr.headSha = sha;
    return sha;
  }

  #route(req: RecordedRequest): StubResponse {
    if (req.headers.authorization !== `token ${this.token}`) {
      return { status: 401, body: { message: 'token is required' } };
    }
    const m = REPO_RE.exec(req.path);
    const repo = m ? this.repos.get(`${m[1]}/${m[2]}`) : undefined;
    if (!m || !repo) return { status: 404, body: { message: 'repository does not exist' } };
    if (this.gitRoot) this.#syncFromGit(`${m[1]}/${m[2]}`);
    const rest = m[3] ?? '';
    const key = `${req.method} ${rest.replace(/\/[0-9a-f]{40}$/, '/:sha').replace(/\/\d+/g, '/:n')}`;
    const n = Number(/\/pulls\/(\d+)/.exec(rest)?.[1]);
    const pr = repo.pulls.find((p) => p.number === n);
    switch (key) {
      case 'GET ':
        return {
          status: 200,
          body: { full_name: `${m[1]}/${m[2]}`, default_branch: repo.defaultBranch },
        };
      case 'POST /branches':
        return this.#createBranch(repo, req.body as Record<string, string>);
      case 'GET /pulls':
        return this.#listPulls(repo, req.query);
      case 'POST /pulls':
        return this.#createPull(repo, req.body as Record<string, string>);
      case 'GET /pulls/:n':
        return pr
          ? { status: 200, body: pullJson(pr) }
          : { status: 404, body: { message: 'not found' } };
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
      list.push(req.body as { state: string; context: string; description: string });
      repo.statuses.set(m[1]!, list);
      return { status: 201, body: { id: list.length, ...(req.body as object) } };
    }
    m = /^\/commits\/([^/]+)\/status$/.exec(rest);
    if (m && req.method === 'GET') {
      const ref = decodeURIComponent(m[1]!);
      const sha = repo.branches.get(ref) ?? ref;
      const latest = new Map((repo.statuses.get(sha) ?? []).map((s) => [s.context, s]));
      const statuses = [...latest.values()];
      const states = statuses.map((s) => s.state);
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
    };
    repo.pulls.push(pr);
    return { status: 201, body: pullJson(pr) };
  }

  #merge(repo: GiteaStubRepo, pr: GiteaStubPull, body: Record<string, string>): StubResponse {
    if (pr.merged) return { status: 405, body: { message: '' } };
    const style = body.Do ?? body.do;
    if (style !== 'merge') return { status: 405, body: { message: 'invalid merge style' } };
    if (body.head_commit_id && body.head_commit_id !== pr.headSha) {
      return { status: 409, body: { message: 'head out of date' } };
    }
    if (repo.conflicts.delete(pr.number))
      return { status: 409, body: { message: 'merge add conflicts' } };
    pr.merged = true;
    pr.state = 'closed';
    pr.mergeSha = fakeSha();
    repo.branches.set(pr.base, pr.mergeSha);
    return { status: 200 };
  }
}

function pullJson(p: GiteaStubPull) {
  return {
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    merged: p.merged,
    merge_commit_sha: p.mergeSha,
    html_url: `http://gitea.stub/pulls/${p.number}`,
    head: { ref: p.head, sha: p.headSha },
    base: { ref: p.base },
  };
}

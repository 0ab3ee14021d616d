import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { StubServer, type RecordedRequest, type StubResponse } from './stub-server.js';
import { serveGitHttp, StubGit } from './github-stub-git.js';
import {
  commentJson,
  issueJson,
  labelJson,
  publicUserJson,
  repoJson,
  userJson,
  type StubLabel,
  type StubRepoView,
  type StubUser,
} from './github-stub-json.js';
import {
  checkRunJson,
  pullJson,
  refJson,
  reviewJson,
  statusJson,
  type GithubStubCheckRun,
  type GithubStubPull,
  type GithubStubReview,
  type GithubStubStatus,
} from './github-stub-pulls.js';

export type {
  GithubStubPull,
  GithubStubReview,
  GithubStubCheckRun,
  MergeableState,
} from './github-stub-pulls.js';

export interface GithubStubIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  stateReason: string | null;
  labels: string[];
  assignees: string[];
  login: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  isPull: boolean;
}

export interface GithubStubComment {
  id: number;
  issue: number;
  body: string;
  login: string;
  createdAt: string;
  updatedAt: string;
}

export interface GithubStubRepo {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  /** branch → head sha */
  branches: Map<string, string>;
  /** Issues and pull requests share numbers; a PR has an issue with `isPull`. */
  issues: GithubStubIssue[];
  pulls: GithubStubPull[];
  comments: GithubStubComment[];
  labels: Map<string, StubLabel>;
  /** sha → statuses, newest last */
  statuses: Map<string, GithubStubStatus[]>;
  checkRuns: Map<string, GithubStubCheckRun[]>;
  reviews: GithubStubReview[];
  /** `allow_merge_commit`, `allow_squash_merge`, `allow_rebase_merge`. */
  settings: {
    allow_merge_commit: boolean;
    allow_squash_merge: boolean;
    allow_rebase_merge: boolean;
  };
  /**
   * Branch protection's required checks (status contexts or check-run names): while one is not
   * green on a PR's head, a mergeable PR is `blocked` (else `clean`) and its merge is refused.
   */
  requiredChecks: string[];
  /** The token user's role (`permissions` of the repository reply); `push` false → merge 403. */
  permissions: { admin: boolean; maintain: boolean; push: boolean; triage: boolean; pull: boolean };
}

export interface GithubStubApp {
  appId: string;
  slug: string;
  publicKeyPem: string;
  installationId: number;
  permissions: Record<string, string>;
  /** Lifetime of installation tokens the stub issues (GitHub: 1 h). */
  tokenTtlMs: number;
}

export function fakeSha(): string {
  return randomBytes(20).toString('hex');
}

const REPO_RE = /^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/;

/**
 * A small in-memory GitHub (REST, `application/vnd.github+json`) on loopback, answering as
 * api.github.com does per its OpenAPI description: users, repos (merge settings, permissions),
 * git refs, pulls (list/create/get; merge with `sha` check, merge-method check and mergeability
 * the test sets: `mergeable` null/true/false + `mergeable_state`), commit statuses and combined
 * status, check runs, reviews, issues (+ PRs in the issues list), comments, labels, and GitHub
 * App auth (JWT verified with the App's public key, installation lookup, installation tokens).
 * Tokens: `stub.token` (a PAT of `orch-bot`, classic scopes `repo`); add more with `addToken`.
 * Every request is recorded; `failNext` scripts rate limits and errors. `enableGit(root)` backs
 * branches with real bare repositories served over git's smart HTTP (github-stub-git.ts).
 */
export class GithubStub extends StubServer {
  readonly repos = new Map<string, GithubStubRepo>();
  readonly users = new Map<string, StubUser>([['orch-bot', { login: 'orch-bot', id: 42 }]]);
  /** token → user login and the `x-oauth-scopes` header (null: a fine-grained token). */
  readonly tokens = new Map<string, { login: string; scopes: string | null }>();
  app: GithubStubApp | null = null;
  /** Installation tokens issued: token → expiry (ms). */
  readonly installationTokens = new Map<string, number>();
  /** `x-ratelimit-*` sent on every reply. */
  quota = { limit: 5000, remaining: 4999, resetSec: 2_000_000_000 };
  now: () => number = () => Date.now();
  /** Real bare repositories behind branches, refs, PR heads and merges (`enableGit`). */
  git: StubGit | null = null;
  #ids = 1;

  constructor(readonly token = 'ghp_stubtoken') {
    super(
      (req) => this.#answer(req),
      (req, body, res) =>
        this.git !== null &&
        serveGitHttp(this.git, req, body, res, (auth) => this.#gitAuthorized(auth)),
    );
    this.tokens.set(token, { login: 'orch-bot', scopes: 'repo, read:org' });
  }

  /**
   * From now on every repository is a real bare one under `root` (existing ones are created with
   * one commit), served at `<stub.url>/<owner>/<name>.git` to `x-access-token:<token>` Basic auth.
   */
  enableGit(root: string): StubGit {
    this.git = new StubGit(root);
    for (const repo of this.repos.values()) {
      const full = `${repo.owner}/${repo.name}`;
      repo.branches = new Map([[repo.defaultBranch, this.git.init(full, repo.defaultBranch)]]);
    }
    return this.git;
  }

  /** Git's Basic auth, as GitHub takes it: any user, a valid token (PAT or installation) as password. */
  #gitAuthorized(authorization: string | undefined): boolean {
    const m = /^Basic\s+(.+)$/i.exec(authorization ?? '');
    if (!m) return false;
    const pass = Buffer.from(m[1]!, 'base64').toString('utf8').split(':').slice(1).join(':');
    const exp = this.installationTokens.get(pass);
    return this.tokens.has(pass) || (exp !== undefined && exp > this.now());
  }

  /** Branch heads as the bare repository has them (pushes by git move open PRs' heads). */
  #syncFromGit(repo: GithubStubRepo): void {
    if (!this.git) return;
    const full = `${repo.owner}/${repo.name}`;
    for (const [branch, sha] of this.git.branches(full)) {
      if (repo.branches.get(branch) !== sha) this.push(full, branch, sha);
    }
  }

  addToken(token: string, login: string, scopes: string | null): void {
    if (!this.users.has(login)) this.users.set(login, { login, id: 100 + this.users.size });
    this.tokens.set(token, { login, scopes });
  }

  enableApp(app: Partial<GithubStubApp> & Pick<GithubStubApp, 'publicKeyPem'>): GithubStubApp {
    this.app = {
      appId: '1234',
      slug: 'orch-app',
      installationId: 77,
      permissions: {
        contents: 'write',
        pull_requests: 'write',
        issues: 'write',
        statuses: 'write',
        metadata: 'read',
      },
      tokenTtlMs: 3_600_000,
      ...app,
    };
    const login = `${this.app.slug}[bot]`;
    this.users.set(login, { login, id: 4242, type: 'Bot' });
    return this.app;
  }

  addRepo(fullName: string, defaultBranch = 'main'): GithubStubRepo {
    const [owner, name] = fullName.split('/') as [string, string];
    const repo: GithubStubRepo = {
      id: this.repos.size + 1,
      owner,
      name,
      defaultBranch,
      branches: new Map([
        [defaultBranch, this.git ? this.git.init(fullName, defaultBranch) : fakeSha()],
      ]),
      issues: [],
      pulls: [],
      comments: [],
      labels: new Map(),
      statuses: new Map(),
      checkRuns: new Map(),
      reviews: [],
      settings: { allow_merge_commit: true, allow_squash_merge: true, allow_rebase_merge: true },
      requiredChecks: [],
      permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    };
    this.repos.set(fullName, repo);
    return repo;
  }

  repo(fullName: string): GithubStubRepo {
    const repo = this.repos.get(fullName);
    if (!repo) throw new Error(`no stub repo ${fullName}`);
    return repo;
  }

  addIssue(fullName: string, i: Partial<GithubStubIssue> & { title: string }): GithubStubIssue {
    const repo = this.repo(fullName);
    const at = new Date(this.now()).toISOString();
    const issue: GithubStubIssue = {
      body: '',
      state: 'open',
      stateReason: null,
      labels: [],
      assignees: [],
      login: 'alice',
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      isPull: false,
      ...i,
      // numbers are shared with PRs; a test may pick one (e.g. a webhook example's)
      number: i.number ?? Math.max(0, ...repo.issues.map((x) => x.number)) + 1,
    };
    for (const l of issue.labels) this.#label(repo, l);
    repo.issues.push(issue);
    return issue;
  }

  addComment(
    fullName: string,
    issue: number,
    c: Partial<GithubStubComment> & { body: string },
  ): GithubStubComment {
    const at = new Date(this.now()).toISOString();
    const comment = {
      login: 'alice',
      createdAt: at,
      updatedAt: at,
      ...c,
      id: 700 + this.#ids++,
      issue,
    };
    this.repo(fullName).comments.push(comment);
    return comment;
  }

  addReview(
    fullName: string,
    prNumber: number,
    r: Pick<GithubStubReview, 'state'> & { body?: string; login?: string; submittedAt?: string },
  ): GithubStubReview {
    const review: GithubStubReview = {
      id: 800 + this.#ids++,
      prNumber,
      state: r.state,
      body: r.body ?? '',
      user: this.#user(r.login ?? 'reviewer'),
      submittedAt: r.submittedAt ?? new Date(this.now()).toISOString(),
    };
    this.repo(fullName).reviews.push(review);
    return review;
  }

  /** A commit status by someone else (a CI), as `POST /statuses/{sha}` would add it. */
  addStatus(fullName: string, sha: string, context: string, state: string): void {
    const repo = this.repo(fullName);
    const st: GithubStubStatus = {
      id: 300 + this.#ids++,
      state,
      context,
      description: `${context} ${state}`,
      target_url: null,
      createdAt: new Date(this.now()).toISOString(),
    };
    repo.statuses.set(sha, [...(repo.statuses.get(sha) ?? []), st]);
  }

  addCheckRun(fullName: string, sha: string, c: Omit<GithubStubCheckRun, 'id'>): void {
    const repo = this.repo(fullName);
    repo.checkRuns.set(sha, [...(repo.checkRuns.get(sha) ?? []), { ...c, id: 900 + this.#ids++ }]);
  }

  /**
   * Simulates a push: moves a branch; open PRs from it get the new head and recompute
   * mergeability. With real git, no `sha` makes a new commit on the branch (or on the default
   * branch's head for a new one).
   */
  push(fullName: string, branch: string, given?: string): string {
    const repo = this.repo(fullName);
    let sha = given ?? fakeSha();
    if (this.git) {
      if (given === undefined) {
        if (!repo.branches.has(branch)) {
          this.git.setBranch(fullName, branch, repo.branches.get(repo.defaultBranch)!);
        }
        sha = this.git.commitOn(fullName, branch);
      } else this.git.setBranch(fullName, branch, sha);
    }
    repo.branches.set(branch, sha);
    for (const pr of repo.pulls) {
      if (pr.head !== branch || pr.state !== 'open' || pr.headSha === sha) continue;
      pr.headSha = sha;
      pr.mergeable = null;
      pr.mergeableState = 'unknown';
      pr.computeReads = 0;
    }
    return sha;
  }

  pull(fullName: string, n: number): GithubStubPull {
    const pr = this.repo(fullName).pulls.find((p) => p.number === n);
    if (!pr) throw new Error(`no stub PR #${n}`);
    return pr;
  }

  #user(login: string): StubUser {
    let u = this.users.get(login);
    if (!u) {
      u = { login, id: 100 + this.users.size };
      this.users.set(login, u);
    }
    return u;
  }

  #label(repo: GithubStubRepo, name: string): StubLabel {
    let l = repo.labels.get(name);
    if (!l) {
      l = { id: 600 + this.#ids++, name, color: 'ededed', description: null };
      repo.labels.set(name, l);
    }
    return l;
  }

  #view(repo: GithubStubRepo): StubRepoView {
    return {
      id: repo.id,
      owner: repo.owner,
      name: repo.name,
      defaultBranch: repo.defaultBranch,
      openIssues: repo.issues.filter((i) => i.state === 'open').length,
      settings: repo.settings,
      permissions: repo.permissions,
    };
  }

  #answer(req: RecordedRequest): StubResponse {
    const res = this.#route(req);
    return {
      ...res,
      headers: {
        'x-ratelimit-limit': String(this.quota.limit),
        'x-ratelimit-remaining': String(this.quota.remaining),
        'x-ratelimit-reset': String(this.quota.resetSec),
        ...res.headers,
      },
    };
  }

  /** Who the Authorization header is: a token user, the App (JWT), or an installation. */
  #caller(req: RecordedRequest): { kind: 'user' | 'app' | 'installation'; login: string } | null {
    const m = /^(?:Bearer|token)\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const cred = m?.[1];
    if (!cred) return null;
    const pat = this.tokens.get(cred);
    if (pat) return { kind: 'user', login: pat.login };
    const exp = this.installationTokens.get(cred);
    if (this.app && exp !== undefined && exp > this.now()) {
      return { kind: 'installation', login: `${this.app.slug}[bot]` };
    }
    if (this.app && this.#validJwt(cred)) return { kind: 'app', login: this.app.slug };
    return null;
  }

  #validJwt(jwt: string): boolean {
    const [h, p, s] = jwt.split('.');
    if (!this.app || !h || !p || !s) return false;
    const key = createPublicKey(this.app.publicKeyPem);
    if (!verify('sha256', Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) return false;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, number>;
    const now = this.now() / 1000;
    return (
      String(claims.iss) === this.app.appId &&
      claims.iat! <= now &&
      claims.exp! > now &&
      claims.exp! - claims.iat! <= 600
    );
  }

  #route(req: RecordedRequest): StubResponse {
    if (req.headers['x-github-api-version'] !== '2022-11-28' || !req.headers['user-agent']) {
      return { status: 400, body: { message: 'missing API version or User-Agent' } };
    }
    const caller = this.#caller(req);
    if (!caller) return { status: 401, body: { message: 'Bad credentials' } };
    const api = this.url;
    if (caller.kind === 'app') return this.#appRoute(req);
    if (req.method === 'GET' && req.path === '/user' && caller.kind === 'user') {
      const scopes = this.tokens.get(/\s(.+)$/.exec(req.headers.authorization!)![1]!)!.scopes;
      return {
        status: 200,
        body: publicUserJson(api, this.#user(caller.login)),
        headers: scopes === null ? {} : { 'x-oauth-scopes': scopes },
      };
    }
    let m = /^\/users\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && m) {
      const u = this.users.get(decodeURIComponent(m[1]!));
      return u ? { status: 200, body: publicUserJson(api, u) } : notFound();
    }
    m = /^\/user\/(\d+)$/.exec(req.path);
    if (req.method === 'GET' && m) {
      const u = [...this.users.values()].find((x) => x.id === Number(m![1]));
      return u ? { status: 200, body: publicUserJson(api, u) } : notFound();
    }
    m = REPO_RE.exec(req.path);
    const repo = m ? this.repos.get(`${m[1]}/${m[2]}`) : undefined;
    if (!m || !repo) return notFound();
    this.#syncFromGit(repo);
    return this.#repoRoute(req, repo, m[3] ?? '', this.#user(caller.login));
  }

  #appRoute(req: RecordedRequest): StubResponse {
    const app = this.app!;
    const api = this.url;
    if (req.method === 'GET' && req.path === '/app') {
      return {
        status: 200,
        body: {
          id: Number(app.appId),
          slug: app.slug,
          node_id: `A_${app.appId}`,
          client_id: 'Iv1.stub',
          owner: userJson(api, { login: 'acme', id: 9 }),
          name: 'Orch App',
          description: null,
          external_url: api,
          html_url: `${api}/web/apps/${app.slug}`,
          created_at: '2026-01-01T00:00:00Z',
          updated_at: '2026-01-01T00:00:00Z',
          permissions: app.permissions,
          events: ['issues', 'pull_request'],
        },
      };
    }
    const inst = /^\/repos\/([^/]+)\/([^/]+)\/installation$/.exec(req.path);
    if (req.method === 'GET' && inst) {
      if (!this.repos.has(`${inst[1]}/${inst[2]}`)) return notFound();
      return { status: 200, body: this.#installationJson(inst[1]!) };
    }
    const tok = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(req.path);
    if (req.method === 'POST' && tok) {
      if (Number(tok[1]) !== app.installationId) return notFound();
      const token = `ghs_${randomBytes(12).toString('hex')}`;
      const expiresAtMs = this.now() + app.tokenTtlMs;
      this.installationTokens.set(token, expiresAtMs);
      return {
        status: 201,
        body: {
          token,
          expires_at: new Date(expiresAtMs).toISOString(),
          permissions: app.permissions,
          repository_selection: 'all',
        },
      };
    }
    return { status: 403, body: { message: 'A JSON web token could not be decoded' } };
  }

  #installationJson(owner: string) {
    const app = this.app!;
    const api = this.url;
    return {
      id: app.installationId,
      account: userJson(api, { login: owner, id: 9 }),
      repository_selection: 'all',
      access_tokens_url: `${api}/app/installations/${app.installationId}/access_tokens`,
      repositories_url: `${api}/installation/repositories`,
      html_url: `${api}/web/installations/${app.installationId}`,
      app_id: Number(app.appId),
      app_slug: app.slug,
      target_id: 9,
      target_type: 'Organization',
      permissions: app.permissions,
      events: ['issues'],
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
      single_file_name: null,
      suspended_by: null,
      suspended_at: null,
    };
  }

  #repoRoute(req: RecordedRequest, repo: GithubStubRepo, rest: string, me: StubUser): StubResponse {
    const api = this.url;
    const full = `${repo.owner}/${repo.name}`;
    const key = `${req.method} ${rest.replace(/\/\d+(?=\/|$)/g, '/:n')}`;
    const n = Number(/^\/(?:pulls|issues)\/(\d+)/.exec(rest)?.[1]);
    switch (key) {
      case 'GET ':
        return { status: 200, body: repoJson(api, this.#view(repo)) };
      case 'POST /git/refs':
        return this.#createRef(repo, req.body as { ref: string; sha: string });
      case 'GET /pulls':
        return this.#listPulls(repo, req.query);
      case 'POST /pulls':
        return this.#createPull(repo, req.body as Record<string, string>, me);
      case 'GET /pulls/:n': {
        const pr = repo.pulls.find((p) => p.number === n);
        if (!pr) return notFound();
        if (pr.mergeable === null && pr.state === 'open' && pr.computeReads-- <= 0) {
          pr.mergeable = true;
          pr.mergeableState = 'clean';
        }
        this.#protect(repo, pr);
        return { status: 200, body: this.#pullJson(repo, pr, true) };
      }
      case 'PUT /pulls/:n/merge':
        return this.#merge(repo, n, (req.body ?? {}) as Record<string, string>);
      case 'GET /pulls/:n/reviews':
        return this.#page(
          req.query,
          repo.reviews
            .filter((r) => r.prNumber === n)
            .map((r) => reviewJson(api, full, r, this.pull(full, n).headSha)),
        );
      default:
        return this.#statusRoute(req, repo, rest, me) ?? this.#issueRoute(req, repo, rest, me);
    }
  }

  /** Branch protection: a computed, mergeable PR is `blocked` while a required check is not green. */
  #protect(repo: GithubStubRepo, pr: GithubStubPull): void {
    if (repo.requiredChecks.length === 0 || pr.state !== 'open' || pr.mergeable !== true) return;
    if (pr.mergeableState !== 'clean' && pr.mergeableState !== 'blocked') return;
    const statuses = repo.statuses.get(pr.headSha) ?? [];
    const runs = repo.checkRuns.get(pr.headSha) ?? [];
    const green = (name: string) =>
      statuses.filter((s) => s.context === name).at(-1)?.state === 'success' ||
      runs.filter((r) => r.name === name).at(-1)?.conclusion === 'success';
    pr.mergeableState = repo.requiredChecks.every(green) ? 'clean' : 'blocked';
  }

  #pullJson(repo: GithubStubRepo, pr: GithubStubPull, fullView: boolean) {
    return pullJson(this.url, this.#view(repo), pr, repo.branches.get(pr.base) ?? '', fullView);
  }

  #page(query: URLSearchParams, all: unknown[]): StubResponse {
    const per = Math.min(Number(query.get('per_page') ?? 30), 100);
    const page = Number(query.get('page') ?? 1);
    return { status: 200, body: all.slice((page - 1) * per, page * per) };
  }

  #createRef(repo: GithubStubRepo, body: { ref: string; sha: string }): StubResponse {
    const branch = body.ref.replace(/^refs\/heads\//, '');
    if (repo.branches.has(branch)) return unprocessable('Reference already exists');
    if (!/^[0-9a-f]{40}$/.test(body.sha)) return unprocessable('Object does not exist');
    if (this.git) {
      const full = `${repo.owner}/${repo.name}`;
      if (!this.git.hasCommit(full, body.sha)) return unprocessable('Object does not exist');
      this.git.setBranch(full, branch, body.sha);
    }
    repo.branches.set(branch, body.sha);
    return { status: 201, body: refJson(this.url, `${repo.owner}/${repo.name}`, branch, body.sha) };
  }

  #listPulls(repo: GithubStubRepo, q: URLSearchParams): StubResponse {
    const state = q.get('state') ?? 'open';
    const head = q.get('head');
    const base = q.get('base');
    const all = repo.pulls
      .filter((p) => state === 'all' || p.state === state)
      .filter((p) => head === null || `${repo.owner}:${p.head}` === head)
      .filter((p) => base === null || p.base === base)
      .sort((a, b) => b.number - a.number)
      .map((p) => this.#pullJson(repo, p, false));
    return this.#page(q, all);
  }

  #createPull(repo: GithubStubRepo, b: Record<string, string>, me: StubUser): StubResponse {
    const head = b.head ?? '';
    const headSha = repo.branches.get(head);
    if (!headSha || !repo.branches.has(b.base ?? '')) return unprocessable('Validation Failed');
    if (repo.pulls.some((p) => p.head === head && p.state === 'open')) {
      return unprocessable(`A pull request already exists for ${repo.owner}:${head}.`);
    }
    const issue = this.addIssue(`${repo.owner}/${repo.name}`, {
      title: b.title ?? '',
      body: b.body ?? '',
      login: me.login,
      isPull: true,
    });
    const pr: GithubStubPull = {
      number: issue.number,
      head,
      headSha,
      base: b.base!,
      title: b.title ?? '',
      body: b.body ?? '',
      state: 'open',
      merged: false,
      mergeSha: null,
      mergeable: null,
      mergeableState: 'unknown',
      computeReads: 0,
      user: me,
      createdAt: issue.createdAt,
    };
    repo.pulls.push(pr);
    return { status: 201, body: this.#pullJson(repo, pr, true) };
  }

  /** PUT …/pulls/{n}/merge, in GitHub's order of refusals. */
  #merge(repo: GithubStubRepo, n: number, body: Record<string, string>): StubResponse {
    const pr = repo.pulls.find((p) => p.number === n);
    if (!pr) return notFound();
    const notMergeable = { status: 405, body: { message: 'Pull Request is not mergeable' } };
    if (pr.merged || pr.state === 'closed') return notMergeable;
    if (!repo.permissions.push) {
      return { status: 403, body: { message: 'Resource not accessible by personal access token' } };
    }
    if (body.sha !== undefined && body.sha !== pr.headSha) {
      return {
        status: 409,
        body: { message: 'Head branch was modified. Review and try the merge again.' },
      };
    }
    const method = body.merge_method ?? 'merge';
    const setting = {
      merge: 'allow_merge_commit',
      squash: 'allow_squash_merge',
      rebase: 'allow_rebase_merge',
    }[method] as keyof GithubStubRepo['settings'] | undefined;
    if (!setting || !repo.settings[setting]) {
      const what = { merge: 'Merge commits', squash: 'Squash merges', rebase: 'Rebase merges' }[
        method
      ];
      return {
        status: 405,
        body: { message: `${what ?? method} are not allowed on this repository.` },
      };
    }
    this.#protect(repo, pr);
    if (pr.mergeable !== true || !['clean', 'unstable', 'has_hooks'].includes(pr.mergeableState)) {
      return notMergeable;
    }
    let mergeSha = fakeSha();
    if (this.git) {
      const merged = this.git.merge(`${repo.owner}/${repo.name}`, {
        base: pr.base,
        head: pr.headSha,
        method,
        title: `${pr.title} (#${pr.number})`,
      });
      if (merged === null) return { status: 405, body: { message: 'Merge conflict' } };
      mergeSha = merged;
    }
    pr.merged = true;
    pr.state = 'closed';
    pr.mergeSha = mergeSha;
    repo.branches.set(pr.base, pr.mergeSha);
    const issue = repo.issues.find((i) => i.number === n);
    if (issue) issue.state = 'closed';
    return {
      status: 200,
      body: { sha: pr.mergeSha, merged: true, message: 'Pull Request successfully merged' },
    };
  }

  #statusRoute(
    req: RecordedRequest,
    repo: GithubStubRepo,
    rest: string,
    me: StubUser,
  ): StubResponse | null {
    const api = this.url;
    const full = `${repo.owner}/${repo.name}`;
    let m = /^\/statuses\/([0-9a-f]{40})$/.exec(rest);
    if (m && req.method === 'POST') {
      const b = req.body as {
        state: string;
        context?: string;
        description?: string;
        target_url?: string;
      };
      const st: GithubStubStatus = {
        id: 300 + this.#ids++,
        state: b.state,
        context: b.context ?? 'default',
        description: b.description ?? null,
        target_url: b.target_url ?? null,
        createdAt: new Date(this.now()).toISOString(),
      };
      repo.statuses.set(m[1]!, [...(repo.statuses.get(m[1]!) ?? []), st]);
      return { status: 201, body: statusJson(api, full, st, me) };
    }
    m = /^\/commits\/(.+)\/(status|check-runs)$/.exec(rest);
    if (!m || req.method !== 'GET') return null;
    const ref = decodeURIComponent(m[1]!);
    const sha = repo.branches.get(ref) ?? ref;
    if (!/^[0-9a-f]{40}$/.test(sha)) return unprocessable(`No commit found for SHA: ${ref}`);
    if (m[2] === 'check-runs') {
      const runs = (repo.checkRuns.get(sha) ?? []).map((c) => checkRunJson(api, full, sha, c));
      return { status: 200, body: { total_count: runs.length, check_runs: runs } };
    }
    const latest = [...new Map((repo.statuses.get(sha) ?? []).map((s) => [s.context, s])).values()];
    const states = latest.map((s) => s.state);
    const state = states.some((s) => s === 'failure' || s === 'error')
      ? 'failure'
      : states.length > 0 && states.every((s) => s === 'success')
        ? 'success'
        : 'pending';
    return {
      status: 200,
      body: {
        state,
        sha,
        total_count: latest.length,
        statuses: latest.map((s) => statusJson(api, full, s, me)),
        repository: repoJson(api, this.#view(repo), true),
        commit_url: `${api}/repos/${full}/commits/${sha}`,
        url: `${api}/repos/${full}/commits/${sha}/status`,
      },
    };
  }

  #issueRoute(
    req: RecordedRequest,
    repo: GithubStubRepo,
    rest: string,
    me: StubUser,
  ): StubResponse {
    const full = `${repo.owner}/${repo.name}`;
    const refM = /^\/git\/ref\/heads\/(.+)$/.exec(rest);
    if (req.method === 'GET' && refM) {
      const branch = refM[1]!.split('/').map(decodeURIComponent).join('/');
      const sha = repo.branches.get(branch);
      return sha ? { status: 200, body: refJson(this.url, full, branch, sha) } : notFound();
    }
    const labelM = /^\/labels(?:\/([^/]+))?$/.exec(rest);
    if (labelM) return this.#labelsRoute(req, repo, labelM[1]);
    const commentM = /^\/issues\/comments\/(\d+)$/.exec(rest);
    if (commentM && req.method === 'PATCH') {
      const c = repo.comments.find((x) => x.id === Number(commentM[1]));
      if (!c) return notFound();
      c.body = (req.body as { body: string }).body;
      c.updatedAt = new Date(this.now()).toISOString();
      return { status: 200, body: this.#commentJson(repo, c) };
    }
    if (rest === '/issues' && req.method === 'GET') return this.#listIssues(repo, req.query);
    const m = /^\/issues\/(\d+)(\/comments|\/labels(?:\/([^/]+))?)?$/.exec(rest);
    const issue = m ? repo.issues.find((i) => i.number === Number(m[1])) : undefined;
    if (!m || !issue) return notFound();
    const sub = m[2] ?? '';
    if (sub === '') return this.#issueItself(req, repo, issue);
    if (sub === '/comments') {
      if (req.method === 'POST') {
        const c = this.addComment(full, issue.number, {
          body: (req.body as { body: string }).body,
          login: me.login,
        });
        return { status: 201, body: this.#commentJson(repo, c) };
      }
      const since = req.query.get('since');
      const list = repo.comments
        .filter((c) => c.issue === issue.number)
        .filter((c) => since === null || Date.parse(c.updatedAt) >= Date.parse(since))
        .map((c) => this.#commentJson(repo, c));
      return this.#page(req.query, list);
    }
    const labelsJson = () =>
      issue.labels.map((l) => labelJson(this.url, full, this.#label(repo, l)));
    if (req.method === 'POST' && sub === '/labels') {
      for (const l of (req.body as { labels: string[] }).labels) {
        this.#label(repo, l);
        if (!issue.labels.includes(l)) issue.labels.push(l);
      }
      return { status: 200, body: labelsJson() };
    }
    if (req.method === 'DELETE' && m[3] !== undefined) {
      const name = decodeURIComponent(m[3]);
      if (!issue.labels.includes(name)) return notFound('Label does not exist');
      issue.labels = issue.labels.filter((l) => l !== name);
      return { status: 200, body: labelsJson() };
    }
    return notFound();
  }

  #issueItself(req: RecordedRequest, repo: GithubStubRepo, issue: GithubStubIssue): StubResponse {
    if (req.method === 'PATCH') {
      const b = req.body as Partial<{
        state: 'open' | 'closed';
        state_reason: string;
        title: string;
        body: string;
      }>;
      if (b.state !== undefined) {
        issue.state = b.state;
        issue.closedAt = b.state === 'closed' ? new Date(this.now()).toISOString() : null;
        issue.stateReason = b.state === 'closed' ? (b.state_reason ?? 'completed') : 'reopened';
      }
      if (b.title !== undefined) issue.title = b.title;
      if (b.body !== undefined) issue.body = b.body;
    } else if (req.method !== 'GET') return notFound();
    return { status: 200, body: this.#issueJson(repo, issue) };
  }

  #labelsRoute(req: RecordedRequest, repo: GithubStubRepo, name?: string): StubResponse {
    const full = `${repo.owner}/${repo.name}`;
    if (req.method === 'GET' && name !== undefined) {
      const l = repo.labels.get(decodeURIComponent(name));
      return l ? { status: 200, body: labelJson(this.url, full, l) } : notFound();
    }
    if (req.method === 'POST' && name === undefined) {
      const b = req.body as { name: string; color?: string; description?: string };
      if (repo.labels.has(b.name)) return unprocessable('Validation Failed', 'already_exists');
      const l = this.#label(repo, b.name);
      l.color = b.color ?? l.color;
      l.description = b.description ?? null;
      return { status: 201, body: labelJson(this.url, full, l) };
    }
    return notFound();
  }

  #listIssues(repo: GithubStubRepo, q: URLSearchParams): StubResponse {
    const state = q.get('state') ?? 'open';
    const labels = (q.get('labels') ?? '').split(',').filter(Boolean);
    const assignee = q.get('assignee');
    const desc = (q.get('direction') ?? 'desc') === 'desc';
    const list = repo.issues
      .filter((i) => state === 'all' || i.state === state)
      .filter((i) => labels.every((l) => i.labels.includes(l)))
      .filter((i) => assignee === null || i.assignees.includes(assignee))
      .sort(
        (a, b) =>
          (Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.number - b.number) *
          (desc ? -1 : 1),
      )
      .map((i) => this.#issueJson(repo, i));
    return this.#page(q, list);
  }

  #issueJson(repo: GithubStubRepo, i: GithubStubIssue) {
    return issueJson(this.url, `${repo.owner}/${repo.name}`, {
      ...i,
      user: this.#user(i.login),
      labels: i.labels.map((l) => this.#label(repo, l)),
      assignees: i.assignees.map((a) => this.#user(a)),
      comments: repo.comments.filter((c) => c.issue === i.number).length,
    });
  }

  #commentJson(repo: GithubStubRepo, c: GithubStubComment) {
    return commentJson(this.url, `${repo.owner}/${repo.name}`, { ...c, user: this.#user(c.login) });
  }
}

function notFound(message = 'Not Found'): StubResponse {
  return {
    status: 404,
    body: { message, documentation_url: 'https://docs.github.com/rest' },
  };
}

function unprocessable(message: string, code = 'custom'): StubResponse {
  return {
    status: 422,
    body: {
      message,
      errors: [{ resource: 'Stub', code, message }],
      documentation_url: 'https://docs.github.com/rest',
    },
  };
}

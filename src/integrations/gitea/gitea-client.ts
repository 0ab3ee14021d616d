import type { ProjectsConfig } from '../../config/projects.js';
import type {
  CombinedStatus,
  CommitStatus,
  Forge,
  MergeResult,
  PullRequest,
} from '../forge/forge.js';
import { httpJson, type FetchFn, type HttpJsonResponse } from '../http/http-json.js';
import { integrationError } from '../http/integration-error.js';
import { asArray, asObject, asString, pick } from '../webhooks/loose-json.js';
import { pullRequestOf, mergeOutcome, combinedStateOf } from './gitea-mapping.js';

export interface GiteaClientOptions {
  baseUrl: string;
  token: string;
  /** Maps an Orch repo name to its Gitea `owner/name`; `owner/name` itself is accepted too. */
  projects: ProjectsConfig;
  fetch?: FetchFn;
  timeoutMs?: number;
  /**
   * Base git agents clone and push through, when it is not the HTTP URL (e.g. `ssh://git@gitea`,
   * or a directory of bare repos in tests): `<gitUrl>/<owner>/<name>.git`.
   */
  gitUrl?: string | undefined;
}

type Method = 'GET' | 'POST' | 'PATCH';
const PAGE_LIMIT = 50;
const MAX_PAGES = 10;

/**
 * The Forge contract over Gitea's REST API (`/api/v1/repos/{owner}/{repo}/…`), authenticated
 * with `Authorization: token …` (the token is never logged nor put into errors or clone URLs).
 * Merges always send `head_commit_id` (the SHA the gates saw) with `Do: merge`, so Gitea refuses
 * a merge whose head moved since.
 */
export class GiteaClient implements Forge {
  readonly kind = 'gitea';
  readonly #o: GiteaClientOptions;
  readonly #base: string;
  readonly #fetch: FetchFn;

  constructor(options: GiteaClientOptions) {
    this.#o = options;
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
  }

  /** `owner/name` of an Orch repo (project `repo`) or of an `owner/name` given directly. */
  fullName(repo: string): string {
    const project = this.#o.projects.byRepo(repo);
    if (project?.forge.kind === 'gitea') return `${project.forge.owner}/${project.forge.repo}`;
    if (/^[^/\s]+\/[^/\s]+$/.test(repo)) return repo;
    throw integrationError('FORGE_UNKNOWN_REPO', `no Gitea repository configured for ${repo}`, {
      retryable: false,
    });
  }

  async #call(
    method: Method,
    repo: string,
    path: string,
    body?: unknown,
  ): Promise<HttpJsonResponse> {
    const [owner, name] = this.fullName(repo).split('/') as [string, string];
    const url = `${this.#base}/api/v1/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}${path}`;
    return httpJson(
      this.#fetch,
      {
        method,
        url,
        headers: { authorization: `token ${this.#o.token}` },
        body,
        timeoutMs: this.#o.timeoutMs ?? 15_000,
      },
      'FORGE',
    );
  }

  /** Like #call, but any status outside `ok` becomes a classified error. */
  async #expect(
    method: Method,
    repo: string,
    path: string,
    ok: readonly number[],
    body?: unknown,
  ): Promise<HttpJsonResponse> {
    const res = await this.#call(method, repo, path, body);
    if (ok.includes(res.status)) return res;
    throw statusError(`Gitea ${method} ${path}`, res);
  }

  cloneUrl(repo: string): string {
    const base = this.#o.gitUrl ? this.#o.gitUrl.replace(/\/+$/, '') : this.#base;
    return `${base}/${this.fullName(repo)}.git`;
  }

  async defaultBranch(repo: string): Promise<string> {
    const res = await this.#expect('GET', repo, '', [200]);
    return asString(pick(res.body, 'default_branch')) ?? 'main';
  }

  async ensureBranch(repo: string, branch: string, fromRef: string): Promise<void> {
    // 409: the branch exists already, which is what we wanted.
    await this.#expect('POST', repo, '/branches', [201, 409], {
      new_branch_name: branch,
      old_ref_name: fromRef,
      old_branch_name: fromRef,
    });
  }

  async findPullRequest(repo: string, head: string): Promise<PullRequest | null> {
    let merged: PullRequest | null = null;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const res = await this.#expect(
        'GET',
        repo,
        `/pulls?state=all&limit=${PAGE_LIMIT}&page=${page}`,
        [200],
      );
      const items = asArray(res.body);
      for (const raw of items) {
        const pr = pullRequestOf(raw);
        if (!pr || pr.head !== head) continue;
        if (pr.state === 'open') return pr;
        if (pr.merged && (!merged || pr.number > merged.number)) merged = pr;
      }
      if (items.length < PAGE_LIMIT) break;
    }
    return merged;
  }

  async ensurePullRequest(
    repo: string,
    pr: { head: string; base: string; title: string; body: string },
  ): Promise<PullRequest> {
    const existing = await this.findPullRequest(repo, pr.head);
    if (existing) return existing;
    const res = await this.#expect('POST', repo, '/pulls', [201, 409], pr);
    const created =
      res.status === 201 ? pullRequestOf(res.body) : await this.findPullRequest(repo, pr.head);
    if (!created) {
      throw integrationError('FORGE_REQUEST_FAILED', `Gitea did not return the PR for ${pr.head}`, {
        retryable: true,
        status: res.status,
      });
    }
    return created;
  }

  async getPullRequest(repo: string, prNumber: number): Promise<PullRequest> {
    const res = await this.#expect('GET', repo, `/pulls/${prNumber}`, [200]);
    const pr = pullRequestOf(res.body);
    if (!pr) throw statusError(`Gitea GET /pulls/${prNumber}: unreadable reply`, res);
    return pr;
  }

  /** `GET …/pulls/{n}/merge`: 204 merged, 404 not merged. */
  async isMerged(repo: string, prNumber: number): Promise<boolean> {
    const res = await this.#expect('GET', repo, `/pulls/${prNumber}/merge`, [204, 404]);
    return res.status === 204;
  }

  async merge(repo: string, prNumber: number, options: { headSha: string }): Promise<MergeResult> {
    const res = await this.#call('POST', repo, `/pulls/${prNumber}/merge`, {
      Do: 'merge',
      head_commit_id: options.headSha,
      delete_branch_after_merge: false,
    });
    const message = asString(pick(res.body, 'message')) ?? '';
    const merged = res.status === 405 ? await this.isMerged(repo, prNumber) : false;
    const outcome = mergeOutcome(res.status, message, merged);
    if (outcome === null) throw statusError(`Gitea POST /pulls/${prNumber}/merge`, res);
    if (outcome.kind !== 'merged') return outcome;
    const after = await this.#expect('GET', repo, `/pulls/${prNumber}`, [200]);
    return {
      kind: 'merged',
      mergeSha: asString(pick(after.body, 'merge_commit_sha')) ?? options.headSha,
    };
  }

  async setStatus(repo: string, sha: string, status: CommitStatus): Promise<void> {
    await this.#expect('POST', repo, `/statuses/${encodeURIComponent(sha)}`, [200, 201], {
      state: status.state,
      context: status.context,
      description: status.description.slice(0, 255),
      ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
    });
  }

  async combinedStatus(repo: string, ref: string): Promise<CombinedStatus> {
    const res = await this.#call('GET', repo, `/commits/${encodeURIComponent(ref)}/status`);
    if (res.status === 404) return 'none';
    if (res.status !== 200) throw statusError(`Gitea GET /commits/${ref}/status`, res);
    const body = asObject(res.body) ?? {};
    return combinedStateOf(asString(body.state), asArray(body.statuses).length);
  }
}

function statusError(what: string, res: HttpJsonResponse): Error {
  const detail = `${what} → ${res.status}`;
  if (res.status === 404)
    return integrationError('FORGE_NOT_FOUND', detail, { retryable: false, status: 404 });
  if (res.status === 401 || res.status === 403) {
    return integrationError('FORGE_AUTH_FAILED', detail, { retryable: false, status: res.status });
  }
  const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
  return integrationError(retryable ? 'FORGE_UNAVAILABLE' : 'FORGE_REQUEST_FAILED', detail, {
    retryable,
    status: res.status,
  });
}

import type { ProjectsConfig } from '../../config/projects.js';
import type {
  CombinedStatus,
  CommitStatus,
  Forge,
  MergeResult,
  PullRequest,
  PullReview,
} from '../forge/forge.js';
import { httpJson, realSleep, type FetchFn, type HttpJsonResponse } from '../http/http-json.js';
import { integrationError } from '../http/integration-error.js';
import { asArray, asObject, asString, pick } from '../webhooks/loose-json.js';
import {
  allowedMergeStyle,
  classifyMergeRefusal,
  combinedStateOf,
  mergeOutcome,
  pullRequestOf,
  pullReviewOf,
} from './gitea-mapping.js';

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
  sleep?: (ms: number) => Promise<void>;
  /**
   * Waits (ms) between re-reads of a PR Gitea calls "not mergeable yet" (its conflict check runs
   * after every push, and Orch merges right after pushing a rebase); default 1 s, 2 s, 4 s.
   */
  mergeCheckBackoffMs?: readonly number[];
  /** Orch's own Gitea login (ORCH_GITEA_BOT_USERNAME): its reviews are marked `byOrch`. */
  botUsername?: string | undefined;
}

type Method = 'GET' | 'POST' | 'PATCH';
const PAGE_LIMIT = 50;
const MAX_PAGES = 10;

/**
 * The Forge contract over Gitea's REST API (`/api/v1/repos/{owner}/{repo}/…`), authenticated
 * with `Authorization: token …` (the token is never logged nor put into errors or clone URLs).
 * Merges always send `head_commit_id` (the SHA the gates saw), so Gitea refuses a merge whose
 * head moved since; the style is `merge` unless the repository does not allow it (then one it
 * allows, read from its settings). Every call is checked against Gitea's OpenAPI document in
 * test/integrations/gitea-openapi.test.ts.
 */
export class GiteaClient implements Forge {
  readonly kind = 'gitea';
  readonly #o: GiteaClientOptions;
  readonly #base: string;
  readonly #fetch: FetchFn;
  readonly #sleep: (ms: number) => Promise<void>;
  /** owner/name → the merge style that worked (or the repository allows). */
  readonly #styles = new Map<string, string>();

  constructor(options: GiteaClientOptions) {
    this.#o = options;
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? realSleep;
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
    return this.#request(
      method,
      `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}${path}`,
      body,
    );
  }

  async #request(method: Method, apiPath: string, body?: unknown): Promise<HttpJsonResponse> {
    const url = `${this.#base}/api/v1${apiPath}`;
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

  /**
   * With `base`: `GET /pulls/{base}/{head}` (one call). Gitea answers with the first PR for that
   * pair, closed ones included; a closed, unmerged one (an abandoned PR) makes it look through
   * the open PRs instead, where a newer PR for the same branches would be.
   */
  async findPullRequest(repo: string, head: string, base?: string): Promise<PullRequest | null> {
    if (base === undefined) return this.#scanPullRequests(repo, head, 'all');
    const path = `/pulls/${encodeURIComponent(base)}/${head.split('/').map(encodeURIComponent).join('/')}`;
    const res = await this.#expect('GET', repo, path, [200, 404]);
    if (res.status === 404) return null;
    const pr = pullRequestOf(res.body);
    if (!pr) throw statusError(`Gitea GET /pulls/{base}/{head}: unreadable reply`, res);
    if (pr.state === 'closed' && !pr.merged) return this.#scanPullRequests(repo, head, 'open');
    return pr;
  }

  async #scanPullRequests(
    repo: string,
    head: string,
    state: 'open' | 'all',
  ): Promise<PullRequest | null> {
    let merged: PullRequest | null = null;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query = `/pulls?state=${state}&limit=${PAGE_LIMIT}&page=${page}`;
      const items = asArray((await this.#expect('GET', repo, query, [200])).body);
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
    const existing = await this.findPullRequest(repo, pr.head, pr.base);
    if (existing) return existing;
    const res = await this.#expect('POST', repo, '/pulls', [201, 409], pr);
    const created =
      res.status === 201
        ? pullRequestOf(res.body)
        : await this.findPullRequest(repo, pr.head, pr.base);
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

  /**
   * Merges pinned to `headSha`. A 405 is decided, not guessed (see `classifyMergeRefusal`):
   * already merged → `already_merged`; "try again later" → the PR is re-read (which also makes
   * Gitea run its pending check) with backoff and the merge retried, and still refused →
   * `not_mergeable`; branch protection → `not_ready` naming what is missing; style not allowed →
   * retried once with a style the repository allows; anything else → `forbidden`.
   */
  async merge(repo: string, prNumber: number, options: { headSha: string }): Promise<MergeResult> {
    const backoff = this.#o.mergeCheckBackoffMs ?? [1000, 2000, 4000];
    const key = this.fullName(repo);
    let style = this.#styles.get(key) ?? 'merge';
    for (let attempt = 0, restyled = false; ; attempt++) {
      const res = await this.#call('POST', repo, `/pulls/${prNumber}/merge`, {
        Do: style,
        head_commit_id: options.headSha,
        delete_branch_after_merge: false,
      });
      const message = asString(pick(res.body, 'message')) ?? '';
      if (res.status !== 405) {
        const outcome = mergeOutcome(res.status, message);
        if (outcome === null) throw statusError(`Gitea POST /pulls/${prNumber}/merge`, res);
        if (outcome.kind !== 'merged') return outcome;
        this.#styles.set(key, style);
        return { kind: 'merged', mergeSha: await this.#mergeSha(repo, prNumber, options.headSha) };
      }
      const refusal = classifyMergeRefusal(message);
      switch (refusal.kind) {
        case 'no_reason':
          return (await this.isMerged(repo, prNumber))
            ? { kind: 'already_merged' }
            : { kind: 'forbidden', reason: 'Gitea refused the merge (405) without a reason' };
        case 'forbidden':
          return { kind: 'forbidden', reason: `Gitea refused the merge: ${refusal.reason}` };
        case 'not_ready':
          return { kind: 'not_ready', reason: await this.#notReady(repo, refusal.reason, options) };
        case 'style_not_allowed': {
          const next = restyled
            ? null
            : allowedMergeStyle((await this.#expect('GET', repo, '', [200])).body, style);
          if (next === null) {
            return { kind: 'forbidden', reason: `no merge style allowed: ${refusal.reason}` };
          }
          style = next;
          restyled = true;
          continue;
        }
        case 'try_later': {
          const pr = asObject((await this.#expect('GET', repo, `/pulls/${prNumber}`, [200])).body);
          if (pr?.merged === true) return { kind: 'already_merged' };
          const waitMs = backoff[attempt];
          if (waitMs === undefined) {
            return {
              kind: 'not_mergeable',
              reason: `Gitea: "${message}" (mergeable: ${String(pr?.mergeable)}) after ${attempt + 1} attempts`,
            };
          }
          if (pr?.mergeable !== true) await this.#sleep(waitMs);
          continue;
        }
      }
    }
  }

  async #mergeSha(repo: string, prNumber: number, headSha: string): Promise<string> {
    const after = await this.#expect('GET', repo, `/pulls/${prNumber}`, [200]);
    return asString(pick(after.body, 'merge_commit_sha')) ?? headSha;
  }

  /** The branch-protection reason, plus which commit statuses on the head are not green. */
  async #notReady(repo: string, reason: string, options: { headSha: string }): Promise<string> {
    if (!/status checks/i.test(reason)) return reason;
    const res = await this.#call(
      'GET',
      repo,
      `/commits/${encodeURIComponent(options.headSha)}/status`,
    );
    const waiting = asArray(pick(res.body, 'statuses'))
      .map((st) => ({
        context: asString(pick(st, 'context')),
        state: asString(pick(st, 'status')) ?? asString(pick(st, 'state')),
      }))
      .filter((st) => st.context !== null && st.state !== 'success')
      .map((st) => `${st.context} (${st.state ?? 'unknown'})`);
    return waiting.length > 0 ? `${reason}: not green yet: ${waiting.join(', ')}` : reason;
  }

  /** `GET /user`: the token's user (for `orch doctor`). */
  async currentUser(): Promise<string> {
    const res = await this.#request('GET', '/user');
    if (res.status !== 200) throw statusError('Gitea GET /user', res);
    return asString(pick(res.body, 'login')) ?? '?';
  }

  async setStatus(repo: string, sha: string, status: CommitStatus): Promise<void> {
    await this.#expect('POST', repo, `/statuses/${encodeURIComponent(sha)}`, [200, 201], {
      state: status.state,
      context: status.context,
      description: status.description.slice(0, 255),
      ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
    });
  }

  /** `GET …/pulls/{n}/reviews` (repoListPullReviews), paged; submitted verdicts only, oldest first. */
  async listReviews(repo: string, prNumber: number): Promise<PullReview[]> {
    const out: PullReview[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query = `/pulls/${prNumber}/reviews?limit=${PAGE_LIMIT}&page=${page}`;
      const items = asArray((await this.#expect('GET', repo, query, [200])).body);
      for (const raw of items) {
        const review = pullReviewOf(raw, this.#o.botUsername);
        if (review) out.push(review);
      }
      if (items.length < PAGE_LIMIT) break;
    }
    return out.sort((a, b) => a.submittedAtMs - b.submittedAtMs);
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

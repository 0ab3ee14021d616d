import { registerGitCredential } from '../../git/git-auth.js';
import { silentLogger, type Logger } from '../../log.js';
import type {
  CombinedStatus,
  CommitStatus,
  Forge,
  MergeResult,
  PullRequest,
  PullReview,
} from '../forge/forge.js';
import { integrationError } from '../http/integration-error.js';
import { asArray, asString, pick } from '../webhooks/loose-json.js';
import { githubError, type GithubClient, type GithubRequestOptions } from './github-client.js';
import {
  classifyMergeRefusal,
  combinedOf,
  mergeMethodOf,
  notGreen,
  pullRequestOf,
  pullReviewOf,
  type MergeMethod,
} from './github-mapping.js';

export interface GithubForgeOptions {
  client: GithubClient;
  /** Merge method to prefer; default: the repository's allowed one, merge > squash > rebase. */
  mergeMethod?: MergeMethod | undefined;
  /** Orch's own login (its reviews are `byOrch`); default: asked of GitHub once. */
  botLogin?: string | undefined;
  /**
   * Base git clones from instead of `https://<host>` (an ssh URL, or a directory of bare
   * repositories in tests): `<gitUrl>/<owner>/<name>.git`; no token is then handed to git.
   */
  gitUrl?: string | undefined;
  log?: Logger;
}

const REPO_RE = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;
const FORGE = { errorPrefix: 'FORGE' } as const;

function encodeRef(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
}

/**
 * The Forge contract over GitHub's REST API; a repo is `owner/name`. Merges are pinned to the
 * head SHA the gates saw (`sha`), with the repository's allowed merge method; a refused merge is
 * decided from the PR's `mergeable`/`mergeable_state` (see `classifyMergeRefusal`). Combined
 * status counts commit statuses and check runs. Every call is checked against GitHub's OpenAPI
 * description in test/integrations/github/github-openapi.test.ts.
 */
export class GithubForge implements Forge {
  readonly kind = 'github';
  readonly #o: GithubForgeOptions;
  readonly #client: GithubClient;
  readonly #log: Logger;
  /** owner/name → `GET /repos/{o}/{r}` (merge settings, default branch), read once. */
  readonly #repos = new Map<string, Promise<unknown>>();
  /** git URL prefix → unregister its credential. */
  readonly #credentials = new Map<string, () => void>();

  constructor(o: GithubForgeOptions) {
    this.#o = o;
    this.#client = o.client;
    this.#log = o.log ?? silentLogger;
  }

  #path(repo: string): string {
    const m = REPO_RE.exec(repo);
    if (!m) {
      throw integrationError('FORGE_UNKNOWN_REPO', `not a GitHub owner/name: ${repo}`, {
        retryable: false,
      });
    }
    return `/repos/${m[1]}/${m[2]}`;
  }

  #request<T = unknown>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    o: Omit<GithubRequestOptions, 'errorPrefix'> = {},
  ) {
    return this.#client.request<T>(method, path, { ...o, ...FORGE });
  }

  /**
   * `https://host/owner/name.git`, without credentials: the token is handed to Orch's own git
   * commands through their environment (src/git/git-auth.ts), registered here for
   * `https://host/owner/` — the current PAT, or the owner's installation token of an App,
   * refreshed before each fetch or push. A clone's `.git/config` never holds it.
   */
  cloneUrl(repo: string): string {
    this.#path(repo);
    if (this.#o.gitUrl !== undefined) return `${this.#o.gitUrl.replace(/\/+$/, '')}/${repo}.git`;
    const base = this.#client.webUrl.replace(/\/+$/, '');
    const owner = repo.split('/')[0]!;
    this.#registerCredential(`${base}/${owner}/`, repo);
    return `${base}/${repo}.git`;
  }

  /** The git credential of one owner's repositories, registered once per forge. */
  #registerCredential(prefix: string, repo: string): void {
    if (this.#credentials.has(prefix)) return;
    const owner = repo.split('/')[0]!;
    this.#credentials.set(
      prefix,
      registerGitCredential(prefix, {
        username: 'x-access-token',
        token: () => this.#client.cachedGitToken(owner),
        refresh: async () => {
          await this.#client.gitToken(repo);
        },
      }),
    );
  }

  /** Removes this forge's git credentials (the runtime stops). */
  close(): void {
    for (const unregister of this.#credentials.values()) unregister();
    this.#credentials.clear();
  }

  /** `cloneUrl`, with an App's installation token fetched or refreshed first. */
  async cloneUrlFresh(repo: string): Promise<string> {
    const url = this.cloneUrl(repo);
    if (this.#o.gitUrl === undefined) await this.#client.gitToken(repo);
    return url;
  }

  #repo(repo: string, fresh = false): Promise<unknown> {
    let cached = this.#repos.get(repo);
    if (!cached || fresh) {
      cached = this.#request('GET', this.#path(repo)).then((res) => res.data);
      cached.catch(() => this.#repos.delete(repo));
      this.#repos.set(repo, cached);
    }
    return cached;
  }

  async defaultBranch(repo: string): Promise<string> {
    return asString(pick(await this.#repo(repo, true), 'default_branch')) ?? 'main';
  }

  /** `POST /git/refs` from the SHA of `fromRef` (a branch, or a SHA); an existing branch is fine. */
  async ensureBranch(repo: string, branch: string, fromRef: string): Promise<void> {
    const base = this.#path(repo);
    let sha = fromRef;
    if (!/^[0-9a-f]{40}$/i.test(fromRef)) {
      const ref = await this.#request('GET', `${base}/git/ref/heads/${encodeRef(fromRef)}`);
      sha = asString(pick(ref.data, 'object', 'sha')) ?? '';
    }
    const res = await this.#request('POST', `${base}/git/refs`, {
      body: { ref: `refs/heads/${branch}`, sha },
      allow: [422],
    });
    if (res.status === 422 && !/already exists/i.test(asString(pick(res.data, 'message')) ?? '')) {
      throw githubError('FORGE', `GitHub POST ${base}/git/refs`, {
        status: res.status,
        headers: res.headers,
        body: res.data,
      });
    }
  }

  /** `GET /pulls?head=owner:branch&state=all`: the open PR, else the newest merged one. */
  async findPullRequest(repo: string, head: string, base?: string): Promise<PullRequest | null> {
    const owner = repo.split('/')[0]!;
    const items = await this.#client.paginate(`${this.#path(repo)}/pulls`, {
      query: { state: 'all', head: `${owner}:${head}`, base },
      maxPages: 3,
      ...FORGE,
    });
    let merged: PullRequest | null = null;
    for (const raw of items) {
      const pr = pullRequestOf(raw);
      if (!pr || pr.head !== head || (base !== undefined && pr.base !== base)) continue;
      if (pr.state === 'open') return pr;
      if (pr.merged && (!merged || pr.number > merged.number)) merged = pr;
    }
    return merged;
  }

  async ensurePullRequest(
    repo: string,
    pr: { head: string; base: string; title: string; body: string },
  ): Promise<PullRequest> {
    const existing = await this.findPullRequest(repo, pr.head, pr.base);
    if (existing) return existing;
    const res = await this.#request('POST', `${this.#path(repo)}/pulls`, {
      body: { title: pr.title, head: pr.head, base: pr.base, body: pr.body },
      allow: [422],
    });
    // 422 "A pull request already exists": made by a concurrent attempt
    const created =
      res.status === 201
        ? pullRequestOf(res.data)
        : await this.findPullRequest(repo, pr.head, pr.base);
    if (!created) {
      throw githubError('FORGE', `GitHub POST /pulls for ${pr.head}`, {
        status: res.status,
        headers: res.headers,
        body: res.data,
      });
    }
    return created;
  }

  async getPullRequest(repo: string, prNumber: number): Promise<PullRequest> {
    const raw = await this.#rawPull(repo, prNumber);
    const pr = pullRequestOf(raw);
    if (!pr) {
      throw integrationError('FORGE_REQUEST_FAILED', `GitHub PR #${prNumber}: unreadable reply`, {
        retryable: false,
      });
    }
    return pr;
  }

  async #rawPull(repo: string, prNumber: number): Promise<unknown> {
    return (await this.#request('GET', `${this.#path(repo)}/pulls/${prNumber}`)).data;
  }

  /**
   * `PUT /pulls/{n}/merge` with `sha` = the head the gates saw: 200 → merged; 409 (head moved) →
   * head_moved; 403 → forbidden; 405/422 → decided from the re-read PR (`classifyMergeRefusal`),
   * a refused merge method retried once with another the repository allows.
   */
  async merge(repo: string, prNumber: number, options: { headSha: string }): Promise<MergeResult> {
    let method = mergeMethodOf(await this.#repo(repo), this.#o.mergeMethod);
    for (let restyled = false; ; restyled = true) {
      if (method === null) {
        return { kind: 'forbidden', reason: 'the repository allows no merge method' };
      }
      const res = await this.#request('PUT', `${this.#path(repo)}/pulls/${prNumber}/merge`, {
        body: { sha: options.headSha, merge_method: method },
        allow: [403, 405, 409, 422],
      });
      const message = asString(pick(res.data, 'message')) ?? '';
      if (res.status === 200) {
        return { kind: 'merged', mergeSha: asString(pick(res.data, 'sha')) ?? options.headSha };
      }
      if (res.status === 409) return { kind: 'head_moved', reason: message || 'head moved' };
      if (res.status === 403) return { kind: 'forbidden', reason: message || 'forbidden (403)' };
      const refusal = classifyMergeRefusal(await this.#rawPull(repo, prNumber), message);
      if (refusal.kind === 'method_not_allowed') {
        if (restyled) return { kind: 'forbidden', reason: refusal.reason };
        method = mergeMethodOf(await this.#repo(repo, true), this.#o.mergeMethod, method);
        continue;
      }
      if (refusal.kind === 'blocked') {
        return { kind: 'not_ready', reason: await this.#blockedReason(repo, options, refusal) };
      }
      return refusal;
    }
  }

  /** Branch protection holds the PR: name the statuses and check runs on the head not green. */
  async #blockedReason(
    repo: string,
    options: { headSha: string },
    refusal: { reason: string },
  ): Promise<string> {
    const { combined, runs } = await this.#checks(repo, options.headSha);
    const waiting = notGreen(combined, runs);
    return waiting.length > 0
      ? `branch protection: required checks not green yet: ${waiting.join(', ')}`
      : `branch protection: required reviews or rules not met (${refusal.reason})`;
  }

  async #checks(repo: string, ref: string): Promise<{ combined: unknown; runs: unknown[] }> {
    const base = `${this.#path(repo)}/commits/${encodeRef(ref)}`;
    const status = await this.#request('GET', `${base}/status`, { allow: [404] });
    // a fine-grained token without "Checks: read" gets 403: statuses alone then
    const checks = await this.#request('GET', `${base}/check-runs`, {
      query: { per_page: 100 },
      allow: [403, 404],
    });
    if (checks.status === 403) this.#log.warn({ repo }, 'GitHub check runs not readable (403)');
    return {
      combined: status.status === 200 ? status.data : null,
      runs: checks.status === 200 ? [...asArray(pick(checks.data, 'check_runs'))] : [],
    };
  }

  async setStatus(repo: string, sha: string, status: CommitStatus): Promise<void> {
    await this.#request('POST', `${this.#path(repo)}/statuses/${encodeURIComponent(sha)}`, {
      body: {
        state: status.state,
        context: status.context,
        // GitHub refuses descriptions over 140 characters
        description: status.description.slice(0, 140),
        ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
      },
    });
  }

  async combinedStatus(repo: string, ref: string): Promise<CombinedStatus> {
    const { combined, runs } = await this.#checks(repo, ref);
    return combinedOf(combined, runs);
  }

  async listReviews(repo: string, prNumber: number): Promise<PullReview[]> {
    const bot = this.#o.botLogin ?? (await this.#client.botLogin());
    const items = await this.#client.paginate(`${this.#path(repo)}/pulls/${prNumber}/reviews`, {
      ...FORGE,
    });
    return items
      .flatMap((raw) => pullReviewOf(raw, bot) ?? [])
      .sort((a, b) => a.submittedAtMs - b.submittedAtMs);
  }
}

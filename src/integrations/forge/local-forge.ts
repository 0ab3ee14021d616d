import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { OrchError } from '../../errors.js';
import { git, gitMaybe } from '../../git/git.js';
import {
  commitStatuses,
  insertCommitStatus,
  insertLocalPr,
  insertLocalPrReview,
  localPrByHead,
  localPrByNumber,
  localPrReviews,
  markLocalPrMerged,
} from '../../store/local/local-forge-rows.js';
import {
  REVIEW_VERDICTS,
  type CombinedStatus,
  type CommitStatus,
  type Forge,
  type MergeResult,
  type PullRequest,
  type PullReview,
  type ReviewVerdict,
} from './forge.js';

/**
 * The built-in forge: bare repositories on disk (`<dir>/<repo>.git`), pull requests and commit
 * statuses in Orch's database, merges done with git. Enough for a self-contained pipeline.
 */
export class LocalForge implements Forge {
  readonly kind = 'local';
  readonly #db: Db;
  readonly #dir: string;
  readonly #clock: Clock;

  constructor(db: Db, dir: string, clock: Clock) {
    this.#db = db;
    this.#dir = dir;
    this.#clock = clock;
  }

  cloneUrl(repo: string): string {
    return join(this.#dir, `${repo}.git`);
  }

  #bare(repo: string): { cwd: string } {
    const cwd = this.cloneUrl(repo);
    if (!existsSync(cwd))
      throw new OrchError('REPO_NOT_FOUND', `local forge has no repository "${repo}"`);
    return { cwd };
  }

  async defaultBranch(repo: string): Promise<string> {
    const head = await git(['symbolic-ref', '--short', 'HEAD'], this.#bare(repo));
    return head || 'main';
  }

  async #sha(repo: string, ref: string): Promise<string | null> {
    return gitMaybe(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], this.#bare(repo));
  }

  async ensureBranch(repo: string, branch: string, fromRef: string): Promise<void> {
    if (await this.#sha(repo, `refs/heads/${branch}`)) return;
    await git(['branch', branch, fromRef], this.#bare(repo));
  }

  async #pr(repo: string, by: { head: string } | { number: number }): Promise<PullRequest | null> {
    const row =
      'head' in by
        ? await localPrByHead(this.#db, repo, by.head)
        : await localPrByNumber(this.#db, repo, by.number);
    if (!row) return null;
    return {
      number: row.number,
      head: row.head,
      base: row.base,
      title: row.title,
      url: `local://${repo}/pulls/${row.number}`,
      state: row.state,
      merged: Boolean(row.merged),
      headSha: await this.#sha(repo, `refs/heads/${row.head}`),
    };
  }

  findPullRequest(repo: string, head: string): Promise<PullRequest | null> {
    return this.#pr(repo, { head });
  }

  async ensurePullRequest(
    repo: string,
    pr: { head: string; base: string; title: string; body: string },
  ): Promise<PullRequest> {
    this.#bare(repo);
    await insertLocalPr(this.#db, { repo, ...pr, nowMs: this.#clock.now() });
    return (await this.findPullRequest(repo, pr.head))!;
  }

  /** Merges only if the head is still the SHA the gates saw; an already merged PR is a no-op. */
  async merge(repo: string, prNumber: number, options: { headSha: string }): Promise<MergeResult> {
    const pr = await this.#pr(repo, { number: prNumber });
    if (!pr) throw new OrchError('PR_NOT_FOUND', `no pull request #${prNumber} in ${repo}`);
    if (pr.merged) return { kind: 'already_merged' };
    if (pr.headSha !== options.headSha) {
      return {
        kind: 'head_moved',
        reason: `head is ${pr.headSha ?? 'gone'}, gates saw ${options.headSha}`,
      };
    }
    const scratch = mkdtempSync(join(tmpdir(), 'orch-merge-'));
    try {
      await git(['clone', '--quiet', '--branch', pr.base, this.cloneUrl(repo), scratch], {
        cwd: tmpdir(),
      });
      const merged = await gitMaybe(
        ['merge', '--no-ff', '-m', `Merge #${prNumber}: ${pr.title}`, options.headSha],
        { cwd: scratch },
      );
      if (merged === null) {
        await gitMaybe(['merge', '--abort'], { cwd: scratch });
        return { kind: 'conflict', reason: `${pr.head} does not merge cleanly into ${pr.base}` };
      }
      await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${pr.base}`], { cwd: scratch });
      const mergeSha = await git(['rev-parse', 'HEAD'], { cwd: scratch });
      await markLocalPrMerged(this.#db, repo, { prNumber, mergeSha });
      return { kind: 'merged', mergeSha };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  async setStatus(repo: string, sha: string, status: CommitStatus): Promise<void> {
    await insertCommitStatus(this.#db, {
      repo,
      sha,
      context: status.context,
      state: status.state,
      description: status.description.slice(0, 1000),
      atMs: this.#clock.now(),
    });
  }

  /** The latest status per context: any failure/error → failure, any pending → pending. */
  async combinedStatus(repo: string, ref: string): Promise<CombinedStatus> {
    const sha = (await this.#sha(repo, ref)) ?? (await this.#sha(repo, `refs/heads/${ref}`));
    if (!sha) return 'none';
    const rows = await commitStatuses(this.#db, repo, sha);
    const latest = new Map(rows.map((r) => [r.context, r.state]));
    if (latest.size === 0) return 'none';
    const states = [...latest.values()];
    if (states.some((s) => s === 'failure' || s === 'error')) return 'failure';
    if (states.some((s) => s === 'pending')) return 'pending';
    return 'success';
  }

  /** A person's review of pull request `prNumber` (the local stand-in for a forge's review UI). */
  async addReview(
    repo: string,
    prNumber: number,
    r: { verdict: ReviewVerdict; author: string; body?: string },
  ): Promise<PullReview> {
    if (!(await this.#pr(repo, { number: prNumber })))
      throw new OrchError('PR_NOT_FOUND', `no pull request #${prNumber} in ${repo}`);
    const atMs = this.#clock.now();
    const body = r.body ?? '';
    const id = await insertLocalPrReview(this.#db, { repo, prNumber, ...r, body, atMs });
    return { id: String(id), ...r, body, submittedAtMs: atMs, byOrch: false };
  }

  async listReviews(repo: string, prNumber: number): Promise<PullReview[]> {
    const rows = await localPrReviews(this.#db, repo, prNumber);
    return rows.flatMap((row) => {
      const verdict = REVIEW_VERDICTS.find((v) => v === row.verdict);
      if (verdict === undefined) return [];
      return [
        {
          id: String(row.id),
          verdict,
          body: row.body,
          author: row.author,
          submittedAtMs: row.submitted_at_ms,
          byOrch: false,
        },
      ];
    });
  }

  /** Creates a bare repository seeded from a working directory's current commit (demo, tests). */
  async importRepo(repo: string, sourceDir: string, branch = 'main'): Promise<string> {
    const bare = this.cloneUrl(repo);
    if (!existsSync(bare)) {
      await git(['init', '--quiet', '--bare', '--initial-branch', branch, bare], { cwd: tmpdir() });
    }
    await git(['push', '--quiet', bare, `HEAD:refs/heads/${branch}`], { cwd: sourceDir });
    return bare;
  }
}

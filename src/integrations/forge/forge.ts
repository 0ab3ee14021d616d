/**
 * The forge contract: where repositories, pull requests and commit statuses live (Gitea, or the
 * local forge of bare repositories on disk). The pipeline calls only this interface; git itself
 * (clone, commit, push) goes through the git CLI against `cloneUrl`.
 */
export interface PullRequest {
  number: number;
  head: string;
  base: string;
  title: string;
  url: string | null;
  state: 'open' | 'closed';
  merged: boolean;
  headSha: string | null;
}

/**
 * What a merge attempt came to. `conflict` and `head_moved` need new work (rollback);
 * `not_mergeable` means the forge says the PR cannot be merged now without saying why (Gitea:
 * a conflict, or its conflict check after the last push is still running — the caller tells them
 * apart); `not_ready` means branch protection (required checks, approvals) holds it: wait;
 * `forbidden` means Orch's user may not merge at all: a human must act.
 */
export type MergeResult =
  | { kind: 'merged'; mergeSha: string }
  | { kind: 'already_merged' }
  | { kind: 'head_moved'; reason: string }
  | { kind: 'conflict'; reason: string }
  | { kind: 'not_mergeable'; reason: string }
  | { kind: 'not_ready'; reason: string }
  | { kind: 'forbidden'; reason: string };

export const COMMIT_STATES = ['pending', 'success', 'failure', 'error'] as const;
export type CommitState = (typeof COMMIT_STATES)[number];

export interface CommitStatus {
  context: string;
  state: CommitState;
  description: string;
  targetUrl?: string;
}

export type CombinedStatus = 'success' | 'pending' | 'failure' | 'none';

/** What a submitted pull-request review says: approve, request changes, or only comment. */
export const REVIEW_VERDICTS = ['approved', 'rejected', 'comment'] as const;
export type ReviewVerdict = (typeof REVIEW_VERDICTS)[number];

/** A submitted review of a pull request (the reconciler polls them when a webhook was lost). */
export interface PullReview {
  /** The forge's id of the review: stable, unique within the repository. */
  id: string;
  verdict: ReviewVerdict;
  body: string;
  /** The reviewer's login (null if the forge names none). */
  author: string | null;
  submittedAtMs: number;
  /** Written by Orch's own forge user: its webhook would be dropped as the bot's, so is this. */
  byOrch: boolean;
}

export interface Forge {
  readonly kind: string;
  /** A URL or path git can clone, fetch and push (secrets, if any, never logged). */
  cloneUrl(repo: string): string;
  defaultBranch(repo: string): Promise<string>;
  ensureBranch(repo: string, branch: string, fromRef: string): Promise<void>;
  /** Finds the PR whose head is `head` (open or merged), else creates one. */
  ensurePullRequest(
    repo: string,
    pr: { head: string; base: string; title: string; body: string },
  ): Promise<PullRequest>;
  /** The PR from `head` (into `base` when given; Gitea then asks by base and head directly). */
  findPullRequest(repo: string, head: string, base?: string): Promise<PullRequest | null>;
  /** Merges the PR only if its head is still `headSha` (the commit the gates saw). */
  merge(repo: string, prNumber: number, options: { headSha: string }): Promise<MergeResult>;
  setStatus(repo: string, sha: string, status: CommitStatus): Promise<void>;
  combinedStatus(repo: string, ref: string): Promise<CombinedStatus>;
  /** Submitted reviews of PR `prNumber`, oldest first; drafts and dismissed reviews are left out. */
  listReviews(repo: string, prNumber: number): Promise<PullReview[]>;
}

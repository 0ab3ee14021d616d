import type {
  CombinedStatus,
  MergeResult,
  PullRequest,
  PullReview,
  ReviewVerdict,
} from '../forge/forge.js';
import { asBoolean, asNumber, asObject, asString, pick } from '../webhooks/loose-json.js';

/** A Gitea API pull request object → the Forge contract's PullRequest; null if unreadable. */
export function pullRequestOf(raw: unknown): PullRequest | null {
  const o = asObject(raw);
  const number = asNumber(o?.number);
  if (!o || number === null) return null;
  return {
    number,
    head: asString(pick(o, 'head', 'ref')) ?? '',
    base: asString(pick(o, 'base', 'ref')) ?? '',
    title: asString(o.title) ?? '',
    url: asString(o.html_url),
    state: o.state === 'closed' ? 'closed' : 'open',
    merged: asBoolean(o.merged),
    headSha: asString(pick(o, 'head', 'sha')),
  };
}

/**
 * The reply to `POST …/pulls/{n}/merge` other than 405 → a MergeResult (the merge SHA is filled in
 * later), or null for a status that is an error. Gitea (`routers/api/v1/repo/pull.go`
 * MergePullRequest): 200 merged; 409 `head out of date` when `head_commit_id` no longer matches,
 * `merge push out of date`, or a merge/rebase conflict (a JSON error object without `message`).
 * 405 is decided by `classifyMergeRefusal`. Pure.
 */
export function mergeOutcome(status: number, message: string): MergeResult | null {
  if (status === 200 || status === 204) return { kind: 'merged', mergeSha: '' };
  if (status === 409) {
    if (/head|sha/i.test(message) && !/conflict/i.test(message)) {
      return { kind: 'head_moved', reason: message || 'head out of date' };
    }
    return { kind: 'conflict', reason: message || 'merge conflict (409)' };
  }
  return null;
}

/** Why Gitea answered 405 to a merge, read from its `message`. */
export type MergeRefusal =
  | { kind: 'no_reason' }
  | { kind: 'try_later' }
  | { kind: 'not_ready'; reason: string }
  | { kind: 'style_not_allowed'; reason: string }
  | { kind: 'forbidden'; reason: string };

/** Branch-protection reasons (services/pull `CheckPullBranchProtections`): wait, then merge. */
const NOT_READY = [
  /not all required status checks/i,
  /enough approvals/i,
  /requested changes/i,
  /official review requests/i,
  /head branch is behind/i,
  /protected files/i,
  /work in progress/i,
];

/**
 * The 405 `message`s of Gitea's merge handler (routers/api/v1/repo/pull.go MergePullRequest), as
 * real Gitea sends them in `{"message": …, "url": …}`:
 * - `""`: already merged (ErrHasMerged);
 * - `Please try again later`: not in a mergeable state — a conflict, or the conflict check Gitea
 *   runs after every push has not finished (ErrNotMergeableState);
 * - a branch-protection reason (ErrNotReadyToMerge), e.g. `Not all required status checks
 *   successful`, `Does not have enough approvals`; older releases wrap it as
 *   `not allowed to merge [reason: …]`; `Work in progress PRs cannot be merged` is the same kind;
 * - `<style> is not allowed an allowed merge style for this repository`;
 * - `User not allowed to merge PR` (ErrNoPermissionToMerge), or anything else: forbidden. Pure.
 */
export function classifyMergeRefusal(message: string): MergeRefusal {
  const text = message.trim();
  if (text === '') return { kind: 'no_reason' };
  if (/try again later/i.test(text)) return { kind: 'try_later' };
  if (/merge style/i.test(text)) return { kind: 'style_not_allowed', reason: text };
  const wrapped = /\[reason:\s*(.+?)\]\s*$/i.exec(text)?.[1];
  const reason = wrapped ?? text;
  if (NOT_READY.some((re) => re.test(reason))) return { kind: 'not_ready', reason };
  return { kind: 'forbidden', reason };
}

export const MERGE_STYLES = [
  'merge',
  'rebase',
  'rebase-merge',
  'squash',
  'fast-forward-only',
] as const;
export type MergeStyle = (typeof MERGE_STYLES)[number];

const STYLE_SETTING: Record<MergeStyle, string> = {
  merge: 'allow_merge_commits',
  rebase: 'allow_rebase',
  'rebase-merge': 'allow_rebase_explicit',
  squash: 'allow_squash_merge',
  'fast-forward-only': 'allow_fast_forward_only_merge',
};

/**
 * A merge style the repository allows (Gitea `Repository` `allow_*` settings), other than
 * `refused`: its `default_merge_style` when allowed, else the first allowed in MERGE_STYLES
 * order; null when none is. Pure.
 */
export function allowedMergeStyle(repo: unknown, refused: string): MergeStyle | null {
  const o = asObject(repo) ?? {};
  const allowed = MERGE_STYLES.filter((s) => s !== refused && o[STYLE_SETTING[s]] === true);
  const preferred = asString(o.default_merge_style);
  return allowed.find((s) => s === preferred) ?? allowed[0] ?? null;
}

/**
 * Gitea's combined state → CombinedStatus. No statuses → `none`; `warning` does not count as
 * success (a gate that only warns should publish success). Pure.
 */
export function combinedStateOf(state: string | null, count: number): CombinedStatus {
  if (count === 0 || state === null) return 'none';
  switch (state) {
    case 'success':
      return 'success';
    case 'pending':
      return 'pending';
    default:
      return 'failure';
  }
}

/** Gitea `ReviewStateType` of a submitted review → verdict; drafts and review requests are none. */
const REVIEW_STATES: Readonly<Record<string, ReviewVerdict>> = {
  APPROVED: 'approved',
  REQUEST_CHANGES: 'rejected',
  COMMENT: 'comment',
};

/**
 * A Gitea `PullReview` → the Forge contract's PullReview, or null for one that says nothing (a
 * PENDING draft, a REQUEST_REVIEW, a dismissed review, an unreadable object). `botLogin` is
 * Orch's own Gitea user (its reviews are `byOrch`). Pure.
 */
export function pullReviewOf(raw: unknown, botLogin?: string): PullReview | null {
  const o = asObject(raw);
  const id = asNumber(o?.id);
  const verdict = REVIEW_STATES[asString(o?.state) ?? ''];
  if (!o || id === null || verdict === undefined || asBoolean(o.dismissed)) return null;
  const author = asString(pick(o, 'user', 'login'));
  return {
    id: String(id),
    verdict,
    body: asString(o.body) ?? '',
    author,
    submittedAtMs: Date.parse(asString(o.submitted_at) ?? '') || 0,
    byOrch: botLogin !== undefined && author?.toLowerCase() === botLogin.toLowerCase(),
  };
}

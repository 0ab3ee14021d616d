import type {
  CombinedStatus,
  MergeResult,
  PullRequest,
  PullReview,
  ReviewVerdict,
} from '../forge/forge.js';
import { asArray, asBoolean, asNumber, asObject, asString, pick } from '../webhooks/loose-json.js';

/** A GitHub `pull-request` / `pull-request-simple` → the Forge contract's PullRequest. Pure. */
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
    // the list endpoint has no `merged`, only `merged_at`
    merged: asBoolean(o.merged) || asString(o.merged_at) !== null,
    headSha: asString(pick(o, 'head', 'sha')),
  };
}

export const MERGE_METHODS = ['merge', 'squash', 'rebase'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];

const METHOD_SETTING: Record<MergeMethod, string> = {
  merge: 'allow_merge_commit',
  squash: 'allow_squash_merge',
  rebase: 'allow_rebase_merge',
};

/**
 * The merge method to use for a repository (`full-repository` `allow_*`): the configured one if
 * allowed, else merge > squash > rebase; fields GitHub leaves out (no admin/push view) count as
 * allowed. Null when none is. Pure.
 */
export function mergeMethodOf(
  repo: unknown,
  configured?: MergeMethod,
  refused?: MergeMethod,
): MergeMethod | null {
  const o = asObject(repo) ?? {};
  const allowed = MERGE_METHODS.filter((m) => m !== refused && o[METHOD_SETTING[m]] !== false);
  if (configured !== undefined && allowed.includes(configured)) return configured;
  return allowed[0] ?? null;
}

/** One check run (`check-run`) → its state as a commit status would say it. Pure. */
export function checkRunState(run: unknown): 'success' | 'pending' | 'failure' {
  if (asString(pick(run, 'status')) !== 'completed') return 'pending';
  const conclusion = asString(pick(run, 'conclusion'));
  return conclusion === 'success' || conclusion === 'neutral' || conclusion === 'skipped'
    ? 'success'
    : 'failure';
}

/**
 * Combined commit statuses (`combined-commit-status`) AND check runs → CombinedStatus: success
 * only when both are (or one is and the other has none); `none` when there are neither. GitHub
 * says `pending` for a commit without statuses: `total_count` 0 is read as none. Pure.
 */
export function combinedOf(combined: unknown, checkRuns: readonly unknown[]): CombinedStatus {
  const states: string[] = [];
  if ((asNumber(pick(combined, 'total_count')) ?? 0) > 0) {
    states.push(asString(pick(combined, 'state')) ?? 'pending');
  }
  for (const run of checkRuns) states.push(checkRunState(run));
  if (states.length === 0) return 'none';
  if (states.some((s) => s === 'failure' || s === 'error')) return 'failure';
  if (states.some((s) => s !== 'success')) return 'pending';
  return 'success';
}

/** The statuses and check runs of a commit that are not green: `name (state)`. Pure. */
export function notGreen(combined: unknown, checkRuns: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const st of asArray(pick(combined, 'statuses'))) {
    const state = asString(pick(st, 'state'));
    if (state !== 'success') out.push(`${asString(pick(st, 'context')) ?? '?'} (${state ?? '?'})`);
  }
  for (const run of checkRuns) {
    const state = checkRunState(run);
    if (state === 'success') continue;
    const detail = asString(pick(run, 'conclusion')) ?? asString(pick(run, 'status')) ?? state;
    out.push(`${asString(pick(run, 'name')) ?? '?'} (${detail})`);
  }
  return out;
}

/** What a refused merge (405/422) comes to, from the re-read PR and GitHub's `message`. */
export type MergeRefusal =
  | MergeResult
  | { kind: 'method_not_allowed'; reason: string }
  | { kind: 'blocked'; reason: string };

/**
 * A refused `PUT …/pulls/{n}/merge` (405 "Pull Request is not mergeable", "Merge commits are not
 * allowed on this repository.", "Required status check … is expected.", "At least 1 approving
 * review is required…", "Base branch was modified…") decided with the PR as GitHub now reports it:
 * merged → already_merged; closed → forbidden; a merge method the repository refuses →
 * method_not_allowed; `mergeable` null (GitHub computes it in the background after each push) →
 * not_mergeable "still computing"; `mergeable_state` dirty → conflict, blocked → blocked (the
 * caller names the checks), behind → not_ready, draft → not_ready; else by the message. Pure.
 */
export function classifyMergeRefusal(pr: unknown, message: string): MergeRefusal {
  const o = asObject(pr) ?? {};
  const text = message.trim() || 'refused (no reason given)';
  if (asBoolean(o.merged)) return { kind: 'already_merged' };
  if (o.state === 'closed') return { kind: 'forbidden', reason: 'the pull request is closed' };
  if (/(merge commits|squash merges|rebase merges) are not allowed|merge method/i.test(text)) {
    return { kind: 'method_not_allowed', reason: text };
  }
  const state = asString(o.mergeable_state) ?? 'unknown';
  if (o.mergeable === null || o.mergeable === undefined || state === 'unknown') {
    return {
      kind: 'not_mergeable',
      reason: `GitHub is still computing mergeability (${text})`,
    };
  }
  switch (state) {
    case 'dirty':
      return { kind: 'conflict', reason: `merge conflict with the base branch (${text})` };
    case 'blocked':
      return { kind: 'blocked', reason: text };
    case 'behind':
      return { kind: 'not_ready', reason: `head branch is behind the base branch (${text})` };
    case 'draft':
      return { kind: 'not_ready', reason: 'the pull request is a draft' };
    default:
      break;
  }
  if (/base branch was modified/i.test(text)) return { kind: 'not_mergeable', reason: text };
  if (/status check|approving review|review is required|code owner/i.test(text)) {
    return { kind: 'blocked', reason: text };
  }
  return { kind: 'forbidden', reason: text };
}

/** GitHub review `state` of a submitted review → verdict; PENDING and DISMISSED say nothing. */
const REVIEW_STATES: Readonly<Record<string, ReviewVerdict>> = {
  APPROVED: 'approved',
  CHANGES_REQUESTED: 'rejected',
  COMMENTED: 'comment',
};

/** A GitHub `pull-request-review` → PullReview, or null for a draft or dismissed one. Pure. */
export function pullReviewOf(raw: unknown, botLogin: string | null): PullReview | null {
  const o = asObject(raw);
  const id = asNumber(o?.id);
  const verdict = REVIEW_STATES[asString(o?.state) ?? ''];
  if (!o || id === null || verdict === undefined) return null;
  const author = asString(pick(o, 'user', 'login'));
  return {
    id: String(id),
    verdict,
    body: asString(o.body) ?? '',
    author,
    submittedAtMs: Date.parse(asString(o.submitted_at) ?? '') || 0,
    byOrch: botLogin !== null && author?.toLowerCase() === botLogin.toLowerCase(),
  };
}

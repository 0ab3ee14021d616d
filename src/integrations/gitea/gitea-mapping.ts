import type { CombinedStatus, CommitStatus, MergeResult, PullRequest } from '../forge/forge.js';
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
 * The reply to `POST …/pulls/{n}/merge` → a MergeResult (the merge SHA is filled in later), or
 * null for a status that is an error. Gitea (`routers/api/v1/repo/pull.go` MergePullRequest):
 * 200 merged; 405 "not mergeable" (already merged, WIP, checks, not allowed — `alreadyMerged`
 * tells which); 409 `head out of date` when `head_commit_id` no longer matches, or merge/rebase
 * conflicts / push out of date otherwise. Pure.
 */
export function mergeOutcome(
  status: number,
  message: string,
  alreadyMerged: boolean,
): MergeResult | null {
  if (status === 200 || status === 204) return { kind: 'merged', mergeSha: '' };
  if (status === 405) {
    if (alreadyMerged) return { kind: 'already_merged' };
    return { kind: 'conflict', reason: `not mergeable: ${message || 'refused by Gitea (405)'}` };
  }
  if (status === 409) {
    if (/head|sha/i.test(message) && !/conflict/i.test(message)) {
      return { kind: 'head_moved', reason: message || 'head out of date' };
    }
    return { kind: 'conflict', reason: message || 'merge conflict (409)' };
  }
  return null;
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

/** The commit status context of an Orch gate: `orch/<gate>`. */
export function gateContext(gate: string): string {
  return `orch/${gate}`;
}

/** A gate result as a commit status (`orch/<gate>`, success or failure, reason as description). */
export function gateStatus(
  gate: string,
  passed: boolean,
  reason: string,
  targetUrl?: string,
): CommitStatus {
  return {
    context: gateContext(gate),
    state: passed ? 'success' : 'failure',
    description: reason,
    ...(targetUrl === undefined ? {} : { targetUrl }),
  };
}

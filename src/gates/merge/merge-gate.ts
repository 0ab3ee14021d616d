import { integrationRetry } from '../../integrations/http/integration-error.js';
import { mergeHeadStatuses } from '../../integrations/forge/status-contexts.js';
import type { Gate, GateContext, GateResult } from '../gate.js';
import { catchUp } from './catch-up.js';
import { localConflicts } from './local-conflicts.js';

const GATE = 'merge_gate';

export interface MergeOptions {
  /** How long to wait before trying again when the forge says "not yet". */
  deferMs: number;
  /** The tests were just re-run on `ctx.headSha` (after a rebase). */
  retested?: boolean;
}

/**
 * Merges the task's pull request through the forge, pinned to the head SHA the gates saw, on the
 * deploy-staging → deploy edge. First publishes Orch's statuses (`orch/tests`, `orch/review`,
 * `orch/security`) on that exact head, so branch protection requiring them can pass. Then:
 * merged / already merged → pass; conflict or moved head → fail (rollback to development);
 * branch protection not satisfied, or Gitea's check still running → defer; Orch's user not
 * allowed → blocked with the reason. Idempotent: an already merged PR passes without a second merge.
 */
export async function mergeGate(
  ctx: GateContext,
  options: MergeOptions = { deferMs: 30_000 },
): Promise<GateResult> {
  const pr = await ctx.forge.findPullRequest(ctx.repo, ctx.branch, ctx.baseBranch);
  if (!pr) return { gate: GATE, passed: false, reason: `no pull request for ${ctx.branch}` };
  if (pr.merged) return { gate: GATE, passed: true, reason: `PR #${pr.number} already merged` };
  const headSha = ctx.headSha;
  if (!headSha) return { gate: GATE, passed: false, reason: 'head SHA unknown; refusing to merge' };
  try {
    for (const status of mergeHeadStatuses(ctx.passedGates ?? [], options.retested ?? false)) {
      await ctx.forge.setStatus(ctx.repo, headSha, status);
    }
    return await decide(ctx, pr.number, options);
  } catch (err) {
    const { retryable, retryAfterMs } = integrationRetry(err);
    if (!retryable) throw err;
    const reason = `forge unavailable while merging PR #${pr.number}: ${(err as Error).message}`;
    return { gate: GATE, passed: false, reason, retryAfterMs: retryAfterMs ?? options.deferMs };
  }
}

async function decide(ctx: GateContext, prNumber: number, options: MergeOptions) {
  const r = await ctx.forge.merge(ctx.repo, prNumber, { headSha: ctx.headSha! });
  const pr = `PR #${prNumber}`;
  switch (r.kind) {
    case 'merged':
      return {
        gate: GATE,
        passed: true,
        reason: `${pr} merged as ${r.mergeSha.slice(0, 12)}`,
        mergedSha: r.mergeSha,
      };
    case 'already_merged':
      return { gate: GATE, passed: true, reason: `${pr} already merged` };
    case 'head_moved':
    case 'conflict':
      return { gate: GATE, passed: false, reason: `${pr} not merged: ${r.reason}` };
    case 'not_ready':
      return {
        gate: GATE,
        passed: false,
        reason: `${pr} waits for branch protection: ${r.reason}`,
        retryAfterMs: options.deferMs,
      };
    case 'forbidden':
      return { gate: GATE, passed: false, blocked: true, reason: `${pr} not merged: ${r.reason}` };
    case 'not_mergeable': {
      const files = await localConflicts(ctx.worktree, ctx.baseBranch);
      if (files.length > 0) {
        return {
          gate: GATE,
          passed: false,
          reason: `${pr} conflicts with ${ctx.baseBranch} in: ${files.join(', ')}`,
          evidence: r.reason,
        };
      }
      return {
        gate: GATE,
        passed: false,
        reason: `${pr} not mergeable yet (the forge is still checking it): ${r.reason}`,
        retryAfterMs: options.deferMs,
      };
    }
  }
}

/** The per-repo merge lease the gate serializes on (src/recovery/merge-leases.ts implements it). */
export interface MergeLock {
  acquire(input: {
    repo: string;
    holder: { taskId: number | null; branch: string };
    ttlMs: number;
  }): Promise<{ kind: 'acquired' | 'held_by_self' | 'busy'; holder?: { branch: string } }>;
  release(repo: string, holder: { taskId: number | null; branch: string }): Promise<boolean>;
}

/**
 * What a `beforeMerge` hook decided: go on to the merge (with a note for the gate's reason), or
 * stop with this result (the merge gate returns it as is; nothing is merged).
 */
export type BeforeMergeOutcome =
  { kind: 'proceed'; note?: string } | { kind: 'stop'; result: GateResult };

/**
 * A check of the head about to be merged, asked under the merge lease after catch-up and before
 * the merge: `ctx.headSha` is `headSha`, and the worktree is at it (rebased if catch-up rebased).
 */
export type BeforeMerge = (ctx: GateContext, headSha: string) => Promise<BeforeMergeOutcome>;

const MERGE_LEASE_WAIT = 'merge-lease:';

/** What an item deferred by a busy merge lease waits for (`GateResult.waitsFor`). */
export function mergeLeaseWaitsFor(repo: string): string {
  return `${MERGE_LEASE_WAIT}${repo}`;
}

/** Pure: the repository whose merge lease `waitsFor` names, or null for anything else. */
export function mergeLeaseRepo(waitsFor: string): string | null {
  return waitsFor.startsWith(MERGE_LEASE_WAIT) ? waitsFor.slice(MERGE_LEASE_WAIT.length) : null;
}

export interface MergeGateOptions {
  ttlMs: number;
  /** How long to wait before checking again when another branch holds the lease. */
  deferMs: number;

  /** Asked before the merge (e.g. staging provenance, src/gates/staging-provenance.ts). */
  beforeMerge?: BeforeMerge;
}

/**
 * The merge gate on the deploy-staging → deploy edge (spec ORCH-043/065):
 * 1. already merged → pass (a re-driven deploy never merges twice and needs no lease);
 * 2. take the repo's merge lease (idempotent for this branch); another branch holds it → defer
 *    (the engine re-checks after `deferMs`, a bounded number of times);
 * 3. catch up: rebase onto the target if it moved and re-run the tests; a conflict or red tests
 *    fail the gate (the engine rolls back to development);
 * 4. `beforeMerge`, if given, on the head about to be merged: a stop fails the gate with its result;
 * 5. publish Orch's statuses on the head about to be merged, then merge pinned to it;
 * the lease is released whatever happened (which wakes the item waiting longest for it: a busy
 * result names `waitsFor`, see MergeLeases `onFreed`).
 */
export function leasedMergeGate(lock: MergeLock, options: MergeGateOptions): Gate {
  return async (ctx) => {
    const pr = await ctx.forge.findPullRequest(ctx.repo, ctx.branch, ctx.baseBranch);
    if (pr?.merged) return { gate: GATE, passed: true, reason: `PR #${pr.number} already merged` };
    const holder = { taskId: ctx.taskId ?? null, branch: ctx.branch };
    const lease = await lock.acquire({ repo: ctx.repo, holder, ttlMs: options.ttlMs });
    if (lease.kind === 'busy') {
      const by = lease.holder ? ` (held by ${lease.holder.branch})` : '';
      return {
        gate: GATE,
        passed: false,
        reason: `merge-lock busy for ${ctx.repo}${by}`,
        retryAfterMs: options.deferMs,
        waitsFor: mergeLeaseWaitsFor(ctx.repo),
      };
    }
    try {
      return await catchUpAndMerge(ctx, options);
    } finally {
      await lock.release(ctx.repo, holder);
    }
  };
}

async function catchUpAndMerge(ctx: GateContext, options: MergeGateOptions): Promise<GateResult> {
  const up = await catchUp(ctx);
  switch (up.kind) {
    case 'conflict':
    case 'tests_red':
      return {
        gate: GATE,
        passed: false,
        reason:
          up.kind === 'conflict'
            ? 'rebase conflict with the target branch'
            : 'tests red after rebase',
        evidence: up.detail,
      };
    case 'up_to_date':
    case 'rebased': {
      const retested = up.kind === 'rebased';
      const at = { ...ctx, headSha: up.headSha };
      const before: BeforeMergeOutcome = options.beforeMerge
        ? await options.beforeMerge(at, up.headSha)
        : { kind: 'proceed' };
      if (before.kind === 'stop') return before.result;
      const merged = await mergeGate(at, { deferMs: options.deferMs, retested });
      const notes = [retested ? 'rebased and re-tested' : null, before.note ?? null];
      const reason = [merged.reason, ...notes.filter((n) => n !== null).map((n) => `(${n})`)];
      return { ...merged, reason: reason.join(' ') };
    }
  }
}

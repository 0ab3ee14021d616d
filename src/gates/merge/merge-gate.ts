import type { Gate, GateContext, GateResult } from '../gate.js';
import { catchUp } from './catch-up.js';

/**
 * Merges the task's pull request through the forge, pinned to the head SHA the gates saw, on the
 * deploy-staging → deploy edge. Idempotent: an already merged PR passes without a second merge.
 */
export async function mergeGate(ctx: GateContext): Promise<GateResult> {
  const gate = 'merge_gate';
  const pr = await ctx.forge.findPullRequest(ctx.repo, ctx.branch);
  if (!pr) return { gate, passed: false, reason: `no pull request for ${ctx.branch}` };
  if (pr.merged) return { gate, passed: true, reason: `PR #${pr.number} already merged` };
  if (!ctx.headSha) return { gate, passed: false, reason: 'head SHA unknown; refusing to merge' };
  const r = await ctx.forge.merge(ctx.repo, pr.number, { headSha: ctx.headSha });
  switch (r.kind) {
    case 'merged':
      return {
        gate,
        passed: true,
        reason: `PR #${pr.number} merged as ${r.mergeSha.slice(0, 12)}`,
      };
    case 'already_merged':
      return { gate, passed: true, reason: `PR #${pr.number} already merged` };
    case 'head_moved':
    case 'conflict':
      return { gate, passed: false, reason: `PR #${pr.number} not merged: ${r.reason}` };
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

export interface MergeGateOptions {
  ttlMs: number;
  /** How long to wait before checking again when another branch holds the lease. */
  deferMs: number;
}

/**
 * The merge gate on the deploy-staging → deploy edge (spec ORCH-043/065):
 * 1. already merged → pass (a re-driven deploy never merges twice and needs no lease);
 * 2. take the repo's merge lease (idempotent for this branch); another branch holds it → defer
 *    (the engine re-checks after `deferMs`, a bounded number of times);
 * 3. catch up: rebase onto the target if it moved and re-run the tests; a conflict or red tests
 *    fail the gate (the engine rolls back to development);
 * 4. merge pinned to the head SHA the gates (or the re-test) saw;
 * the lease is released whatever happened.
 */
export function leasedMergeGate(lock: MergeLock, options: MergeGateOptions): Gate {
  return async (ctx) => {
    const gate = 'merge_gate';
    const pr = await ctx.forge.findPullRequest(ctx.repo, ctx.branch);
    if (pr?.merged) return { gate, passed: true, reason: `PR #${pr.number} already merged` };
    const holder = { taskId: ctx.taskId ?? null, branch: ctx.branch };
    const lease = await lock.acquire({ repo: ctx.repo, holder, ttlMs: options.ttlMs });
    if (lease.kind === 'busy') {
      const by = lease.holder ? ` (held by ${lease.holder.branch})` : '';
      return {
        gate,
        passed: false,
        reason: `merge-lock busy for ${ctx.repo}${by}`,
        retryAfterMs: options.deferMs,
      };
    }
    try {
      const up = await catchUp(ctx);
      switch (up.kind) {
        case 'conflict':
        case 'tests_red':
          return {
            gate,
            passed: false,
            reason:
              up.kind === 'conflict'
                ? 'rebase conflict with the target branch'
                : 'tests red after rebase',
            evidence: up.detail,
          };
        case 'up_to_date':
        case 'rebased': {
          const merged = await mergeGate({ ...ctx, headSha: up.headSha });
          return up.kind === 'rebased'
            ? { ...merged, reason: `${merged.reason} (rebased and re-tested)` }
            : merged;
        }
      }
    } finally {
      await lock.release(ctx.repo, holder);
    }
  };
}

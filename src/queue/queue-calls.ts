import { OrchError } from '../errors.js';

/**
 * What callers hand the job queue (src/queue/job-queue.ts) to claim and complete jobs, what a
 * fenced write answers, and the checks the queue and the lease hub run before they write.
 */

export interface ClaimOptions {
  /** Kinds this claimer runs; omitted = any kind. */
  kinds?: readonly string[];
  /** Labels the claimer has; a job is claimable only if all its labels are among them. */
  labels?: readonly string[];
  /** Kinds not to claim now (e.g. open circuit breakers). */
  excludeKinds?: readonly string[];
  /** Projects whose jobs (by their task's project) not to claim now (concurrency caps). */
  excludeProjects?: readonly string[];
  tenantId?: string;
  max?: number;
  leaseMs: number;
  owner: string;
}

export type FencedResult<T> = ({ kind: 'ok' } & T) | { kind: 'lease_lost' };

/** One job of `completeBatch`: fenced by its token and, with `tenantId`, by its tenant. */
export interface CompleteItem {
  id: number;
  leaseToken: string;
  result?: unknown;
  tenantId?: string;
}

/** The claim's `max`, once the options are checked (INVALID_CLAIM otherwise). */
export function checkClaim(options: ClaimOptions): number {
  const max = options.max ?? 1;
  if (!Number.isSafeInteger(max) || max < 1 || max > 1000) {
    throw new OrchError('INVALID_CLAIM', 'max must be an integer from 1 to 1000');
  }
  if (!(options.leaseMs > 0) || options.owner.length === 0) {
    throw new OrchError('INVALID_CLAIM', 'leaseMs must be positive and owner non-empty');
  }
  return max;
}

/** A complete batch is at most 1,000 jobs (INVALID_COMPLETE otherwise). */
export function assertCompleteBatch(items: readonly CompleteItem[]): void {
  if (items.length > 1000) {
    throw new OrchError('INVALID_COMPLETE', 'completeBatch takes at most 1000 jobs');
  }
}

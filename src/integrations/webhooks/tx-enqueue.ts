import type { Clock } from '../../clock.js';
import { JobQueue } from '../../queue/job-queue.js';
import type { EnqueueInput } from '../../queue/enqueue-input.js';
import type { Job } from '../../queue/job.js';
import { WakeSignal } from '../../queue/wake-signal.js';
import type { Db, Queryable } from '../../store/db.js';

/**
 * Enqueues one job on an open transaction `q`, so the job commits or rolls back together with
 * the caller's other writes (the webhook inbox row). JobQueue has no "enqueue on this
 * transaction" entry point yet, so this runs JobQueue's own enqueue (validation, idempotency
 * key, insert) over a Db view of `q`; a single-row enqueue issues its statements on that view
 * directly. Its wake-up hint goes to a private signal: the caller hints the real queue after
 * COMMIT, when a claimer can see the row.
 */
export async function enqueueInTransaction(
  q: Queryable,
  clock: Clock,
  input: EnqueueInput & { maxAttempts: number },
): Promise<{ job: Job; created: boolean }> {
  const view: Db = {
    dialect: q.dialect,
    url: 'transaction',
    all: (sql, params) => q.all(sql, params),
    get: (sql, params) => q.get(sql, params),
    run: (sql, params) => q.run(sql, params),
    exec: (sql) => q.exec(sql),
    tx: (fn) => fn(q),
    close: () => Promise.resolve(),
  };
  const queue = new JobQueue(view, {
    clock,
    retry: { baseMs: 0, capMs: 0, transientBudget: 0 },
    defaultMaxAttempts: input.maxAttempts,
    pollIntervalMs: 1_000,
    wake: new WakeSignal(),
  });
  return queue.enqueue(input);
}

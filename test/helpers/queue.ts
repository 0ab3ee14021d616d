import type { Clock } from '../../src/clock.js';
import type { Db } from '../../src/store/db.js';
import { JobQueue } from '../../src/queue/job-queue.js';
import { QueueAdmin } from '../../src/queue/queue-admin.js';

export const TEST_RETRY = { baseMs: 10_000, capMs: 600_000, transientBudget: 5 } as const;

export function makeQueue(db: Db, clock: Clock, overrides: { pollIntervalMs?: number } = {}) {
  const queue = new JobQueue(db, {
    clock,
    retry: TEST_RETRY,
    defaultMaxAttempts: 2,
    pollIntervalMs: overrides.pollIntervalMs ?? 50,
  });
  return { queue, admin: new QueueAdmin(queue) };
}

export async function jobCount(db: Db): Promise<number> {
  const row = await db.get<{ n: number }>('select count(*) as n from jobs');
  return Number(row?.n ?? 0);
}

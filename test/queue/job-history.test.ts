import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { JobHistoryMover } from '../../src/queue/job-history-mover.js';
import { createRun, getRun } from '../../src/remote/runs-store.js';
import type { Db } from '../../src/store/db.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { makeQueue } from '../helpers/queue.js';

const LEASE = { leaseMs: 30_000, owner: 'worker-a' };
const AFTER_MS = 600_000;

async function count(db: Db, table: 'jobs' | 'job_history'): Promise<number> {
  const row = await db.get<{ n: number }>(`select count(*) as n from ${table}`);
  return Number(row?.n ?? 0);
}

describeEachDialect('job history', ({ current }) => {
  const setup = (afterMs = AFTER_MS) => {
    const clock = new ManualClock();
    const { db } = current();
    const { queue, admin } = makeQueue(db, clock);
    const mover = new JobHistoryMover({
      db,
      clock,
      log: silentLogger,
      afterMs: () => afterMs,
      intervalMs: 60_000,
      owner: 'test',
    });
    /** Enqueues, claims and completes one job of `kind`. */
    const finish = async (kind: string, key?: string) => {
      const { job } = await queue.enqueue({
        kind,
        ...(key !== undefined && { idempotencyKey: key }),
      });
      const [held] = await queue.claim({ kinds: [kind], ...LEASE });
      await queue.complete(job.id, held!.leaseToken!, { kind });
      return job.id;
    };
    return { clock, db, queue, admin, mover, finish };
  };

  it('moves finished jobs past the retention to job_history and still lists them', async () => {
    const { clock, db, queue, admin, mover, finish } = setup();
    const old = await finish('a');
    const { job: failed } = await queue.enqueue({ kind: 'b', maxAttempts: 1 });
    const [held] = await queue.claim({ kinds: ['b'], ...LEASE });
    await queue.fail(failed.id, held!.leaseToken!, { kind: 'permanent', error: 'boom' });
    clock.advance(AFTER_MS + 1);
    const recent = await finish('a');
    const { job: queued } = await queue.enqueue({ kind: 'c' });

    expect(await mover.runOnce()).toBe(2);
    expect(await count(db, 'job_history')).toBe(2);
    expect(await count(db, 'jobs')).toBe(2);
    // Through all_jobs: lists, counts and get see moved jobs as before.
    const listed = await admin.list();
    expect(listed.map((j) => [j.id, j.status])).toEqual([
      [queued.id, 'queued'],
      [recent, 'done'],
      [failed.id, 'failed'],
      [old, 'done'],
    ]);
    expect((await admin.list({ status: 'failed' })).map((j) => j.id)).toEqual([failed.id]);
    expect((await admin.counts()).byStatus).toMatchObject({ done: 2, failed: 1, queued: 1 });
    expect(await queue.get(old)).toMatchObject({ status: 'done', result: { kind: 'a' } });
    expect(await mover.runOnce()).toBe(0);
  });

  it('never hands out a moved job, and an admin retry brings a moved failed job back', async () => {
    const { clock, queue, admin, mover } = setup();
    const { job } = await queue.enqueue({ kind: 'k', maxAttempts: 1 });
    const [held] = await queue.claim({ kinds: ['k'], ...LEASE });
    await queue.fail(job.id, held!.leaseToken!, { kind: 'permanent', error: 'boom' });
    clock.advance(AFTER_MS + 1);
    expect(await mover.runOnce()).toBe(1);
    expect(await queue.claim({ kinds: ['k'], ...LEASE })).toEqual([]);
    // A late complete with the old token is still refused.
    expect((await queue.complete(job.id, held!.leaseToken!)).kind).toBe('lease_lost');

    const retried = await admin.retry(job.id);
    expect(retried).toMatchObject({ id: job.id, status: 'queued', attempts: 0 });
    const [again] = await queue.claim({ kinds: ['k'], ...LEASE });
    expect(again?.id).toBe(job.id);
    expect((await admin.list()).map((j) => j.id)).toEqual([job.id]);
  });

  it('keeps jobs with an idempotency key in jobs, so a key never creates a second job', async () => {
    const { clock, db, queue, mover, finish } = setup();
    const keyed = await finish('k', 'webhook:1');
    await finish('k');
    clock.advance(AFTER_MS + 1);
    expect(await mover.runOnce()).toBe(1);
    const again = await queue.enqueue({ kind: 'k', idempotencyKey: 'webhook:1' });
    expect(again).toMatchObject({ created: false, job: { id: keyed, status: 'done' } });
    expect(await count(db, 'jobs')).toBe(1);
  });

  it('moves nothing with a retention of 0', async () => {
    const { clock, db, mover, finish } = setup(0);
    await finish('a');
    clock.advance(365 * 86_400_000);
    expect(await mover.runOnce()).toBe(0);
    expect(await count(db, 'job_history')).toBe(0);
  });

  it("shows a v2 run's moved jobs to its tenant and derives the run's status from them", async () => {
    const { clock, db, queue, mover } = setup();
    const plan = [{ kind: 'scan' }, { kind: 'lint' }];
    const { runId, jobIds } = await createRun(db, { tenantId: 'acme', plan }, clock.now());
    const scan = { kinds: ['scan'], tenantId: 'acme', ...LEASE };
    const [held] = await queue.claim(scan);
    await queue.complete(held!.id, held!.leaseToken!);
    clock.advance(AFTER_MS + 1);
    expect(await mover.runOnce()).toBe(1);
    // Tenant-scoped (PostgreSQL: the orch_tenant role under row-level security) through all_jobs.
    const running = await getRun(db, 'acme', runId, clock.now());
    expect(running.status).toBe('running');
    expect(running.jobs.map((j) => [j.id, j.status])).toEqual([
      [jobIds[0], 'done'],
      [jobIds[1], 'queued'],
    ]);
    const [lint] = await queue.claim({ ...scan, kinds: ['lint'] });
    await queue.complete(lint!.id, lint!.leaseToken!);
    expect((await getRun(db, 'acme', runId, clock.now())).status).toBe('completed');
    await expect(getRun(db, 'globex', runId, clock.now())).rejects.toThrow();
  });
});

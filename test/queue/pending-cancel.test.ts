import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { Job } from '../../src/queue/job.js';
import { ReapStore } from '../../src/store/jobs/reap-store.js';
import { makeQueue } from '../helpers/queue.js';
import { describeEachDialect } from '../helpers/test-db.js';

const LEASE = { kinds: ['developer'], leaseMs: 10_000, owner: 'host-1:42' };

describeEachDialect('a pending cancel', ({ current }) => {
  const setup = () => {
    const clock = new ManualClock();
    const { queue, admin } = makeQueue(current().db, clock);
    /** A running job (attempts left unless `maxAttempts` is 1) whose operator asked to cancel it. */
    const cancelRequested = async (maxAttempts = 3): Promise<Job> => {
      const { job } = await queue.enqueue({ kind: 'developer', maxAttempts });
      const [held] = await queue.claim(LEASE);
      expect(held?.id).toBe(job.id);
      const res = await admin.requestCancel(job.id);
      expect(res).toMatchObject({
        immediate: false,
        job: { status: 'running', cancelRequested: true },
      });
      return held!;
    };
    /** The job ended cancelled, says why, and no claimer ever gets it again. */
    const expectCancelled = async (id: number, was: string) => {
      expect(await queue.get(id)).toMatchObject({
        status: 'cancelled',
        error: `cancelled by operator (was: ${was})`,
        finishedAtMs: clock.now(),
        leaseExpiresAtMs: null,
      });
      clock.advance(3_600_000);
      expect(await queue.claim(LEASE)).toEqual([]);
      expect(await queue.get(id)).toMatchObject({ status: 'cancelled' });
    };
    return { clock, queue, admin, cancelRequested, expectCancelled };
  };

  it('is honoured by lease expiry: the job ends cancelled instead of going back to the queue', async () => {
    const { clock, admin, cancelRequested, expectCancelled } = setup();
    const held = await cancelRequested();
    clock.advance(10_001);
    expect(await admin.expireLeases()).toMatchObject([{ id: held.id, status: 'cancelled' }]);
    await expectCancelled(held.id, 'lease expired (held by host-1:42)');
  });

  it('is honoured by lease expiry when the attempts are spent: cancelled, not failed', async () => {
    const { clock, admin, cancelRequested, expectCancelled } = setup();
    const held = await cancelRequested(1);
    clock.advance(10_001);
    expect(await admin.expireLeases()).toMatchObject([{ id: held.id, status: 'cancelled' }]);
    await expectCancelled(held.id, 'lease expired (held by host-1:42)');
  });

  it('is honoured by startup recovery of running jobs', async () => {
    const { admin, cancelRequested, expectCancelled } = setup();
    const held = await cancelRequested();
    expect(await admin.recoverRunning({ owner: 'host-1:42' })).toMatchObject([
      { id: held.id, status: 'cancelled' },
    ]);
    await expectCancelled(held.id, 'recovered after restart');
  });

  it("is honoured by the reaper's requeue claim", async () => {
    const { clock, cancelRequested, expectCancelled } = setup();
    const held = await cancelRequested();
    const store = new ReapStore(current().db);
    const claimed = await store.claim(held.id, held.leaseToken, 'queued', {
      nowMs: clock.now(),
      error: 'reaped: pid dead',
    });
    expect(claimed).toMatchObject({ status: 'cancelled' });
    await expectCancelled(held.id, 'reaped: pid dead');
  });

  it("is honoured by the reaper's done claim, so the pipeline step is not replayed for it", async () => {
    const { clock, cancelRequested, expectCancelled } = setup();
    const held = await cancelRequested();
    const store = new ReapStore(current().db);
    const claimed = await store.claim(held.id, held.leaseToken, 'done', { nowMs: clock.now() });
    expect(claimed).toMatchObject({ status: 'cancelled' });
    await expectCancelled(held.id, 'reap done');
  });

  it("is honoured by a holder's failure that would have been retried", async () => {
    const { queue, cancelRequested, expectCancelled } = setup();
    const held = await cancelRequested();
    const res = await queue.fail(held.id, held.leaseToken!, { kind: 'permanent', error: 'exit 1' });
    expect(res).toMatchObject({ kind: 'ok', job: { status: 'cancelled' } });
    await expectCancelled(held.id, 'exit 1');
  });

  it('is honoured by a transient failure backing off and by a final failure', async () => {
    const { queue, cancelRequested, expectCancelled } = setup();
    const a = await cancelRequested();
    const transient = { kind: 'transient', retryAfterMs: 30_000, error: 'HTTP 429' } as const;
    expect(await queue.fail(a.id, a.leaseToken!, transient)).toMatchObject({
      job: { status: 'cancelled' },
    });
    await expectCancelled(a.id, 'HTTP 429');
    const b = await cancelRequested(1);
    expect(
      await queue.fail(b.id, b.leaseToken!, { kind: 'permanent', error: 'exit 2' }),
    ).toMatchObject({ job: { status: 'cancelled' } });
    await expectCancelled(b.id, 'exit 2');
  });

  it('is honoured by a snooze', async () => {
    const { queue, cancelRequested, expectCancelled } = setup();
    const held = await cancelRequested();
    const res = await queue.snooze(held.id, held.leaseToken!, 60_000, 'quota until 14:00');
    expect(res).toMatchObject({ kind: 'ok', job: { status: 'cancelled' } });
    await expectCancelled(held.id, 'quota until 14:00');
  });

  it('is never resurrected by the claim: a queued row that still carries one ends cancelled', async () => {
    const { queue, expectCancelled } = setup();
    const { job } = await queue.enqueue({ kind: 'developer' });
    // What lease expiry used to leave behind: queued, with the operator's cancel still pending.
    await current().db.run(
      "update jobs set cancel_requested = 1, error = 'lease expired (held by old)' where id = $1",
      [job.id],
    );
    const other = await queue.enqueue({ kind: 'developer' });
    const claimed = await queue.claim({ ...LEASE, max: 5 });
    expect(claimed.map((j) => j.id)).toEqual([other.job.id]);
    await expectCancelled(job.id, 'lease expired (held by old)');
  });

  it('still lets a holder complete work it finished, and an admin retry starts the job over', async () => {
    const { queue, admin, cancelRequested } = setup();
    const held = await cancelRequested();
    expect(await queue.complete(held.id, held.leaseToken!)).toMatchObject({
      job: { status: 'done' },
    });
    const again = await cancelRequested();
    await queue.cancel(again.id, again.leaseToken!, 'cancelled by operator');
    expect(await admin.retry(again.id)).toMatchObject({
      status: 'queued',
      cancelRequested: false,
      attempts: 0,
    });
    expect((await queue.claim(LEASE)).map((j) => j.id)).toEqual([again.id]);
  });
});

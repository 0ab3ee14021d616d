import { expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { listenForJobs } from '../../src/store/jobs/jobs-listener.js';
import { openDb } from '../../src/store/open-db.js';
import { makeQueue } from '../helpers/queue.js';
import { describeEachDialect } from '../helpers/test-db.js';

// The poll interval and wait are far longer than the test timeout: a claimer that gets its job
// can only have been woken by the hint, never by polling.
const SLOW_POLL = { pollIntervalMs: 120_000 };

describeEachDialect('wake-up', ({ current, dialect }) => {
  it('wakes a waiting claimer in the same process when a job is enqueued', async () => {
    const { queue } = makeQueue(current().db, systemClock, SLOW_POLL);
    const waiting = queue.claimWait({ kinds: ['k'], leaseMs: 1_000, owner: 'w', waitMs: 110_000 });
    await new Promise((r) => setTimeout(r, 50));
    const { job } = await queue.enqueue({ kind: 'k' });
    const [got] = await waiting;
    expect(got?.id).toBe(job.id);
  }, 10_000);

  it('returns nothing when the wait ends without work, or when aborted', async () => {
    const { queue } = makeQueue(current().db, systemClock, { pollIntervalMs: 20 });
    expect(await queue.claimWait({ leaseMs: 1_000, owner: 'w', waitMs: 60 })).toEqual([]);
    const ac = new AbortController();
    const waiting = queue.claimWait({
      leaseMs: 1_000,
      owner: 'w',
      waitMs: 100_000,
      signal: ac.signal,
    });
    ac.abort();
    expect(await waiting).toEqual([]);
  });

  if (dialect === 'postgres') {
    it('wakes a claimer on another connection through LISTEN/NOTIFY', async () => {
      const other = openDb(current().url, { maxConnections: 2 });
      const { queue: waiter } = makeQueue(other, systemClock, SLOW_POLL);
      const { queue: producer } = makeQueue(current().db, systemClock, SLOW_POLL);
      try {
        await waiter.start();
        const waiting = waiter.claimWait({
          kinds: ['k'],
          leaseMs: 1_000,
          owner: 'w',
          waitMs: 110_000,
        });
        await new Promise((r) => setTimeout(r, 50));
        const { job } = await producer.enqueue({ kind: 'k' });
        const [got] = await waiting;
        expect(got?.id).toBe(job.id);
      } finally {
        await waiter.close();
        await other.close();
      }
    }, 10_000);

    it("hears other processes' enqueues, not its own (those woke their claimers in-process)", async () => {
      const db = current().db;
      const other = openDb(current().url, { maxConnections: 2 });
      const hints: number[] = [];
      const listener = await listenForJobs(
        db,
        () => hints.push(Date.now()),
        () => undefined,
      );
      try {
        const { queue: own } = makeQueue(db, systemClock, SLOW_POLL);
        const { queue: elsewhere } = makeQueue(other, systemClock, SLOW_POLL);
        await own.enqueue({ kind: 'k' });
        await own.enqueueBatch([{ kind: 'k' }, { kind: 'j' }]);
        // A marker from another pool: once its hint is heard, the own enqueues' NOTIFYs (sent
        // earlier, delivered in order on the one LISTEN connection) would have been heard too.
        await elsewhere.enqueue({ kind: 'k' });
        await vi.waitFor(() => expect(hints.length).toBeGreaterThan(0), { timeout: 5_000 });
        await new Promise((r) => setTimeout(r, 100));
        expect(hints).toHaveLength(1);
      } finally {
        await listener?.close();
        await other.close();
      }
    }, 10_000);
  }
});

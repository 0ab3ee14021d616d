import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { sqlText, type Db, type Queryable, type Sql, type SqlParam } from '../../src/store/db.js';
import { CompleteBatcher } from '../../src/remote/complete-batcher.js';
import { LeaseHub, type HubLeaseRequest } from '../../src/remote/lease-hub.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { makeQueue } from '../helpers/queue.js';

/**
 * The real store, watched: how many transactions ran, and the complete batches run inside and
 * outside one. `failClaimInTx` makes the next claim statement inside a transaction throw (after
 * the transaction's complete batch was written), as a claim that cannot be written would.
 */
function watched(db: Db) {
  const seen = { tx: 0, completeBatches: { inTx: 0, standalone: 0 }, failClaimInTx: false };
  const isCompleteBatch = (sql: Sql) => sqlText(sql).includes('-- complete batch:');
  const inTx = (q: Queryable): Queryable => ({
    ...q,
    tuples: (sql, params) => {
      if (isCompleteBatch(sql)) seen.completeBatches.inTx++;
      if (seen.failClaimInTx && sqlText(sql).includes('-- claim:')) {
        seen.failClaimInTx = false;
        return Promise.reject(new Error('the disk is full'));
      }
      return q.tuples(sql, params);
    },
  });
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'tx') {
        return <T>(fn: (q: Queryable) => Promise<T>) => {
          seen.tx++;
          return target.tx((q) => fn(inTx(q)));
        };
      }
      if (prop === 'tuples') {
        return (sql: Sql, params?: readonly SqlParam[]) => {
          if (isCompleteBatch(sql)) seen.completeBatches.standalone++;
          return target.tuples(sql, params);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { db: proxy, seen };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachDialect('lease hub carrying completes', ({ current }) => {
  const setup = async (jobs: number) => {
    const { db, seen } = watched(current().db);
    const { queue } = makeQueue(db, new ManualClock());
    for (let i = 0; i < jobs; i++) await queue.enqueue({ kind: 'scan', tenantId: 'acme' });
    const completes = new CompleteBatcher(queue);
    const hub = new LeaseHub(queue, { leaseMs: 30_000, pollIntervalMs: 50, completes });
    const req = (owner: string): HubLeaseRequest => ({
      tenantId: 'acme',
      kinds: ['scan'],
      labels: [],
      max: 1,
      waitMs: 0,
      owner,
    });
    return { queue, completes, hub, req, seen };
  };

  it('writes the completes waiting for their window with its next claim, in one commit', async () => {
    const { queue, completes, hub, req, seen } = await setup(2);
    const [first] = await hub.lease(req('agent-1'));
    expect(seen.tx).toBe(0); // nothing to carry: a plain claim
    const done = completes.complete(first!.id, first!.leaseToken!, { found: 0 }, 'acme');
    const next = await hub.lease(req('agent-2'));
    expect(await done).toEqual({ kind: 'ok', runId: null });
    expect(next).toHaveLength(1);
    expect(next[0]!.id).not.toBe(first!.id);
    expect(seen.tx).toBe(1);
    await sleep(20); // past the batch window: the batcher's own flush finds nothing left
    expect(seen.completeBatches).toEqual({ inTx: 1, standalone: 0 });
    expect(await queue.get(first!.id)).toMatchObject({ status: 'done', result: { found: 0 } });
  });

  it('when the claim fails in the transaction, rolls the completes back, writes them alone and claims alone', async () => {
    const { queue, completes, hub, req, seen } = await setup(2);
    const [first] = await hub.lease(req('agent-1'));
    const done = completes.complete(first!.id, first!.leaseToken!, null, 'acme');
    seen.failClaimInTx = true;
    // The claim is retried without the completes; the waiter gets its job.
    const next = await hub.lease(req('agent-2'));
    expect(next).toHaveLength(1);
    expect(await done).toEqual({ kind: 'ok', runId: null });
    // Written in the transaction, rolled back with it, then written once by the batcher's flush.
    expect(seen.completeBatches).toEqual({ inTx: 1, standalone: 1 });
    expect(await queue.get(first!.id)).toMatchObject({ status: 'done' });
    expect(await queue.get(next[0]!.id)).toMatchObject({ status: 'running', leasedBy: 'agent-2' });
  });

  it('does not take the waiting completes for a claim it refuses', async () => {
    const { completes, hub, req, seen } = await setup(1);
    const [first] = await hub.lease(req('agent-1'));
    const done = completes.complete(first!.id, first!.leaseToken!, null, 'acme');
    await expect(hub.lease({ ...req('agent-2'), max: 0 })).rejects.toThrow('max must be');
    expect(await done).toEqual({ kind: 'ok', runId: null });
    expect(seen).toMatchObject({ tx: 0, completeBatches: { inTx: 0, standalone: 1 } });
  });
});

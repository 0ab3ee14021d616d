import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { sqlText, type Db, type Sql } from '../../src/store/db.js';
import { CompleteBatcher } from '../../src/remote/complete-batcher.js';
import { LeaseHub, type HubLeaseRequest } from '../../src/remote/lease-hub.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { makeQueue } from '../helpers/queue.js';

/**
 * The real store, watched: how many transactions ran, and the complete batches run outside one.
 * `failNextTx` makes the next transaction throw before it begins (a claim that could not be
 * written).
 */
function watched(db: Db) {
  const seen = { tx: 0, standaloneCompleteBatches: 0, failNextTx: false };
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'tx') {
        return (fn: Parameters<Db['tx']>[0]) => {
          if (seen.failNextTx) {
            seen.failNextTx = false;
            return Promise.reject(new Error('the disk is full'));
          }
          seen.tx++;
          return target.tx(fn);
        };
      }
      if (prop === 'tuples') {
        return (sql: Sql, params?: Parameters<Db['tuples']>[1]) => {
          if (sqlText(sql).includes('-- complete batch:')) seen.standaloneCompleteBatches++;
          return target.tuples(sql, params);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
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
    expect(seen.standaloneCompleteBatches).toBe(0);
    expect(await queue.get(first!.id)).toMatchObject({ status: 'done', result: { found: 0 } });
  });

  it('puts the completes back when the claim cannot be written, and their own flush writes them', async () => {
    const { queue, completes, hub, req, seen } = await setup(2);
    const [first] = await hub.lease(req('agent-1'));
    const done = completes.complete(first!.id, first!.leaseToken!, null, 'acme');
    seen.failNextTx = true;
    await expect(hub.lease(req('agent-2'))).rejects.toThrow('the disk is full');
    expect(await done).toEqual({ kind: 'ok', runId: null });
    expect(seen.standaloneCompleteBatches).toBe(1);
    expect(await queue.get(first!.id)).toMatchObject({ status: 'done' });
    // The other job was not leased by the failed claim.
    expect(await hub.lease(req('agent-2'))).toHaveLength(1);
  });
});

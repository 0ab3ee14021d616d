import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { openDb } from '../../src/store/open-db.js';
import { makeQueue } from '../helpers/queue.js';
import { describeEachDialect } from '../helpers/test-db.js';

const JOBS = 5_000;
const CLAIMERS = 16;

function runClaimer(url: string, owner: string): Promise<{ claimed: number[]; errors: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/queue-claimer.ts', url, owner],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`claimer ${owner} exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as { claimed: number[]; errors: number });
    });
  });
}

function expectEachExactlyOnce(ids: number[], expected: number[]) {
  expect(ids.length).toBe(expected.length);
  expect(new Set(ids).size).toBe(expected.length);
  expect([...ids].sort((a, b) => a - b)).toEqual(expected);
}

describeEachDialect('concurrent claims', ({ current }) => {
  it(`hands each of ${JOBS} jobs to exactly one of ${CLAIMERS} concurrent claimers`, async () => {
    const { url, db, dialect } = current();
    const { queue } = makeQueue(db, systemClock);
    const enqueued = await queue.enqueueBatch(
      Array.from({ length: JOBS }, (_, i) => ({ kind: 'k', payload: { i } })),
    );
    const expected = enqueued.map((r) => r.job.id).sort((a, b) => a - b);

    // Every claimer has its own connection (PG: its own pool of one; SQLite: its own handle).
    const conns = Array.from({ length: CLAIMERS }, () => openDb(url, { maxConnections: 1 }));
    try {
      const results = await Promise.all(
        conns.map(async (conn, n) => {
          const { queue: q } = makeQueue(conn, systemClock);
          const mine: number[] = [];
          for (;;) {
            const jobs = await q.claim({ max: 7, leaseMs: 60_000, owner: `c${n}` });
            if (jobs.length === 0) return mine;
            for (const j of jobs) {
              mine.push(j.id);
              expect((await q.complete(j.id, j.leaseToken!)).kind).toBe('ok');
            }
          }
        }),
      );
      expectEachExactlyOnce(results.flat(), expected);
      if (dialect === 'postgres') {
        // With SKIP LOCKED the work really is spread over the connections.
        expect(results.filter((r) => r.length > 0).length).toBeGreaterThan(1);
      }
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  });

  it('hands each job to exactly one of two OS processes, with no errors surfacing', async () => {
    const { url, db } = current();
    const { queue } = makeQueue(db, systemClock);
    const enqueued = await queue.enqueueBatch(Array.from({ length: JOBS }, () => ({ kind: 'k' })));
    const [a, b] = await Promise.all([runClaimer(url, 'proc-a'), runClaimer(url, 'proc-b')]);
    expect(a.errors + b.errors).toBe(0);
    expectEachExactlyOnce(
      [...a.claimed, ...b.claimed],
      enqueued.map((r) => r.job.id).sort((x, y) => x - y),
    );
    expect((await queue.claim({ max: 1, leaseMs: 1, owner: 'x' })).length).toBe(0);
  });
});

import { afterEach, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { HandlerWorker, type JobHandler } from '../../src/queue/handler-worker.js';
import { deferred, until } from '../agents/agent-harness.js';
import { makeQueue } from '../helpers/queue.js';
import { describeEachDialect } from '../helpers/test-db.js';

describeEachDialect('handler worker', ({ current }) => {
  const pools: HandlerWorker[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.stop({ drainMs: 0 })));
  });

  function pool(
    queue: ReturnType<typeof makeQueue>['queue'],
    handlers: Record<string, JobHandler>,
    o: { leaseMs?: number; concurrency?: number } = {},
  ) {
    const p = new HandlerWorker({
      queue,
      log: silentLogger,
      owner: 'test',
      handlers,
      classify: () => ({ kind: 'permanent' }),
      leaseMs: o.leaseMs ?? 60_000,
      pollIntervalMs: 20,
      concurrency: o.concurrency ?? 1,
    });
    pools.push(p);
    return p;
  }

  it('keeps the lease of a handler running longer than the lease: not requeued, run once', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const { queue, admin } = makeQueue(current().db, clock);
    const gate = deferred();
    let calls = 0;
    const p = pool(queue, { slow: async () => (calls++, gate.promise) }, { leaseMs: 300 });
    const { job } = await queue.enqueue({ kind: 'slow' });
    p.start();
    await until(() => calls === 1, 'handler started');
    const claimedAtMs = clock.now();
    clock.advance(200);
    await until(
      async () => (await queue.get(job.id))!.heartbeatAtMs! >= claimedAtMs + 200,
      'a heartbeat while the handler runs',
    );
    clock.advance(200); // past the claim's lease, within the heartbeat's
    expect(await admin.expireLeases()).toEqual([]);
    expect(await queue.claim({ kinds: ['slow'], leaseMs: 300, owner: 'other' })).toEqual([]);
    gate.open();
    await until(async () => (await queue.get(job.id))!.status === 'done', 'job done');
    expect(calls).toBe(1);
  });

  it('handles a webhook while a long recheck runs in its own pool', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const { queue } = makeQueue(current().db, clock);
    const gate = deferred();
    let recheckStarted = false;
    pool(queue, { 'pipeline.recheck': () => ((recheckStarted = true), gate.promise) }).start();
    pool(queue, { 'webhook.plane': () => Promise.resolve({ handled: true }) }).start();
    const { job: recheck } = await queue.enqueue({ kind: 'pipeline.recheck' });
    await until(() => recheckStarted, 'recheck started');
    const { job: hook } = await queue.enqueue({ kind: 'webhook.plane' });
    await until(async () => (await queue.get(hook.id))!.status === 'done', 'webhook handled');
    expect(await queue.get(recheck.id)).toMatchObject({ status: 'running' });
    gate.open();
    await until(async () => (await queue.get(recheck.id))!.status === 'done', 'recheck done');
  });

  it('runs up to its concurrency at once', async () => {
    const { queue, admin } = makeQueue(current().db, new ManualClock());
    const gate = deferred();
    let running = 0;
    pool(queue, { k: () => (running++, gate.promise) }, { concurrency: 2 }).start();
    await queue.enqueue({ kind: 'k' });
    await queue.enqueue({ kind: 'k' });
    await queue.enqueue({ kind: 'k' });
    await until(() => running === 2, 'two handlers running');
    expect((await admin.counts()).byStatus).toMatchObject({ running: 2, queued: 1 });
    gate.open();
    await until(async () => (await admin.counts()).byStatus.done === 3, 'all done');
  });

  it('passes a cancel request to the handler and ends the job cancelled', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const { queue, admin } = makeQueue(current().db, clock);
    let seen: unknown = null;
    const handler: JobHandler = (_job, signal) =>
      new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve((seen = signal.reason))),
      );
    pool(queue, { k: handler }, { leaseMs: 300 }).start();
    const { job } = await queue.enqueue({ kind: 'k' });
    await until(async () => (await queue.get(job.id))!.status === 'running', 'claimed');
    await admin.requestCancel(job.id);
    await until(async () => (await queue.get(job.id))!.status === 'cancelled', 'cancelled');
    expect(seen).toBe('cancel_requested');
  });

  it('stops claiming at once on stop() and lets the running handler finish', async () => {
    const { queue } = makeQueue(current().db, new ManualClock());
    const gate = deferred();
    let calls = 0;
    const p = pool(queue, { k: () => (calls++, gate.promise) });
    p.start();
    const { job: first } = await queue.enqueue({ kind: 'k' });
    await until(() => calls === 1, 'first handler running');
    const stopping = p.stop({ drainMs: 60_000 });
    const { job: second } = await queue.enqueue({ kind: 'k' });
    gate.open();
    await stopping;
    expect(await queue.get(first.id)).toMatchObject({ status: 'done' });
    expect(await queue.get(second.id)).toMatchObject({ status: 'queued' });
    expect(calls).toBe(1);
  });
});

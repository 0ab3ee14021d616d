import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { isOrchError } from '../../src/errors.js';
import { TaskStore } from '../../src/store/tasks/task-store.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { jobCount, makeQueue } from '../helpers/queue.js';

const LEASE = { leaseMs: 30_000, owner: 'worker-a' };

async function expectCode(p: Promise<unknown>, code: string) {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isOrchError(err, code), `expected OrchError ${code}, got ${String(err)}`).toBe(true);
}

describeEachDialect('job queue', ({ current }) => {
  const setup = () => {
    const clock = new ManualClock();
    return { clock, ...makeQueue(current().db, clock) };
  };

  it('runs a job through enqueue, claim, heartbeat and complete', async () => {
    const { clock, queue } = setup();
    const { job, created } = await queue.enqueue({ kind: 'developer', payload: { task: 'ET-1' } });
    expect(created).toBe(true);
    expect(job).toMatchObject({ status: 'queued', attempts: 0, payload: { task: 'ET-1' } });

    const [claimed] = await queue.claim({ kinds: ['developer'], ...LEASE });
    expect(claimed).toMatchObject({
      id: job.id,
      status: 'running',
      attempts: 1,
      leasedBy: 'worker-a',
    });
    expect(claimed!.leaseToken).toMatch(/^[0-9a-f]{32}$/);
    expect(claimed!.leaseExpiresAtMs).toBe(clock.now() + 30_000);

    clock.advance(10_000);
    const hb = await queue.heartbeat(job.id, claimed!.leaseToken!, 30_000);
    expect(hb).toEqual({
      kind: 'ok',
      leaseExpiresAtMs: clock.now() + 30_000,
      cancelRequested: false,
    });

    const done = await queue.complete(job.id, claimed!.leaseToken!, { ok: true });
    expect(done).toMatchObject({ kind: 'ok', job: { status: 'done', result: { ok: true } } });
    // A retried complete with the same token is idempotent; nothing is claimable any more.
    expect((await queue.complete(job.id, claimed!.leaseToken!)).kind).toBe('ok');
    expect(await queue.claim({ kinds: ['developer'], ...LEASE })).toEqual([]);
  });

  it('hands out each claimed job exactly as the claim stored it', async () => {
    const { clock, queue } = setup();
    await queue.enqueue({ kind: 'k', payload: { n: 1 }, labels: ['gpu'], priority: 3 });
    const { job: retried } = await queue.enqueue({ kind: 'k', idempotencyKey: 'once' });
    // A job on its second attempt carries its first attempt's error.
    const [first] = await queue.claim({ kinds: ['k'], labels: ['gpu'], max: 1, ...LEASE });
    expect(first?.priority).toBe(3);
    const [again] = await queue.claim({ kinds: ['k'], max: 1, ...LEASE });
    expect(again?.id).toBe(retried.id);
    await queue.fail(again!.id, again!.leaseToken!, { kind: 'permanent', error: 'boom' });
    clock.advance(3_600_000);
    const claimed = await queue.claim({ kinds: ['k'], max: 5, leaseMs: 12_345.6, owner: 'w-b' });
    expect(claimed.map((j) => j.id)).toEqual([retried.id]);
    for (const job of [first!, claimed[0]!]) expect(job).toEqual(await queue.get(job.id));
    expect(claimed[0]).toMatchObject({ attempts: 2, error: 'boom', leasedBy: 'w-b' });
  });

  it('gives every job of one claim its own random lease token, good for that job only', async () => {
    const { queue } = setup();
    for (let i = 0; i < 40; i++) await queue.enqueue({ kind: 'k' });
    const jobs = await queue.claim({ kinds: ['k'], max: 40, ...LEASE });
    expect(jobs).toHaveLength(40);
    const tokens = jobs.map((j) => j.leaseToken!);
    for (const t of tokens) expect(t).toMatch(/^[0-9a-f]{32}$/);
    expect(new Set(tokens).size).toBe(40);
    // A second claim's tokens are new too (not a counter over the first's).
    for (let i = 0; i < 2; i++) await queue.enqueue({ kind: 'k' });
    const more = await queue.claim({ kinds: ['k'], max: 5, ...LEASE });
    expect(more).toHaveLength(2);
    for (const j of more) expect(tokens).not.toContain(j.leaseToken);
    // Jobs of one claim may go to different agents (lease-hub.ts): one job's token is no good for another.
    const [a, b] = jobs;
    expect((await queue.complete(b!.id, a!.leaseToken!)).kind).toBe('lease_lost');
    expect((await queue.complete(b!.id, b!.leaseToken!)).kind).toBe('ok');
  });

  it('completes a batch in one call, each job fenced by its own lease token', async () => {
    const { queue } = setup();
    for (let i = 0; i < 4; i++) await queue.enqueue({ kind: 'k' });
    const [a, b, c, d] = await queue.claim({ kinds: ['k'], max: 4, ...LEASE });
    await queue.snooze(d!.id, d!.leaseToken!, 1_000);
    const results = await queue.completeBatch([
      { id: a!.id, leaseToken: a!.leaseToken!, result: { n: 1 } },
      { id: b!.id, leaseToken: 'not-the-token' },
      { id: c!.id, leaseToken: c!.leaseToken! },
      { id: d!.id, leaseToken: d!.leaseToken! },
    ]);
    expect(results.map((r) => r.kind)).toEqual(['ok', 'lease_lost', 'ok', 'lease_lost']);
    expect(await queue.get(a!.id)).toMatchObject({ status: 'done', result: { n: 1 } });
    expect(await queue.get(b!.id)).toMatchObject({ status: 'running' });
    expect(await queue.get(d!.id)).toMatchObject({ status: 'queued' });
    // A retried batch is idempotent for the jobs it completed; an empty batch does nothing.
    expect((await queue.completeBatch([{ id: a!.id, leaseToken: a!.leaseToken! }]))[0]?.kind).toBe(
      'ok',
    );
    expect(await queue.completeBatch([])).toEqual([]);
  });

  it('fences a batch complete by tenant when asked, and says which run each job belongs to', async () => {
    const { queue } = setup();
    await queue.enqueue({ kind: 'k', tenantId: 'acme' });
    await queue.enqueue({ kind: 'k', tenantId: 'acme', runId: 7 });
    const [a, b] = await queue.claim({ kinds: ['k'], max: 2, ...LEASE });
    // Another tenant's agent holding the real token finishes nothing.
    const evil = await queue.completeBatch([
      { id: a!.id, leaseToken: a!.leaseToken!, tenantId: 'evil' },
    ]);
    expect(evil).toEqual([{ kind: 'lease_lost' }]);
    expect(await queue.get(a!.id)).toMatchObject({ status: 'running' });
    const own = await queue.completeBatch([
      { id: a!.id, leaseToken: a!.leaseToken!, tenantId: 'acme' },
      { id: b!.id, leaseToken: b!.leaseToken!, tenantId: 'acme' },
    ]);
    expect(own).toEqual([
      { kind: 'ok', runId: null },
      { kind: 'ok', runId: 7 },
    ]);
    // A retry is idempotent for its own tenant only.
    const retry = (tenantId: string) =>
      queue.completeBatch([{ id: b!.id, leaseToken: b!.leaseToken!, tenantId }]);
    expect(await retry('acme')).toEqual([{ kind: 'ok', runId: 7 }]);
    expect(await retry('evil')).toEqual([{ kind: 'lease_lost' }]);
  });

  it('tells only the item that finished a job listed twice in one batch that it went through', async () => {
    const { queue } = setup();
    for (let i = 0; i < 2; i++) await queue.enqueue({ kind: 'k', tenantId: 'acme' });
    const [a, b] = await queue.claim({ kinds: ['k'], max: 2, ...LEASE });
    const results = await queue.completeBatch([
      { id: a!.id, leaseToken: 'guessed', tenantId: 'evil' },
      { id: a!.id, leaseToken: a!.leaseToken!, tenantId: 'acme' },
      { id: b!.id, leaseToken: b!.leaseToken!, tenantId: 'evil' },
      { id: b!.id, leaseToken: 'stale', tenantId: 'acme' },
      { id: b!.id, leaseToken: b!.leaseToken!, tenantId: 'acme' },
    ]);
    expect(results.map((r) => r.kind)).toEqual([
      'lease_lost',
      'ok',
      'lease_lost',
      'lease_lost',
      'ok',
    ]);
  });

  it('completes a batch and claims in one transaction, reading retried completes inside it', async () => {
    const { queue } = setup();
    for (let i = 0; i < 4; i++) await queue.enqueue({ kind: 'k', tenantId: 'acme' });
    const [a, b, c] = await queue.claim({ kinds: ['k'], max: 3, ...LEASE });
    // `c` is finished already: completing it again inside the transaction must read its row
    // through the transaction (the queue's own connection would wait for it on SQLite).
    await queue.completeBatch([{ id: c!.id, leaseToken: c!.leaseToken! }]);
    const { completed, claimed } = await queue.completeThenClaim(
      [
        { id: a!.id, leaseToken: a!.leaseToken!, result: { n: 1 }, tenantId: 'acme' },
        { id: b!.id, leaseToken: 'stale', tenantId: 'acme' },
        { id: c!.id, leaseToken: c!.leaseToken!, tenantId: 'acme' },
      ],
      { kinds: ['k'], max: 5, tenantId: 'acme', ...LEASE },
    );
    expect(completed).toEqual([
      { kind: 'ok', runId: null },
      { kind: 'lease_lost' },
      { kind: 'ok', runId: null },
    ]);
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ status: 'running', leasedBy: 'worker-a' });
    expect(await queue.get(a!.id)).toMatchObject({ status: 'done', result: { n: 1 } });
    expect(await queue.get(b!.id)).toMatchObject({ status: 'running' });
    expect(await queue.get(claimed[0]!.id)).toEqual(claimed[0]);
    // Nothing to complete: a plain claim. A bad claim writes nothing, completes included.
    expect(await queue.completeThenClaim([], { kinds: ['k'], ...LEASE })).toEqual({
      completed: [],
      claimed: [],
    });
    await expectCode(
      queue.completeThenClaim([{ id: b!.id, leaseToken: b!.leaseToken! }], {
        ...LEASE,
        max: 0,
      }),
      'INVALID_CLAIM',
    );
    expect(await queue.get(b!.id)).toMatchObject({ status: 'running' });
  });

  it('claims by priority, then first in first out, and only the requested kinds', async () => {
    const { queue } = setup();
    const low1 = await queue.enqueue({ kind: 'k' });
    const other = await queue.enqueue({ kind: 'other', priority: 9 });
    const high = await queue.enqueue({ kind: 'k', priority: 5 });
    const low2 = await queue.enqueue({ kind: 'k' });
    const claimed = await queue.claim({ kinds: ['k'], max: 10, ...LEASE });
    expect(claimed.map((j) => j.id)).toEqual([high.job.id, low1.job.id, low2.job.id]);
    const rest = await queue.claim({ ...LEASE, max: 10 });
    expect(rest.map((j) => j.id)).toEqual([other.job.id]);
  });

  it('does not hand out a job before its available time', async () => {
    const { clock, queue } = setup();
    await queue.enqueue({ kind: 'k', availableAtMs: clock.now() + 5_000 });
    expect(await queue.claim({ kinds: ['k'], ...LEASE })).toEqual([]);
    clock.advance(4_999);
    expect(await queue.claim({ kinds: ['k'], ...LEASE })).toEqual([]);
    clock.advance(1);
    expect(await queue.claim({ kinds: ['k'], ...LEASE })).toHaveLength(1);
  });

  it('wakes the waiter due first for a resource, and only a queued job of that kind waiting for it', async () => {
    const { clock, queue } = setup();
    const at = (ms: number) => clock.now() + ms;
    const wait = (waitsFor: string, ms: number, kind = 'recheck') =>
      queue.enqueue({ kind, payload: { taskId: 1, waitsFor }, availableAtMs: at(ms) });
    const late = (await wait('merge-lease:a', 30_000)).job;
    const early = (await wait('merge-lease:a', 20_000)).job;
    await wait('merge-lease:b', 10_000);
    await wait('merge-lease:a', 5_000, 'other-kind');
    expect(await queue.claim({ kinds: ['recheck'], ...LEASE })).toEqual([]);
    expect(await queue.wakeWaiting('recheck', 'merge-lease:a')).toBe(early.id);
    const claimed = await queue.claim({ kinds: ['recheck', 'other-kind'], max: 10, ...LEASE });
    expect(claimed.map((j) => j.id)).toEqual([early.id]);
    expect(await queue.wakeWaiting('recheck', 'merge-lease:a')).toBe(late.id);
    expect(await queue.wakeWaiting('recheck', 'merge-lease:a')).toBeNull();
    expect(await queue.wakeWaiting('recheck', 'merge-lease:c')).toBeNull();
    const rest = await queue.claim({ kinds: ['recheck', 'other-kind'], max: 10, ...LEASE });
    expect(rest.map((j) => j.id)).toEqual([late.id]);
  });

  it("wakes a waiter's own job only while no other task's waiter is due or running", async () => {
    const { clock, queue } = setup();
    const wait = (taskId: number, inMs: number) =>
      queue.enqueue({
        kind: 'recheck',
        taskId,
        payload: { taskId, waitsFor: 'merge-lease:a' },
        availableAtMs: clock.now() + inMs,
      });
    const own = (await wait(1, 30_000)).job;
    const other = (await wait(2, 0)).job; // woken by whoever freed the lease: due now
    expect(await queue.wakeOwn('recheck', 'merge-lease:a', 1)).toBeNull();
    const [running] = await queue.claim({ kinds: ['recheck'], ...LEASE });
    expect(running?.id).toBe(other.id); // still deciding: this one keeps waiting too
    expect(await queue.wakeOwn('recheck', 'merge-lease:a', 1)).toBeNull();
    await queue.complete(running!.id, running!.leaseToken!);
    expect(await queue.wakeOwn('recheck', 'merge-lease:a', 1)).toBe(own.id);
    expect(await queue.wakeOwn('recheck', 'merge-lease:a', 1)).toBeNull(); // due already
  });

  it('wakes nothing that another connection is changing meanwhile (PostgreSQL row locks)', async () => {
    if (current().db.dialect !== 'postgres') return; // SQLite: one writer, nothing to race
    const { clock, queue } = setup();
    const { job } = await queue.enqueue({
      kind: 'recheck',
      payload: { taskId: 1, waitsFor: 'merge-lease:a' },
      availableAtMs: clock.now() + 30_000,
    });
    const other = new pg.Client({ connectionString: current().url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query("update jobs set status = 'cancelled' where id = $1", [job.id]);
      // The row is locked by a change not yet committed: the wake-up skips it, never undoes it.
      expect(await queue.wakeWaiting('recheck', 'merge-lease:a')).toBeNull();
      await other.query('commit');
    } finally {
      await other.end();
    }
    expect(await queue.get(job.id)).toMatchObject({ status: 'cancelled' });
    expect(await queue.wakeWaiting('recheck', 'merge-lease:a')).toBeNull();
  });

  it('matches labels: a job goes only to a claimer that has all of its labels', async () => {
    const { queue } = setup();
    const gpu = await queue.enqueue({ kind: 'k', labels: ['gpu', 'linux'] });
    expect(await queue.claim({ kinds: ['k'], labels: ['gpu'], ...LEASE })).toEqual([]);
    const [j] = await queue.claim({ kinds: ['k'], labels: ['linux', 'gpu', 'x86'], ...LEASE });
    expect(j?.id).toBe(gpu.job.id);
  });

  it('skips excluded kinds (open breakers)', async () => {
    const { queue } = setup();
    await queue.enqueue({ kind: 'claude' });
    const b = await queue.enqueue({ kind: 'codex' });
    const claimed = await queue.claim({ excludeKinds: ['claude'], max: 5, ...LEASE });
    expect(claimed.map((j) => j.id)).toEqual([b.job.id]);
  });

  it('skips the jobs of excluded projects, and claims jobs of other projects and task-less jobs', async () => {
    const { clock, queue } = setup();
    const tasks = new TaskStore(current().db);
    const taskOf = async (key: string) => {
      const t = {
        projectKey: key,
        prefix: key,
        trackerKind: 'local',
        trackerProjectId: key,
        trackerItemId: `${key}-item`,
        title: 'x',
        repo: key.toLowerCase(),
        baseBranch: 'main',
        stage: 'development',
        track: 'full',
        branchFor: (id: string) => `feature/${id}`,
      };
      return (await current().db.tx((q) => tasks.create(q, t, clock.now()))).task.id;
    };
    const capped = await queue.enqueue({ kind: 'developer', taskId: await taskOf('PA') });
    const other = await queue.enqueue({ kind: 'developer', taskId: await taskOf('PB') });
    const loose = await queue.enqueue({ kind: 'developer' });
    const claimed = await queue.claim({ excludeProjects: ['PA'], max: 5, ...LEASE });
    expect(claimed.map((j) => j.id)).toEqual([other.job.id, loose.job.id]);
    expect(await queue.get(capped.job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await queue.claim({ max: 5, ...LEASE })).map((j) => j.id)).toEqual([capped.job.id]);
  });

  it('returns the same job for the same idempotency key and creates no duplicate', async () => {
    const { queue } = setup();
    const a = await queue.enqueue({ kind: 'k', idempotencyKey: 'plane:evt-1' });
    const b = await queue.enqueue({ kind: 'k', idempotencyKey: 'plane:evt-1', payload: { x: 1 } });
    expect(b).toEqual({ job: a.job, created: false });
    const batch = await queue.enqueueBatch([
      { kind: 'k', idempotencyKey: 'plane:evt-1' },
      { kind: 'k', idempotencyKey: 'plane:evt-2' },
    ]);
    expect(batch.map((r) => r.created)).toEqual([false, true]);
    expect(await jobCount(current().db)).toBe(2);
  });

  it('requeues a permanent failure while attempts remain, then fails it', async () => {
    const { queue } = setup();
    const { job } = await queue.enqueue({ kind: 'k', maxAttempts: 2 });
    const [c1] = await queue.claim({ kinds: ['k'], ...LEASE });
    const f1 = await queue.fail(job.id, c1!.leaseToken!, { kind: 'permanent', error: 'exit 1' });
    expect(f1).toMatchObject({
      kind: 'ok',
      job: { status: 'queued', attempts: 1, leaseToken: null },
    });
    const [c2] = await queue.claim({ kinds: ['k'], ...LEASE });
    expect(c2?.attempts).toBe(2);
    const f2 = await queue.fail(job.id, c2!.leaseToken!, {
      kind: 'permanent',
      error: 'exit 1 again',
    });
    expect(f2).toMatchObject({ kind: 'ok', job: { status: 'failed', error: 'exit 1 again' } });
  });

  it('backs off a transient failure on its own budget, with Retry-After as a floor', async () => {
    const { clock, queue } = setup();
    const { job } = await queue.enqueue({ kind: 'k', maxAttempts: 2 });
    const [c1] = await queue.claim({ kinds: ['k'], ...LEASE });
    const t0 = clock.now();
    const f1 = await queue.fail(job.id, c1!.leaseToken!, {
      kind: 'transient',
      error: '429',
      retryAfterMs: 30_000,
    });
    // n=1 → 20 s backoff, floor 30 s from Retry-After; the attempt is given back.
    expect(f1).toMatchObject({
      kind: 'ok',
      job: { status: 'queued', attempts: 0, transientAttempts: 1, availableAtMs: t0 + 30_000 },
    });
    clock.advance(29_999);
    expect(await queue.claim({ kinds: ['k'], ...LEASE })).toEqual([]);
    clock.advance(1);
    const [c2] = await queue.claim({ kinds: ['k'], ...LEASE });
    expect(c2?.attempts).toBe(1);
    const f2 = await queue.fail(job.id, c2!.leaseToken!, {
      kind: 'transient',
      error: 'overloaded',
    });
    expect(f2).toMatchObject({
      job: { transientAttempts: 2, availableAtMs: clock.now() + 40_000 },
    });
  });

  it('fails a job whose transient budget is spent', async () => {
    const { clock, queue } = setup();
    const { job } = await queue.enqueue({ kind: 'k' });
    for (let i = 0; i < 5; i++) {
      const [c] = await queue.claim({ kinds: ['k'], ...LEASE });
      const r = await queue.fail(job.id, c!.leaseToken!, { kind: 'transient', error: 'timeout' });
      expect(r).toMatchObject({ job: { status: 'queued' } });
      clock.advance(600_000);
    }
    const [last] = await queue.claim({ kinds: ['k'], ...LEASE });
    const r = await queue.fail(job.id, last!.leaseToken!, { kind: 'transient', error: 'timeout' });
    expect(r).toMatchObject({ job: { status: 'failed', transientAttempts: 6, attempts: 1 } });
  });

  it('snoozes without consuming an attempt', async () => {
    const { clock, queue } = setup();
    const { job } = await queue.enqueue({ kind: 'k' });
    const [c] = await queue.claim({ kinds: ['k'], ...LEASE });
    const s = await queue.snooze(job.id, c!.leaseToken!, 60_000, 'quota until reset');
    expect(s).toMatchObject({
      kind: 'ok',
      job: { status: 'queued', attempts: 0, availableAtMs: clock.now() + 60_000 },
    });
    expect(await queue.claim({ kinds: ['k'], ...LEASE })).toEqual([]);
  });

  it('fences every lease write: an expired and re-claimed job rejects the old token', async () => {
    const { clock, queue, admin } = setup();
    const { job } = await queue.enqueue({ kind: 'k', maxAttempts: 3 });
    const [old] = await queue.claim({ kinds: ['k'], leaseMs: 1_000, owner: 'a' });
    clock.advance(1_001);
    const expired = await admin.expireLeases();
    expect(expired).toMatchObject([{ id: job.id, status: 'queued', leaseToken: null }]);
    const [fresh] = await queue.claim({ kinds: ['k'], leaseMs: 1_000, owner: 'b' });
    expect(fresh?.leaseToken).not.toBe(old!.leaseToken);

    const stale = old!.leaseToken!;
    const lost = { kind: 'lease_lost' };
    expect(await queue.heartbeat(job.id, stale, 1_000)).toEqual(lost);
    expect(await queue.complete(job.id, stale)).toEqual(lost);
    expect(await queue.fail(job.id, stale, { kind: 'permanent', error: 'x' })).toEqual(lost);
    expect(await queue.snooze(job.id, stale, 10)).toEqual(lost);
    expect(await queue.cancel(job.id, stale)).toEqual(lost);
    expect(await queue.attach(job.id, stale, { pid: 1 })).toEqual(lost);
    expect(await queue.get(job.id)).toMatchObject({ status: 'running', leasedBy: 'b' });
    expect(await queue.complete(job.id, fresh!.leaseToken!)).toMatchObject({ kind: 'ok' });
  });

  it('expires leases to queued while attempts remain and to failed when spent', async () => {
    const { clock, queue, admin } = setup();
    const a = await queue.enqueue({ kind: 'k', maxAttempts: 2 });
    const b = await queue.enqueue({ kind: 'k', maxAttempts: 1 });
    const c = await queue.enqueue({ kind: 'k', maxAttempts: 1 });
    await queue.claim({ kinds: ['k'], max: 2, leaseMs: 1_000, owner: 'x' });
    await queue.claim({ kinds: ['k'], max: 1, leaseMs: 10_000, owner: 'y' });
    clock.advance(5_000);
    const expired = await admin.expireLeases();
    expect(Object.fromEntries(expired.map((j) => [j.id, j.status]))).toEqual({
      [a.job.id]: 'queued',
      [b.job.id]: 'failed',
    });
    expect(await queue.get(c.job.id)).toMatchObject({ status: 'running' });
    expect(await admin.expireLeases()).toEqual([]);
  });

  it('cancels a queued job at once and a running job through its heartbeat', async () => {
    const { queue, admin } = setup();
    const q = await queue.enqueue({ kind: 'q' });
    expect(await admin.requestCancel(q.job.id)).toMatchObject({
      immediate: true,
      job: { status: 'cancelled' },
    });
    const r = await queue.enqueue({ kind: 'r' });
    const [held] = await queue.claim({ kinds: ['r'], ...LEASE });
    expect(await admin.requestCancel(r.job.id)).toMatchObject({
      immediate: false,
      job: { status: 'running' },
    });
    expect(await queue.heartbeat(r.job.id, held!.leaseToken!, 1_000)).toMatchObject({
      cancelRequested: true,
    });
    expect(await queue.cancel(r.job.id, held!.leaseToken!)).toMatchObject({
      job: { status: 'cancelled' },
    });
    await expectCode(admin.requestCancel(r.job.id), 'INVALID_TRANSITION');
    await expectCode(admin.requestCancel(999), 'JOB_NOT_FOUND');
  });

  it('retries a failed job with fresh budgets and refuses to retry a queued one', async () => {
    const { queue, admin } = setup();
    const { job } = await queue.enqueue({ kind: 'k', maxAttempts: 1 });
    const [c] = await queue.claim({ kinds: ['k'], ...LEASE });
    await queue.fail(job.id, c!.leaseToken!, { kind: 'permanent', error: 'boom' });
    expect(await admin.retry(job.id)).toMatchObject({ status: 'queued', attempts: 0, error: null });
    await expectCode(admin.retry(job.id), 'INVALID_TRANSITION');
  });

  it('recovers running jobs after a restart, keeping the attempt count', async () => {
    const { queue, admin } = setup();
    await queue.enqueue({ kind: 'k' });
    await queue.enqueue({ kind: 'k' });
    await queue.claim({ kinds: ['k'], max: 1, leaseMs: 1_000, owner: 'host-1' });
    await queue.claim({ kinds: ['k'], max: 1, leaseMs: 1_000, owner: 'host-2' });
    const mine = await admin.recoverRunning({ owner: 'host-1' });
    expect(mine).toMatchObject([{ status: 'queued', attempts: 1, leaseToken: null }]);
    const rest = await admin.recoverRunning();
    expect(rest).toHaveLength(1);
    expect((await admin.counts()).byStatus).toMatchObject({ queued: 2, running: 0 });
  });

  it('counts by status and kind and lists recent jobs', async () => {
    const { clock, queue, admin } = setup();
    const first = await queue.enqueue({ kind: 'a' });
    clock.advance(1_000);
    await queue.enqueue({ kind: 'a' });
    await queue.enqueue({ kind: 'b' });
    await queue.claim({ kinds: ['b'], ...LEASE });
    const counts = await admin.counts();
    expect(counts.byStatus).toEqual({ queued: 2, running: 1, done: 0, failed: 0, cancelled: 0 });
    expect(counts.byKind).toContainEqual({
      kind: 'a',
      status: 'queued',
      count: 2,
      oldestAvailableAtMs: first.job.availableAtMs,
    });
    expect((await admin.recent(2)).map((j) => j.kind)).toEqual(['b', 'a']);
    expect(await admin.list({ status: 'running' })).toHaveLength(1);
    expect(await admin.list({ kind: 'a', limit: 1 })).toHaveLength(1);
  });

  describe('bad input', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [string, Record<string, unknown>, string][] = [
      ['empty kind', { kind: '' }, 'INVALID_KIND'],
      ['kind with spaces', { kind: 'rm -rf' }, 'INVALID_KIND'],
      ['negative priority', { kind: 'k', priority: -1 }, 'INVALID_PRIORITY'],
      ['fractional priority', { kind: 'k', priority: 1.5 }, 'INVALID_PRIORITY'],
      ['BigInt payload', { kind: 'k', payload: { n: 1n } }, 'INVALID_PAYLOAD'],
      ['circular payload', { kind: 'k', payload: circular }, 'INVALID_PAYLOAD'],
      ['function payload', { kind: 'k', payload: () => 1 }, 'INVALID_PAYLOAD'],
      ['payload over 1 MiB', { kind: 'k', payload: 'x'.repeat(1024 * 1024) }, 'PAYLOAD_TOO_LARGE'],
      ['bad labels', { kind: 'k', labels: ['ok', ''] }, 'INVALID_LABELS'],
      ['zero max attempts', { kind: 'k', maxAttempts: 0 }, 'INVALID_MAX_ATTEMPTS'],
    ];
    for (const [name, input, code] of cases) {
      it(`rejects ${name} with ${code} and writes nothing`, async () => {
        const { queue } = setup();
        await expectCode(queue.enqueue(input as never), code);
        expect(await jobCount(current().db)).toBe(0);
      });
    }

    it('rejects a whole batch when one job is invalid', async () => {
      const { queue } = setup();
      await expectCode(
        queue.enqueueBatch([{ kind: 'ok' }, { kind: 'ok', priority: -5 }]),
        'INVALID_PRIORITY',
      );
      expect(await jobCount(current().db)).toBe(0);
    });

    it('rejects an unknown status filter', () => {
      expect(() => JobQueueStatus('bogus')).toThrow(/unknown job status/);
    });
  });
});

import { JobQueue } from '../../src/queue/job-queue.js';
function JobQueueStatus(s: string) {
  return JobQueue.assertStatus(s);
}

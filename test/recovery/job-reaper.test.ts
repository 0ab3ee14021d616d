import { expect, it } from 'vitest';
import { JobReaper } from '../../src/recovery/job-reaper.js';
import { ReapStore } from '../../src/store/jobs/reap-store.js';
import { silentLogger } from '../../src/log.js';
import { openDb } from '../../src/store/open-db.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { DEAD_OWNER, HOST, reaperHarness } from './reaper-harness.js';

const DEAD = 999_999;

describeEachDialect('job reaper', ({ current, dialect }) => {
  const setup = (o: Parameters<typeof reaperHarness>[1] = {}) => reaperHarness(current().db, o);

  it('reaps a job whose pid has been dead for two ticks to queued (TC-01)', async () => {
    const h = setup();
    const id = await h.runningJob({ pid: DEAD, attempts: 0 });
    h.alive.set(DEAD, false);
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('running');
    expect(h.reaper.streaks.get(id)).toBe(1);
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('queued');
    expect(h.reaper.status()).toMatchObject({
      reaped_total: 1,
      last_reaped: { job_id: id, agent: 'developer', outcome: 'queued' },
    });
    const job = (await h.queue.get(id))!;
    // A requeued job is a clean slate: no pid, run link, lease or start time.
    expect(job).toMatchObject({
      pid: null,
      agentRunId: null,
      leaseToken: null,
      leasedBy: null,
      leaseExpiresAtMs: null,
      startedAtMs: null,
    });
    expect(job.error).toMatch(/^reaped: dead pid=999999 \(run_id=none\)/);
  });

  it('never reaps a live process, on any tick (TC-02)', async () => {
    const h = setup();
    const id = await h.runningJob({ pid: 4321, ageMs: 10_000 });
    for (let i = 0; i < 5; i++) await h.reaper.runOnce();
    expect(await h.status(id)).toBe('running');
    const old = await h.runningJob({ pid: 4322, ageMs: 1_800_000 });
    await h.reaper.runOnce();
    expect(await h.status(old)).toBe('running');
    expect(h.reaper.status().reaped_total).toBe(0);
  });

  it('needs consecutive dead ticks: an alive reading resets the streak (TC-03)', async () => {
    const h = setup();
    h.settings.deadTicks = 3;
    const id = await h.runningJob({ pid: DEAD });
    for (const alive of [false, false, true, false, false]) {
      h.alive.set(DEAD, alive);
      await h.reaper.runOnce();
    }
    expect(await h.status(id)).toBe('running');
    h.alive.set(DEAD, false);
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('queued');
  });

  it('reaps past the maximum running time whatever the liveness (TC-04)', async () => {
    const h = setup();
    h.settings.maxRunningMs = 100_000;
    const live = await h.runningJob({ pid: 4321, ageMs: 500_000 });
    const noPid = await h.runningJob({ pid: null, ageMs: 500_000 });
    await h.reaper.runOnce();
    expect(await h.status(live)).toBe('queued');
    expect(await h.status(noPid)).toBe('queued');
    expect(h.reaper.status().reaped_total).toBe(2);
  });

  it('exit 0 with a green gate: claims done, then advances exactly once (TC-05)', async () => {
    const h = setup();
    const id = await h.runningJob({ exitCode: 0, finishedAgoMs: 600_000 });
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('done');
    expect(h.pipeline.advanced).toEqual([id]);
    await h.reaper.runOnce();
    expect(h.pipeline.advanced).toEqual([id]);
  });

  it('exit 0 with a red gate requeues and never advances (TC-05)', async () => {
    const h = setup();
    h.pipeline.gate = false;
    const id = await h.runningJob({ exitCode: 0, attempts: 0 });
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('queued');
    expect((await h.queue.get(id))!.error).toMatch(/exit0 but gate red/);
    expect(h.pipeline.advanced).toEqual([]);
  });

  it('exit 0 for a task that already left the stage: done with no side effects (TC-05)', async () => {
    const h = setup();
    h.pipeline.alreadyAdvanced = true;
    h.pipeline.gate = () => Promise.reject(new Error('gate must not run'));
    const id = await h.runningJob({ exitCode: 0 });
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('done');
    expect(h.pipeline.advanced).toEqual([]);
  });

  it('non-zero exit: queued while attempts remain, then failed with one alert (TC-05)', async () => {
    const h = setup();
    const first = await h.runningJob({ exitCode: 1, attempts: 1 });
    await h.reaper.runOnce();
    expect(await h.status(first)).toBe('queued');
    expect(h.notifier.ofType('job_failed')).toHaveLength(0);
    const second = await h.runningJob({ kind: 'tester', exitCode: 1, attempts: 2 });
    await h.reaper.runOnce();
    expect(await h.status(second)).toBe('failed');
    const alerts = h.notifier.ofType('job_failed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ jobId: second, kind: 'tester' });
    expect(alerts[0]!.error).toMatch(/^reaped: exit=1/);
  });

  it('defers within the finalize grace, reaps after it (TC-05 Tier-2)', async () => {
    const h = setup();
    const id = await h.runningJob({ exitCode: 0, finishedAgoMs: 5_000 });
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('running');
    expect(h.reaper.status().reaped_total).toBe(0);
    expect(h.pipeline.advanced).toEqual([]);
    h.clock.advance(295_000);
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('done');
    expect(h.pipeline.advanced).toEqual([id]);
  });

  it('a lost claim has no side effects: another actor requeued the job meanwhile (TC-05)', async () => {
    const h = setup();
    h.settings.finalizeGraceMs = 0;
    const id = await h.runningJob({ exitCode: 0, finishedAgoMs: 10_000 });
    h.pipeline.gate = async () => {
      await h.admin.recoverRunning();
      return true;
    };
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('queued');
    expect(h.pipeline.advanced).toEqual([]);
    expect(h.reaper.status().reaped_total).toBe(0);
  });

  it('startup recovery and the reaper never both process a row (TC-06)', async () => {
    const h = setup();
    h.settings.deadTicks = 1;
    const id = await h.runningJob({ pid: 999_997 });
    h.alive.set(999_997, false);
    expect(await h.admin.recoverRunning()).toHaveLength(1);
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('queued');
    expect(h.reaper.status().reaped_total).toBe(0);
  });

  it('the reap claim changes nothing on a row that is not running (TC-06)', async () => {
    const h = setup();
    const { job } = await h.queue.enqueue({ kind: 'developer' });
    const store = new ReapStore(current().db);
    expect(await store.claim(job.id, null, 'done', { nowMs: h.clock.now() })).toBeNull();
    expect(await h.status(job.id)).toBe('queued');
  });

  it('the claim is fenced on the lease token the reaper saw', async () => {
    const h = setup();
    const id = await h.runningJob({ pid: DEAD });
    const store = new ReapStore(current().db);
    expect(await store.claim(id, 'not-the-token', 'failed', { nowMs: h.clock.now() })).toBeNull();
    expect(await h.status(id)).toBe('running');
  });

  it('with the kill-switches off, no row is touched (TC-07, AC-14)', async () => {
    const h = setup();
    h.settings.enabled = false;
    h.settings.maxRunningMs = 1;
    const id = await h.runningJob({ pid: DEAD, ageMs: 99_999_000 });
    h.alive.set(DEAD, false);
    for (let i = 0; i < 3; i++) await h.reaper.runOnce();
    expect(await h.status(id)).toBe('running');
    expect(h.reaper.status()).toMatchObject({ reaped_total: 0, enabled: false });
    expect(h.reaper.status().last_run_ts).not.toBeNull();
  });

  it('an error on one job does not stop the others (TC-08)', async () => {
    const h = setup();
    h.settings.deadTicks = 1;
    const good = await h.runningJob({ pid: 777_001 });
    const bad = await h.runningJob({ pid: 777_002 });
    h.alive.set(777_001, false);
    const reaper = h.reaper as unknown as { reapJob: JobReaper['reapJob'] };
    const original = reaper.reapJob.bind(h.reaper);
    reaper.reapJob = (job) => (job.id === bad ? Promise.reject(new Error('boom')) : original(job));
    await expect(h.reaper.runOnce()).resolves.toBeUndefined();
    expect(await h.status(good)).toBe('queued');
    expect(await h.status(bad)).toBe('running');
  });

  it('a failing read never escapes the tick, and the tick is still recorded (TC-08)', async () => {
    const h = setup();
    (h.store as unknown as { running: () => Promise<never> }).running = () =>
      Promise.reject(new Error('db down'));
    await expect(h.reaper.runOnce()).resolves.toBeUndefined();
    expect(h.reaper.status().last_run_ts).toBe(h.clock.now() / 1000);
  });

  it('unblocks the queue at concurrency 1 (TC-09, AC-2)', async () => {
    const h = setup();
    h.settings.deadTicks = 1;
    const zombie = await h.runningJob({ pid: 999_999, attempts: 2 });
    h.alive.set(999_999, false);
    const { job: analyst } = await h.queue.enqueue({ kind: 'analyst' });
    expect((await h.admin.counts()).byStatus.running).toBe(1);
    await h.reaper.runOnce();
    expect(await h.status(zombie)).toBe('failed');
    expect((await h.admin.counts()).byStatus.running).toBe(0);
    const [next] = await h.queue.claim({ max: 1, leaseMs: 60_000, owner: 'w' });
    expect(next?.id).toBe(analyst.id);
  });

  it('judges pids only for jobs leased on this host', async () => {
    const h = setup();
    h.settings.deadTicks = 1;
    const id = await h.runningJob({ pid: DEAD, owner: 'another-host:12' });
    h.alive.set(DEAD, false);
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('running');
  });

  it('never reaps a job this process still runs', async () => {
    const h = setup();
    h.settings.deadTicks = 1;
    const id = await h.runningJob({ pid: DEAD, exitCode: 0, finishedAgoMs: 900_000 });
    h.alive.set(DEAD, false);
    h.held.add(id);
    await h.reaper.runOnce();
    expect(await h.status(id)).toBe('running');
  });

  it('expires remote leases: requeued while attempts remain, else failed with an alert', async () => {
    const h = setup();
    const a = (await h.queue.enqueue({ kind: 'semgrep', maxAttempts: 2 })).job;
    const b = (await h.queue.enqueue({ kind: 'semgrep', maxAttempts: 1 })).job;
    await h.queue.claim({ kinds: ['semgrep'], max: 2, leaseMs: 1_000, owner: 'remote-agent-7' });
    h.clock.advance(2_000);
    await h.reaper.runOnce();
    expect(await h.status(a.id)).toBe('queued');
    expect(await h.status(b.id)).toBe('failed');
    expect(h.notifier.ofType('job_failed').map((e) => e.jobId)).toEqual([b.id]);
    expect(h.reaper.status().leases_expired_total).toBe(2);
  });

  it('with the reaper off, the lease sweep still runs (E-13)', async () => {
    let swept = 0;
    const h = setup({
      leases: {
        reclaimStale: () => {
          swept++;
          return Promise.resolve([]);
        },
      },
    });
    h.settings.enabled = false;
    await h.reaper.runOnce();
    expect(swept).toBe(1);
  });

  it('starts and stops its loop (TC-21)', async () => {
    const h = setup();
    const fast = new JobReaper({
      store: h.store,
      admin: h.admin,
      wake: () => undefined,
      pipeline: h.pipeline,
      clock: h.clock,
      log: silentLogger,
      notifier: h.notifier,
      settings: () => h.settings,
      intervalMs: 50,
      host: HOST,
      pidAlive: () => true,
      heldLocally: () => false,
      owner: 'x',
    });
    fast.start();
    fast.start();
    expect(fast.running).toBe(true);
    await fast.stop(2000);
    expect(fast.running).toBe(false);
    expect(fast.status().last_run_ts).not.toBeNull();
  });

  it('with two replicas on separate connections, one wins each tick', async () => {
    // Separate connections on PostgreSQL; on SQLite one process shares one connection.
    const db2 = dialect === 'postgres' ? openDb(current().url) : current().db;
    try {
      const a = setup({ ticks: true, owner: 'replica-a' });
      const b = reaperHarness(db2, { ticks: true, owner: 'replica-b' });
      b.clock.set(a.clock.now());
      b.settings.deadTicks = 1;
      a.settings.deadTicks = 1;
      const id = await a.runningJob({ pid: DEAD, owner: DEAD_OWNER });
      a.alive.set(DEAD, false);
      b.alive.set(DEAD, false);
      await Promise.all([a.reaper.runOnce(), b.reaper.runOnce()]);
      const leaders = [a.reaper.status().leader, b.reaper.status().leader];
      expect(leaders.filter(Boolean)).toHaveLength(1);
      expect(a.reaper.status().reaped_total + b.reaper.status().reaped_total).toBe(1);
      expect(await a.status(id)).toBe('queued');
      // The leader keeps the tick; the other takes over after two silent intervals.
      const [lead, other] = a.reaper.status().leader ? [a, b] : [b, a];
      await other.reaper.runOnce();
      expect(other.reaper.status().leader).toBe(false);
      other.clock.advance(120_000);
      await other.reaper.runOnce();
      expect(other.reaper.status().leader).toBe(true);
      lead.clock.set(other.clock.now());
      await lead.reaper.runOnce();
      expect(lead.reaper.status().leader).toBe(false);
    } finally {
      if (db2 !== current().db) await db2.close();
    }
  });
});

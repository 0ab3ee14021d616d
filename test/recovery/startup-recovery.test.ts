import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import { silentLogger } from '../../src/log.js';
import { MergeLeases } from '../../src/recovery/merge-leases.js';
import { pidAlive } from '../../src/recovery/process-liveness.js';
import { StartupRecovery } from '../../src/recovery/startup-recovery.js';
import { createRuntime } from '../../src/runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { DEAD_OWNER, HOST, reaperHarness } from './reaper-harness.js';

describeEachDialect('startup recovery', ({ current }) => {
  function setup(o: { runsDir?: string; keepMax?: number } = {}) {
    const h = reaperHarness(current().db);
    const alerts: string[] = [];
    const leases = new MergeLeases(current().db, {
      clock: h.clock,
      log: silentLogger,
      host: HOST,
      pid: process.pid,
      instanceId: 'boot-2',
      pidAlive,
      reclaimEnabled: () => true,
    });
    const killed: number[] = [];
    const handedOver: number[] = [];
    const startup = new StartupRecovery({
      db: current().db,
      store: h.store,
      admin: h.admin,
      leases,
      clock: h.clock,
      log: silentLogger,
      host: HOST,
      owner: `${HOST}:${process.pid}`,
      pidAlive,
      killGroup: (pid) => {
        killed.push(pid);
        process.kill(-pid, 'SIGKILL');
      },
      orphanWindowMs: 35 * 60_000,
      runsDir: o.runsDir ?? join(tmpdir(), 'orch-no-runs'),
      logKeepDays: 14,
      logKeepMax: o.keepMax ?? 1000,
      finishExited: (job) => {
        handedOver.push(job.id);
        return Promise.resolve();
      },
      alert: (m) => {
        alerts.push(m);
        return Promise.resolve();
      },
    });
    return { ...h, startup, leases, alerts, killed, handedOver };
  }

  it('closes orphan agent runs older than the window with exit -1 and one alert', async () => {
    const h = setup();
    const old = await h.runningJob({ pid: 999_991, ageMs: 40 * 60_000 });
    const recent = await h.runningJob({ pid: 999_992, ageMs: 10 * 60_000 });
    for (const [jobId, ageMs] of [
      [old, 40 * 60_000],
      [recent, 10 * 60_000],
    ] as const) {
      await current().db.run(
        `insert into agent_runs (job_id, attempt, kind, adapter, log_path, pid, started_at_ms)
         values ($1, 1, 'developer', 'scripted', '', 999991, $2)`,
        [jobId, h.clock.now() - ageMs],
      );
    }
    const closed = await h.startup.orphanRuns();
    expect(closed).toHaveLength(1);
    const runs = await current().db.all<{ job_id: number; exit_code: number | null }>(
      'select job_id, exit_code from agent_runs order by id',
    );
    expect(runs.map((r) => [Number(r.job_id), r.exit_code])).toEqual([
      [old, -1],
      [recent, null],
    ]);
    expect(h.alerts).toHaveLength(1);
    expect(await h.startup.orphanRuns()).toEqual([]);
  });

  it('recovers jobs of dead or earlier local owners, stopping an orphaned agent first', async () => {
    const h = setup();
    const mine = await h.runningJob({ owner: `${HOST}:${process.pid}`, attempts: 1 });
    const orphan = await h.runningJob({ owner: DEAD_OWNER, attempts: 1 });
    const exhausted = await h.runningJob({ owner: DEAD_OWNER, attempts: 2 });
    const liveOwner = await h.runningJob({ owner: `${HOST}:${process.pid + 0}x` });
    const remote = await h.runningJob({ owner: 'other-host:1' });
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, ORCH_JOB_ID: String(orphan) },
    });
    const exited = new Promise((r) => child.once('exit', r));
    await current().db.run('update jobs set pid = $2 where id = $1', [orphan, child.pid!]);
    const jobs = await h.startup.recoverJobs();
    expect(jobs.map((j) => [j.id, j.status]).sort()).toEqual(
      [
        [mine, 'queued'],
        [orphan, 'queued'],
        [exhausted, 'failed'],
      ].sort(),
    );
    expect(h.killed).toEqual([child.pid]);
    await exited;
    expect(await h.status(liveOwner)).toBe('running');
    expect(await h.status(remote)).toBe('running');
    expect(h.alerts.filter((a) => a.includes(`job ${exhausted}`))).toHaveLength(1);
    expect((await h.queue.get(orphan))!.pid).toBeNull();
  });

  it('hands a job whose run exited 0 to the reaper’s exit-0 path instead of re-running it', async () => {
    const h = setup();
    const exited = await h.runningJob({ owner: DEAD_OWNER, exitCode: 0, finishedAgoMs: 1_000 });
    const failedRun = await h.runningJob({ owner: DEAD_OWNER, exitCode: 1, attempts: 1 });
    const report = await h.startup.run();
    expect(h.handedOver).toEqual([exited]);
    expect(report.finished).toEqual([exited]);
    expect(report.requeued).toEqual([failedRun]);
  });

  it('rotates run logs by count', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'orch-runs-'));
    for (let i = 1; i <= 3; i++) {
      writeFileSync(join(runsDir, `${i}.log`), 'x');
      const t = new Date(Date.now() - (3 - i) * 60_000);
      utimesSync(join(runsDir, `${i}.log`), t, t);
    }
    writeFileSync(join(runsDir, 'notes.txt'), 'kept');
    // The harness clock is in 2026-06; keep-days must not count real files against it.
    const h = setup({ runsDir, keepMax: 2 });
    h.clock.set(Date.now());
    const report = await h.startup.run();
    expect(report.logsPruned).toBe(1);
    expect(readdirSync(runsDir).sort()).toEqual(['2.log', '3.log', 'notes.txt']);
  });

  it('runtime: recovery runs at start, daemons start after it (reaper last) and stop in reverse; /queue has the reaper and reconciler blocks (TC-18, TC-21)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'orch-rt-'));
    mkdirSync(join(dataDir, 'runs'));
    const rt = await createRuntime({
      config: loadConfig(
        { ORCH_DATA_DIR: dataDir, ORCH_VIEWER_TOKEN: 'viewer-token-0123456789' },
        { dbUrl: current().url },
      ),
      configFile: parseConfigFile({ agents: { defaults: { adapter: 'scripted' } } }),
      log: silentLogger,
      projects: () => [],
    });
    try {
      const { job } = await rt.queue.enqueue({ kind: 'developer' });
      await rt.queue.claim({ kinds: ['developer'], leaseMs: 60_000, owner: rt.owner });
      const report = await rt.start({ worker: false });
      expect(report.requeued).toEqual([job.id]);
      expect(rt.recovery.reconciler.running).toBe(true);
      expect(rt.recovery.reaper.running).toBe(true);
      const app = serverForRuntime(rt);
      const res = await app.inject({
        method: 'GET',
        url: '/queue',
        headers: { authorization: 'Bearer viewer-token-0123456789' },
      });
      const body = res.json<Record<string, Record<string, unknown>>>();
      expect(Object.keys(body.reaper!)).toEqual(
        expect.arrayContaining([
          'enabled',
          'interval',
          'last_run_ts',
          'reaped_total',
          'last_reaped',
          'lease_reclaimed_total',
        ]),
      );
      expect(body.reaper).toMatchObject({ enabled: true, interval: 60 });
      expect(body.reconciler).toMatchObject({ enabled: true, interval: 60 });
      expect(body.merge_leases).toMatchObject({ leases: [] });
      expect(body.outbox).toMatchObject({ enabled: true, running: true, pending: 0, dead: 0 });
      expect(body.stop).toEqual({
        enabled: true,
        repos: 'all',
        cancelled: 0,
        ignored: 0,
        recent: [],
      });
      await app.close();
    } finally {
      await rt.stop();
    }
    expect(rt.recovery.reaper.running).toBe(false);
    expect(rt.recovery.reconciler.running).toBe(false);
  });
});

import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Workflow } from '../../src/pipeline/workflow-file.js';
import { projectCaps } from '../../src/pipeline/workflow-overrides.js';
import { BreakerStore } from '../../src/queue/breaker-store.js';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  deferred,
  fakeRole,
  makeHarness,
  type Harness,
  type HarnessOptions,
} from './agent-harness.js';

const FAST = { killGraceS: 0.3, exitGraceS: 0.5, idleTimeoutS: 5, timeoutS: 20 };

describeEachDialect('queue worker', ({ current }) => {
  let h: Harness | undefined;
  const setup = (o: HarnessOptions) => (h = makeHarness(current().db, o));
  afterEach(() => h?.cleanup());

  it('opens the breaker after 3 transients, probes once when half-open, re-opens on a failed probe and closes on success', async () => {
    const scenarioFile = join(tmpdir(), `orch-scenario-${process.pid}-${Date.now()}`);
    writeFileSync(scenarioFile, 'rate_429');
    const h = setup({
      maxConcurrency: 3,
      agents: {
        defaults: FAST,
        roles: { developer: fakeRole('x', { env: { FAKE_SCENARIO_FILE: scenarioFile } }) },
      },
    });
    const jobs = [];
    for (let i = 0; i < 4; i++) jobs.push((await h.enqueue('developer')).job);

    expect((await h.tick()).claimed).toHaveLength(3);
    const replica = new BreakerStore(current().db, h.clock, h.breakers.policy);
    expect(await replica.get('developer')).toMatchObject({
      state: 'open',
      consecutiveTransient: 3,
    });
    expect(h.notifier.ofType('breaker_open')).toHaveLength(1);

    h.clock.advance(60_000); // backoffs are over, the breaker is not
    const blocked = await h.worker.runOnce();
    expect(blocked.claimed).toEqual([]);
    expect(blocked.blocked).toEqual(['developer']);

    h.clock.advance(240_000); // pause over: exactly one probe although 4 jobs are available
    expect((await h.tick()).claimed).toHaveLength(1);
    expect(await replica.get('developer')).toMatchObject({ state: 'open' });
    expect(h.notifier.ofType('breaker_open')).toHaveLength(2);
    expect(h.notifier.ofType('breaker_open')[1]!.reason).toMatch(/re-opened/);

    writeFileSync(scenarioFile, 'success');
    h.clock.advance(300_000);
    expect((await h.tick()).claimed).toHaveLength(1);
    expect(await replica.get('developer')).toMatchObject({
      state: 'closed',
      consecutiveTransient: 0,
    });
    expect((await h.tick()).claimed).toHaveLength(3);
    for (const j of jobs) expect((await h.queue.get(j.id))!.status).toBe('done');
    rmSync(scenarioFile, { force: true });
  });

  it('runs at most one developer job at a time under a per-role cap of 1, while a reviewer job still runs', async () => {
    const gate = deferred();
    const h = setup({
      maxConcurrency: 3,
      caps: { perRole: { developer: 1 }, perProject: {} },
      ensureGate: () => gate.promise,
      agents: { defaults: { ...FAST, ...fakeRole('success') } },
    });
    const devs = [];
    for (let i = 1; i <= 3; i++)
      devs.push((await h.enqueue('developer', { branch: `feature/ET-${i}-dev` })).job);
    const rev = (await h.enqueue('reviewer', { branch: 'feature/ET-9-rev' })).job;

    const first = await h.worker.runOnce();
    expect(first.claimed.map((j) => j.id).sort()).toEqual([devs[0]!.id, rev.id].sort());
    expect((await h.worker.runOnce()).claimed).toEqual([]); // developer at its cap, a slot free
    expect(h.worker.concurrency()).toEqual({
      max: 3,
      running: 2,
      per_role: { developer: { cap: 1, running: 1 }, reviewer: { cap: null, running: 1 } },
      per_project: {},
    });
    for (const j of devs.slice(1))
      expect(await h.queue.get(j.id)).toMatchObject({ status: 'queued', attempts: 0 });

    gate.open();
    await h.worker.whenIdle();
    expect((await h.tick()).claimed.map((j) => j.id)).toEqual([devs[1]!.id]);
    expect((await h.tick()).claimed.map((j) => j.id)).toEqual([devs[2]!.id]);
    for (const j of [...devs, rev]) expect((await h.queue.get(j.id))!.status).toBe('done');
  });

  it('never claims a job whose project is at its cap; other projects and task-less jobs still run', async () => {
    const gate = deferred();
    const h = setup({
      maxConcurrency: 4,
      caps: { perRole: {}, perProject: { AA: 1 } },
      ensureGate: () => gate.promise,
      agents: { defaults: { ...FAST, ...fakeRole('success') } },
    });
    const a1 = await h.task('AA');
    const a2 = await h.task('AA');
    const b1 = await h.task('BB');
    const jobA1 = (await h.enqueue('developer', { branch: 'f/a1' }, { taskId: a1 })).job;
    const jobA2 = (await h.enqueue('developer', { branch: 'f/a2' }, { taskId: a2 })).job;
    const jobB1 = (await h.enqueue('developer', { branch: 'f/b1' }, { taskId: b1 })).job;
    const loose = (await h.enqueue('reviewer', { branch: 'f/none' })).job;

    const first = await h.worker.runOnce();
    expect(first.claimed.map((j) => j.id).sort()).toEqual([jobA1.id, jobB1.id, loose.id].sort());
    expect((await h.worker.runOnce()).claimed).toEqual([]);
    expect(await h.queue.get(jobA2.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(h.worker.concurrency().per_project).toEqual({
      AA: { cap: 1, running: 1 },
      BB: { cap: null, running: 1 },
    });

    gate.open();
    await h.worker.whenIdle();
    expect((await h.tick()).claimed.map((j) => j.id)).toEqual([jobA2.id]);
    expect((await h.queue.get(jobA2.id))!.status).toBe('done');
  });

  it("caps a project by its workflow file's maxConcurrent over the project's, read at every tick", async () => {
    const gate = deferred();
    let workflow: Workflow | undefined = { templates: {}, maxConcurrent: 1 };
    const workflows = { current: (key: string) => (key === 'AA' ? workflow : undefined) };
    const h = setup({
      maxConcurrency: 4,
      capsOf: () => ({
        perRole: {},
        perProject: projectCaps([{ key: 'AA', maxConcurrent: 3 }], workflows),
      }),
      ensureGate: () => gate.promise,
      agents: { defaults: { ...FAST, ...fakeRole('success') } },
    });
    const jobs = [];
    for (let i = 1; i <= 3; i++) {
      const taskId = await h.task('AA');
      jobs.push((await h.enqueue('developer', { branch: `f/a${i}` }, { taskId })).job);
    }

    expect((await h.worker.runOnce()).claimed.map((j) => j.id)).toEqual([jobs[0]!.id]);
    expect((await h.worker.runOnce()).claimed).toEqual([]);
    expect(h.worker.concurrency().per_project).toEqual({ AA: { cap: 1, running: 1 } });

    workflow = undefined; // the file is gone: the project's cap of 3 binds again
    expect((await h.worker.runOnce()).claimed.map((j) => j.id).sort()).toEqual(
      [jobs[1]!.id, jobs[2]!.id].sort(),
    );
    expect(h.worker.concurrency().per_project).toEqual({ AA: { cap: 3, running: 3 } });
    gate.open();
    await h.worker.whenIdle();
    for (const j of jobs) expect((await h.queue.get(j.id))!.status).toBe('done');
  });

  it('leaves jobs queued when the agent binary fails preflight', async () => {
    const h = setup({
      agents: {
        defaults: FAST,
        roles: { developer: { adapter: 'claude-code', command: ['/nonexistent/claude'] } },
      },
    });
    const { job } = await h.enqueue('developer');
    const tick = await h.tick();
    expect(tick.claimed).toEqual([]);
    expect(tick.preflightFailed.developer).toMatch(/not found/);
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(h.worker.status().preflightFailed).toHaveProperty('developer');
  });

  it('claims other kinds while one kind fails preflight', async () => {
    const h = setup({
      agents: {
        defaults: FAST,
        roles: { developer: { command: ['/nonexistent/claude'] }, reviewer: fakeRole('success') },
      },
    });
    const dev = await h.enqueue('developer');
    const rev = await h.enqueue('reviewer');
    const tick = await h.tick();
    expect(tick.claimed.map((j) => j.id)).toEqual([rev.job.id]);
    expect((await h.queue.get(dev.job.id))!.status).toBe('queued');
  });

  it('never wedges a slot on a launch error', async () => {
    const h = setup({
      maxConcurrency: 1,
      agents: { defaults: FAST, roles: { developer: { adapter: 'command' } } },
    });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 1 });
    await h.tick();
    expect(h.worker.runningCount).toBe(0);
    expect(await h.queue.get(job.id)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('AGENT_CONFIG_INVALID') as string,
    });
    const next = await h.enqueue('developer', {}, { maxAttempts: 1 });
    expect((await h.tick()).claimed.map((j) => j.id)).toEqual([next.job.id]);
  });

  it('on stop, kills what is still running and leaves the job to recovery', async () => {
    const h = setup({
      agents: { defaults: FAST, roles: { developer: fakeRole('hang_mid', { idleTimeoutS: 30 }) } },
    });
    const { job } = await h.enqueue('developer');
    expect((await h.worker.runOnce()).claimed).toHaveLength(1);
    await h.worker.stop({ drainMs: 200 });
    const held = await h.queue.get(job.id);
    expect(held).toMatchObject({ status: 'running', attempts: 1, leasedBy: 'test-worker' });
    expect((await h.runs.listForJob(job.id))[0]).toMatchObject({
      killReason: 'stop',
      exitCode: -9,
    });
    const recovered = await h.admin.recoverRunning({ owner: 'test-worker' });
    expect(recovered.map((j) => j.id)).toEqual([job.id]);
    expect((await h.worker.runOnce()).claimed).toEqual([]); // stopped workers claim nothing
  });

  it('runs jobs on its own when started, and stops cleanly', async () => {
    const h = setup({ agents: { defaults: FAST, roles: { reviewer: fakeRole('success') } } });
    const { job } = await h.enqueue('reviewer');
    h.worker.start();
    for (let i = 0; i < 200 && (await h.queue.get(job.id))!.status !== 'done'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await h.worker.stop();
    expect((await h.queue.get(job.id))!.status).toBe('done');
  });
});

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/test-db.js';
import {
  deferred,
  fakeRole,
  makeHarness,
  until,
  type Harness,
  type HarnessOptions,
} from './agent-harness.js';

const FAST = { killGraceS: 0.3, exitGraceS: 0.5, idleTimeoutS: 5, timeoutS: 20 };

function agents(roles: Record<string, unknown>) {
  return { defaults: FAST, roles };
}

/** Alive and not a zombie (an orphan reparented to a PID 1 that does not reap stays a zombie). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describeEachDialect('agent runner', ({ current }) => {
  let h: Harness | undefined;
  const setup = (o: HarnessOptions = {}) => (h = makeHarness(current().db, o));
  afterEach(() => h?.cleanup());

  it('completes a successful run in its worktree and records cost, tokens and session', async () => {
    const h = setup({ agents: agents({ developer: fakeRole('success') }) });
    const { job } = await h.enqueue('developer');
    const tick = await h.tick();
    expect(tick.claimed.map((j) => j.id)).toEqual([job.id]);
    const done = await h.queue.get(job.id);
    expect(done!.pid).toBe((await h.runs.listForJob(job.id))[0]!.pid);
    expect(done).toMatchObject({
      status: 'done',
      result: { costUsd: 0.0123, inputTokens: 1500, outputTokens: 450 },
    });
    const [run] = await h.runs.listForJob(job.id);
    expect(run).toMatchObject({
      outcome: 'success',
      exitCode: 0,
      isError: false,
      subtype: 'success',
      sessionId: 'fake-session-1',
      costUsd: 0.0123,
      inputTokens: 1500,
      outputTokens: 450,
      adapter: 'claude-code',
      attempt: 1,
    });
    expect(run!.pid).toBeGreaterThan(0);
    expect(run!.argv).toEqual(
      expect.arrayContaining(['-p', '--output-format', 'stream-json', '--verbose']),
    );
    expect(run!.logPath).toBe(join(h.dir, 'data', 'runs', `${run!.id}.log`));
    expect(readFileSync(run!.logPath, 'utf8')).toContain('"type":"result"');
    const wt = h.worktrees.worktreePath(h.repo, 'feature/ET-1-demo');
    expect(readFileSync(join(wt, 'agent-was-here.txt'), 'utf8').trim()).toBe(String(job.id));
    expect(existsSync(join(wt, '.orch', 'tasks', `job-${job.id}-run-${run!.id}.md`))).toBe(true);
  });

  it('never reports success for is_error true with exit code 0', async () => {
    const h = setup({ agents: agents({ developer: fakeRole('is_error_exit0') }) });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 1 });
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'failed' });
    const [run] = await h.runs.listForJob(job.id);
    expect(run).toMatchObject({ exitCode: 0, isError: true, outcome: 'permanent' });
    expect(h.notifier.ofType('job_failed')).toHaveLength(1);
  });

  it('backs off a 429 with Retry-After 30: transient, not claimable before 30 s', async () => {
    const h = setup({ agents: agents({ developer: fakeRole('rate_429') }) });
    const { job } = await h.enqueue('developer');
    await h.tick();
    const after = await h.queue.get(job.id);
    expect(after).toMatchObject({ status: 'queued', attempts: 0, transientAttempts: 1 });
    expect(after!.availableAtMs).toBe(h.clock.now() + 30_000);
    expect((await h.runs.listForJob(job.id))[0]).toMatchObject({
      outcome: 'transient',
      exitCode: 1,
    });
    h.clock.advance(29_999);
    expect((await h.worker.runOnce()).claimed).toEqual([]);
  });

  it('pauses the kind until resetsAt on a rejected rate_limit_event, attempts unchanged', async () => {
    const h0 = setup({ agents: agents({}) });
    const resetsAtS = Math.floor(h0.clock.now() / 1000) + 7200;
    h0.cleanup();
    const h = setup({
      maxConcurrency: 1,
      agents: agents({
        developer: fakeRole('quota', {
          env: { FAKE_SCENARIO: 'quota', FAKE_RESETS_AT: String(resetsAtS) },
        }),
      }),
    });
    const { job } = await h.enqueue('developer');
    const other = await h.enqueue('developer');
    await h.tick();
    const paused = await h.queue.get(job.id);
    expect(paused).toMatchObject({ status: 'queued', attempts: 0, transientAttempts: 0 });
    expect(paused!.availableAtMs).toBe(resetsAtS * 1000);
    expect(await h.breakers.pauses()).toEqual([
      {
        kind: 'developer',
        pausedUntilMs: resetsAtS * 1000,
        reason: expect.stringContaining('quota') as string,
      },
    ]);
    expect(h.notifier.ofType('kind_paused')).toHaveLength(1);
    // The kind is paused: its other job stays queued, untouched, until the reset.
    const tick = await h.worker.runOnce();
    expect(tick.claimed).toEqual([]);
    expect(tick.blocked).toContain('developer');
    expect(await h.queue.get(other.job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    h.clock.set(resetsAtS * 1000);
    expect((await h.worker.runOnce()).claimed.map((j) => j.id)).toEqual([job.id]);
    await h.worker.whenIdle();
  });

  it('kills a run that hangs mid-stream after the idle timeout, with its whole process group', async () => {
    const pidFile = join(tmpdir(), `orch-hang-${process.pid}-${Date.now()}.pid`);
    const h = setup({
      agents: agents({
        developer: fakeRole('hang_mid', {
          env: { FAKE_SCENARIO: 'hang_mid', FAKE_PID_FILE: pidFile },
          idleTimeoutS: 2,
        }),
      }),
    });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 1 });
    await h.tick();
    const [run] = await h.runs.listForJob(job.id);
    expect(run).toMatchObject({
      exitCode: -9,
      killReason: 'idle_timeout',
      outcome: 'timeout',
      error: 'timed out: no output for 2 s (idle hang)',
    });
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'failed' });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    expect(pidAlive(grandchild)).toBe(false);
    expect(pidAlive(run!.pid!)).toBe(false);
    rmSync(pidFile, { force: true });
  });

  it('kills a CLI that hangs after its result (ignoring SIGTERM) and takes the outcome from the result', async () => {
    const h = setup({ agents: agents({ developer: fakeRole('hang_after_result') }) });
    const { job } = await h.enqueue('developer');
    await h.tick();
    const [run] = await h.runs.listForJob(job.id);
    expect(run).toMatchObject({
      exitCode: -9,
      killReason: 'exit_grace',
      outcome: 'success',
      costUsd: 0.0123,
    });
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'done' });
    expect(pidAlive(run!.pid!)).toBe(false);
  });

  it('retries a crash as a permanent failure and records the exit code', async () => {
    const h = setup({ agents: agents({ developer: fakeRole('crash') }) });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 2 });
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'queued', attempts: 1 });
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'failed', attempts: 2 });
    const runs = await h.runs.listForJob(job.id);
    expect(runs.map((r) => [r.exitCode, r.outcome, r.attempt])).toEqual([
      [2, 'permanent', 1],
      [2, 'permanent', 2],
    ]);
    expect(h.notifier.ofType('job_failed')).toEqual([
      expect.objectContaining({ jobId: job.id, kind: 'developer', attempts: 2 }),
    ]);
  });

  it('applies a per-role wall timeout override and kills with −9', async () => {
    const h = setup({
      agents: agents({
        developer: fakeRole('slow', {
          timeoutS: 0.7,
          env: { FAKE_SCENARIO: 'slow', FAKE_SLOW_MS: '5000' },
        }),
      }),
    });
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 1 });
    await h.tick();
    expect((await h.runs.listForJob(job.id))[0]).toMatchObject({
      exitCode: -9,
      killReason: 'wall_timeout',
    });
  });

  it('scrubs Orch secrets from the agent environment', async () => {
    const h = setup({ agents: agents({ developer: fakeRole('env') }) });
    const { job } = await h.enqueue('developer');
    await h.tick();
    const [run] = await h.runs.listForJob(job.id);
    const log = readFileSync(run!.logPath, 'utf8');
    expect(log).toContain('admin-token:absent db:absent role:developer');
    expect(log).not.toContain('super-secret');
  });

  it('calls onFinished before completing, and a throwing hook fails the attempt', async () => {
    const seen: string[] = [];
    const h = setup({
      agents: agents({ developer: fakeRole('success') }),
      onFinished: (ctx) => {
        seen.push(
          `${ctx.job.id}:${ctx.outcome.kind}:${ctx.worktree.branch}:${ctx.payload.workItemId}`,
        );
        if (seen.length === 1) return Promise.reject(new Error('gate red'));
        return Promise.resolve();
      },
    });
    const { job } = await h.enqueue('developer');
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({
      status: 'queued',
      error: expect.stringContaining('gate red') as string,
    });
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'done' });
    expect(seen).toEqual([
      `${job.id}:success:feature/ET-1-demo:ET-1`,
      `${job.id}:success:feature/ET-1-demo:ET-1`,
    ]);
  });

  it('fails a job with an invalid payload without spawning anything', async () => {
    const h = setup({ agents: agents({ developer: fakeRole('success') }) });
    const { job } = await h.queue.enqueue({
      kind: 'developer',
      payload: { nope: true },
      maxAttempts: 1,
    });
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('AGENT_PAYLOAD_INVALID') as string,
    });
    expect(await h.runs.listForJob(job.id)).toEqual([]);
  });

  it('stops the agent and cancels the job when an operator cancels it mid-run', async () => {
    const h = setup({
      leaseMs: 300,
      agents: agents({ developer: fakeRole('hang_mid', { idleTimeoutS: 30 }) }),
    });
    const { job } = await h.enqueue('developer');
    await h.worker.runOnce();
    await until(async () => (await h.queue.get(job.id))!.pid !== null, 'agent attached');
    await h.admin.requestCancel(job.id);
    await h.worker.whenIdle();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'cancelled' });
    expect((await h.runs.listForJob(job.id))[0]).toMatchObject({
      killReason: 'cancel',
      exitCode: -9,
    });
  });

  it('kills a run whose lease was lost and leaves the job to its new owner', async () => {
    const h = setup({
      leaseMs: 300,
      agents: agents({ developer: fakeRole('hang_mid', { idleTimeoutS: 30 }) }),
    });
    const { job } = await h.enqueue('developer');
    await h.worker.runOnce();
    await until(async () => (await h.queue.get(job.id))!.pid !== null, 'agent attached');
    // The worker's heartbeat (real timers) may extend the lease between the clock's step and the
    // sweep; the next step then expires it.
    await until(async () => {
      h.clock.advance(301);
      return (await h.admin.expireLeases()).some((j) => j.id === job.id);
    }, 'the lease to expire');
    await h.worker.whenIdle();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'queued', leaseToken: null });
    expect((await h.runs.listForJob(job.id))[0]).toMatchObject({ killReason: 'stop' });
  });

  it('keeps the lease through a worktree preparation longer than the lease: no second claim', async () => {
    const gate = deferred();
    let preparing = false;
    const h = setup({
      leaseMs: 300,
      agents: agents({ developer: fakeRole('success') }),
      ensureGate: () => ((preparing = true), gate.promise),
    });
    const { job } = await h.enqueue('developer');
    await h.worker.runOnce();
    await until(() => preparing, 'preparation started');
    const claimedAtMs = h.clock.now();
    h.clock.advance(200);
    await until(
      async () => (await h.queue.get(job.id))!.heartbeatAtMs! >= claimedAtMs + 200,
      'a heartbeat during preparation',
    );
    h.clock.advance(200); // past the claim's lease, within the heartbeat's
    expect(await h.admin.expireLeases()).toEqual([]);
    const second = await h.queue.claim({ kinds: ['developer'], leaseMs: 300, owner: 'second' });
    expect(second).toEqual([]);
    gate.open();
    await h.worker.whenIdle();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'done', attempts: 1 });
    expect(await h.runs.listForJob(job.id)).toHaveLength(1);
  });

  it('does not start the agent when the lease was lost during worktree preparation', async () => {
    const gate = deferred();
    let preparing = false;
    const h = setup({
      leaseMs: 60_000,
      agents: agents({ developer: fakeRole('success') }),
      ensureGate: () => ((preparing = true), gate.promise),
    });
    const { job } = await h.enqueue('developer');
    await h.worker.runOnce();
    await until(() => preparing, 'preparation started');
    h.clock.advance(60_001);
    expect((await h.admin.expireLeases()).map((j) => j.id)).toEqual([job.id]);
    gate.open();
    await h.worker.whenIdle();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'queued', leaseToken: null });
    expect(await h.runs.listForJob(job.id)).toEqual([]);
  });

  it('stops the run when attach finds the lease already taken', async () => {
    let jobId = 0;
    const h: Harness = setup({
      agents: agents({ developer: fakeRole('hang_mid', { idleTimeoutS: 30 }) }),
      // Between spawn and attach, the job is taken away (a fenced snooze by its holder's token).
      afterSpawn: async () => {
        const held = (await h.queue.get(jobId))!;
        await h.queue.snooze(held.id, held.leaseToken!, 0, 'taken over');
      },
    });
    const { job } = await h.enqueue('developer');
    jobId = job.id;
    await h.tick();
    expect((await h.runs.listForJob(job.id))[0]).toMatchObject({ killReason: 'stop' });
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'queued', leaseToken: null });
  });
});

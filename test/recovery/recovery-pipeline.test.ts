import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import { RecordingNotifier } from '../../src/integrations/notify/notifier.js';
import { silentLogger } from '../../src/log.js';
import { JobReaper } from '../../src/recovery/job-reaper.js';
import { pipelineReapHooks } from '../../src/recovery/reap-pipeline.js';
import { ReapStore } from '../../src/store/jobs/reap-store.js';
import { Reconciler, type ReconcilerSettings } from '../../src/recovery/reconciler.js';
import type { Task } from '../../src/pipeline/task.js';
import { ANALYSIS, pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { DEAD_OWNER, HOST } from './reaper-harness.js';

type Env = Awaited<ReturnType<typeof pipelineEnv>>;
const ADR = (env: Env) => (t: Task) => env.artifact(t, '06-adr/ADR-001-gpx.md', '# ADR\n');

describeEachDialect('recovery on the real pipeline', ({ current }) => {
  /** Intake → analysis → approved: the task waits in architecture with its architect job queued. */
  async function atArchitecture(env: Env) {
    const { task } = await env.newItem();
    await env.agent(task.id, 'analyst', ANALYSIS(env));
    await env.pipeline.approve(task.id, 'alice');
    // The in-process agents never claim their jobs; settle every job but the architect's.
    await current().db.run(
      "update jobs set status = 'done' where task_id = $1 and kind <> 'architect'",
      [task.id],
    );
    return env.task(task.id);
  }

  /** The architect's job as a dead finalizer left it: claimed, run exited 0, nothing pushed. */
  async function deadArchitect(env: Env, task: Task, write: boolean) {
    const [job] = await env.queue.claim({
      kinds: ['architect'],
      leaseMs: 86_400_000,
      owner: DEAD_OWNER,
    });
    const runs = new AgentRunStore(current().db);
    const run = await runs.create({
      jobId: job!.id,
      taskId: task.id,
      attempt: 1,
      kind: 'architect',
      adapter: 'scripted',
      startedAtMs: env.clock.now(),
    });
    await env.workspace.ensure(task, env.project);
    if (write) ADR(env)(task);
    await runs.finish(run.id, {
      finishedAtMs: env.clock.now(),
      exitCode: 0,
      outcome: 'success',
      isError: false,
      subtype: 'success',
      sessionId: null,
      costUsd: null,
      inputTokens: null,
      outputTokens: null,
      killReason: null,
      error: null,
    });
    await env.queue.attach(job!.id, job!.leaseToken!, { pid: 999_999, agentRunId: run.id });
    env.clock.advance(600_000);
    return job!.id;
  }

  function reaperFor(env: Env) {
    const notifier = new RecordingNotifier();
    return new JobReaper({
      store: new ReapStore(current().db),
      admin: env.admin,
      wake: () => undefined,
      pipeline: pipelineReapHooks(env.pipeline, env.workspace, silentLogger),
      clock: env.clock,
      log: silentLogger,
      notifier,
      settings: () => ({
        enabled: true,
        deadTicks: 2,
        maxRunningMs: 3_600_000,
        finalizeGraceMs: 300_000,
      }),
      intervalMs: 60_000,
      host: HOST,
      pidAlive: () => false,
      heldLocally: () => false,
      owner: 'test',
    });
  }

  const stageChanges = async (env: Env, id: number) =>
    (await env.tasks.events(id)).filter((e) => e.type === 'stage_changed').map((e) => e.message);

  it('reaps exit 0 after a dead finalizer: done, the stage advances once, the work is pushed (AC-4, AC-10)', async () => {
    const env = await pipelineEnv(current().db);
    const task = await atArchitecture(env);
    const jobId = await deadArchitect(env, task, true);
    const reaper = reaperFor(env);
    await reaper.runOnce();
    expect((await env.queue.get(jobId))!.status).toBe('done');
    expect(await env.task(task.id)).toMatchObject({ stage: 'development', state: 'active' });
    const jobs = await env.admin.list({ taskId: task.id, status: 'queued' });
    expect(jobs.map((j) => j.kind)).toEqual(['developer']);
    // The reaper pushed what the finalizer would have pushed.
    const files = execFileSync('git', ['ls-tree', '-r', '--name-only', task.branch], {
      cwd: env.forge.cloneUrl('demo'),
      encoding: 'utf8',
    });
    expect(files).toContain('06-adr/ADR-001-gpx.md');
    // A late finalizer (or a second tick) changes nothing.
    const late = await env.pipeline.onAgentFinished({
      taskId: task.id,
      role: 'architect',
      stage: 'architecture',
    });
    expect(late.kind).toBe('noop');
    await reaper.runOnce();
    expect(await stageChanges(env, task.id)).toEqual([
      'analysis → architecture',
      'architecture → development',
    ]);
  });

  it('reaps exit 0 with a red gate as a retry and never advances', async () => {
    const env = await pipelineEnv(current().db);
    const task = await atArchitecture(env);
    const jobId = await deadArchitect(env, task, false);
    await reaperFor(env).runOnce();
    expect((await env.queue.get(jobId))!.status).toBe('queued');
    expect((await env.task(task.id)).stage).toBe('architecture');
    expect(await stageChanges(env, task.id)).toEqual(['analysis → architecture']);
  });

  function reconcilerFor(env: Env, s: Partial<ReconcilerSettings> = {}) {
    const settings: ReconcilerSettings = {
      enabled: true,
      graceMs: 300_000,
      graceOverridesS: {},
      ...s,
    };
    return {
      settings,
      reconciler: new Reconciler({
        db: current().db,
        pipeline: env.pipeline,
        clock: env.clock,
        log: silentLogger,
        settings: () => settings,
        intervalMs: 60_000,
        owner: 'test',
      }),
    };
  }

  /** The architect finished and its job completed, but the advance was lost (crash between steps). */
  async function lostAdvance(env: Env, write: boolean) {
    const task = await atArchitecture(env);
    const [job] = await env.queue.claim({ kinds: ['architect'], leaseMs: 60_000, owner: 'w' });
    await env.workspace.ensure(task, env.project);
    if (write) ADR(env)(task);
    await env.queue.complete(job!.id, job!.leaseToken!);
    return task;
  }

  it('advances a stuck stage with a green gate exactly once, after the grace', async () => {
    const env = await pipelineEnv(current().db);
    const task = await lostAdvance(env, true);
    const { reconciler } = reconcilerFor(env);
    await reconciler.runOnce();
    expect((await env.task(task.id)).stage).toBe('architecture'); // within grace
    env.clock.advance(300_000);
    await reconciler.runOnce();
    expect((await env.task(task.id)).stage).toBe('development');
    env.clock.advance(600_000);
    await reconciler.runOnce(); // the developer job is live now
    expect(await stageChanges(env, task.id)).toEqual([
      'analysis → architecture',
      'architecture → development',
    ]);
    expect(reconciler.status()).toMatchObject({ advanced_total: 1 });
  });

  it('leaves a red gate alone, and blocks the task when its last job failed for good', async () => {
    const env = await pipelineEnv(current().db);
    const task = await lostAdvance(env, false);
    const { reconciler } = reconcilerFor(env, { graceOverridesS: { architecture: 0 } });
    await reconciler.runOnce();
    expect(await env.task(task.id)).toMatchObject({ stage: 'architecture', state: 'active' });
    const { job } = await env.queue.enqueue({ kind: 'architect', taskId: task.id, maxAttempts: 1 });
    const [claimed] = await env.queue.claim({ kinds: ['architect'], leaseMs: 60_000, owner: 'w' });
    await env.queue.fail(job.id, claimed!.leaseToken!, {
      kind: 'permanent',
      error: 'agent crashed',
      retryAfterMs: null,
    });
    await reconciler.runOnce();
    const t = await env.task(task.id);
    expect(t).toMatchObject({ stage: 'architecture', state: 'blocked' });
    expect(t.lastError).toBe('architect failed after 1 attempt: agent crashed');
    await reconciler.runOnce();
    expect(reconciler.status()).toMatchObject({ blocked_total: 1, advanced_total: 0 });
  });

  it('reports a red gate outside an agent run once per stage visit and reason, and rolls nothing back', async () => {
    const env = await pipelineEnv(current().db);
    const task = await lostAdvance(env, false); // no ADR: check_architecture_done is red
    const { reconciler } = reconcilerFor(env, { graceOverridesS: { architecture: 0 } });
    await reconciler.runOnce();
    await reconciler.runOnce(); // the same red gate again: not reported twice
    await env.effects();
    const t = await env.task(task.id);
    expect(t).toMatchObject({ stage: 'architecture', state: 'active', devRetries: 0 });
    const reds = await current().db.all<{ message: string; detail: string }>(
      "select message, detail from task_events where task_id = $1 and type = 'gate_red'",
      [task.id],
    );
    expect(reds).toHaveLength(1);
    expect(reds[0]!.message).toMatch(/^check_architecture_done: /);
    expect(JSON.parse(reds[0]!.detail)).toEqual({
      gate: 'check_architecture_done',
      via: 'reconciler',
    });
    const alerts = env.notifier.ofType('gate_failed');
    expect(alerts).toMatchObject([{ workItemId: t.workItemId, gate: 'check_architecture_done' }]);
    const ref = { projectId: 'ET', itemId: t.trackerItemId };
    const comments = (await env.tracker.listComments(ref)).filter((c) => c.body.startsWith('🔴'));
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('nothing was rolled back');
    // A different reason in the same visit is news, once.
    expect(
      await env.pipeline.reportRedGate(
        t,
        [{ gate: 'check_architecture_done', passed: false, reason: 'another reason' }],
        'webhook',
      ),
    ).toBe(true);
    expect(
      await env.pipeline.reportRedGate(
        t,
        [{ gate: 'check_architecture_done', passed: false, reason: 'another reason' }],
        'webhook',
      ),
    ).toBe(false);
  });

  it('never advances a green gate whose stage agent failed: it blocks the task instead', async () => {
    const env = await pipelineEnv(current().db);
    const task = await lostAdvance(env, true); // the ADR is there: the exit gate is green
    const { job } = await env.queue.enqueue({
      kind: 'architect',
      taskId: task.id,
      maxAttempts: 1,
      payload: { stage: 'architecture' },
    });
    const [claimed] = await env.queue.claim({ kinds: ['architect'], leaseMs: 60_000, owner: 'w' });
    await env.queue.fail(job.id, claimed!.leaseToken!, {
      kind: 'permanent',
      error: 'timed out after 1800 s',
      retryAfterMs: null,
    });
    const { reconciler } = reconcilerFor(env, { graceMs: 0 });
    env.clock.advance(600_000);
    await reconciler.runOnce();
    await reconciler.runOnce();
    const t = await env.task(task.id);
    expect(t).toMatchObject({ stage: 'architecture', state: 'blocked' });
    expect(t.lastError).toBe('architect timed out after 1800 s');
    expect(await stageChanges(env, task.id)).toEqual(['analysis → architecture']);
    expect(reconciler.status()).toMatchObject({ blocked_total: 1, advanced_total: 0 });
  });

  it('skips blocked and needs-input tasks', async () => {
    const env = await pipelineEnv(current().db);
    const task = await lostAdvance(env, true);
    await env.core.block(await env.task(task.id), 'operator hold');
    const { reconciler } = reconcilerFor(env, { graceMs: 0 });
    await reconciler.runOnce();
    expect(await env.task(task.id)).toMatchObject({ stage: 'architecture', state: 'blocked' });
    const { task: waiting } = await env.newItem('Another');
    await env.agent(waiting.id, 'analyst', (t) =>
      env.artifact(t, '01-questions.md', 'Which format?\n'),
    );
    await current().db.run("update jobs set status = 'done' where task_id = $1", [waiting.id]);
    expect((await env.task(waiting.id)).state).toBe('needs_input');
    env.clock.advance(1_000);
    await reconciler.runOnce();
    expect((await env.task(waiting.id)).state).toBe('needs_input');
  });

  it('picks up a missed :approved: comment by polling, exactly once, ignoring Orch’s own comments', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    await env.agent(task.id, 'analyst', ANALYSIS(env));
    await current().db.run("update jobs set status = 'done' where task_id = $1", [task.id]);
    expect((await env.task(task.id)).state).toBe('awaiting_approval');
    const ref = { projectId: 'ET', itemId: task.trackerItemId };
    await env.effects();
    // Orch's own approval request contains ":approved:"; it must never count.
    expect(
      (await env.tracker.listComments(ref)).some((c) => c.byOrch && c.body.includes(':approved:')),
    ).toBe(true);
    const { reconciler } = reconcilerFor(env, { graceMs: 60_000 });
    env.clock.advance(120_000);
    await reconciler.runOnce();
    expect((await env.task(task.id)).state).toBe('awaiting_approval');
    await env.tracker.addHumanComment(ref, 'mallory', ':approved:');
    await env.tracker.addHumanComment(ref, 'alice', 'Looks good :approved:');
    await reconciler.runOnce(); // younger than the grace: the webhook may still come
    expect((await env.task(task.id)).stage).toBe('analysis');
    env.clock.advance(60_000);
    await reconciler.runOnce();
    expect(await env.task(task.id)).toMatchObject({ stage: 'architecture', state: 'active' });
    await reconciler.runOnce();
    env.clock.advance(600_000);
    await reconciler.runOnce();
    expect(await stageChanges(env, task.id)).toEqual(['analysis → architecture']);
    const processed = await current().db.all<{ outcome: string }>(
      'select outcome from processed_comments order by comment_id',
    );
    expect(processed.map((p) => p.outcome).sort()).toEqual([
      'approval: advanced',
      'unauthorized: noop',
    ]);
    expect(reconciler.status().comments_applied_total).toBe(2);
  });
  it('takes over a comment claim whose process died before applying it', async () => {
    const env = await pipelineEnv(current().db);
    const { task } = await env.newItem();
    await env.agent(task.id, 'analyst', ANALYSIS(env));
    await current().db.run("update jobs set status = 'done' where task_id = $1", [task.id]);
    const ref = { projectId: 'ET', itemId: task.trackerItemId };
    const c = await env.tracker.addHumanComment(ref, 'alice', ':approved:');
    await current().db.run(
      "insert into processed_comments (task_id, comment_id, processed_at_ms, outcome) values ($1, $2, $3, 'claimed')",
      [task.id, c.id, env.clock.now()],
    );
    const { reconciler } = reconcilerFor(env, { graceMs: 0 });
    env.clock.advance(60_000);
    await reconciler.runOnce(); // the claim is fresh: its owner may still be applying it
    expect((await env.task(task.id)).state).toBe('awaiting_approval');
    env.clock.advance(240_000);
    await reconciler.runOnce();
    expect(await env.task(task.id)).toMatchObject({ stage: 'architecture', state: 'active' });
  });
});

import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { METRICS_WINDOW, StoreMetrics } from '../../src/metrics/store-metrics.js';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import type { Db } from '../../src/store/db.js';
import { MetricsRepo, type MetricTotal } from '../../src/store/metrics/metrics-repo.js';
import { TaskStore } from '../../src/store/tasks/task-store.js';
import { insertInboxRow } from '../../src/store/webhooks/webhook-inbox.js';
import { makeQueue } from '../helpers/queue.js';
import { describeEachDialect } from '../helpers/test-db.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 2, 10, 12);

async function insertTask(
  db: Db,
  o: { id: string; stage: string; state?: string; atMs: number; enteredAtMs?: number },
): Promise<number> {
  const row = await db.get<{ id: number | string }>(
    `insert into tasks (work_item_id, project_key, tracker_kind, tracker_project_id,
       tracker_item_id, title, repo, branch, stage, state, created_at_ms, updated_at_ms,
       stage_entered_at_ms)
     values ($1, 'P', 'local', 'P', $1, 't', 'r', $1, $2, $3, $4, $4, $5) returning id`,
    [o.id, o.stage, o.state ?? 'active', o.atMs, o.enteredAtMs ?? o.atMs],
  );
  return Number(row!.id);
}

const event = (
  tasks: TaskStore,
  db: Db,
  taskId: number,
  e: { at: number; type: string; stage: string; detail?: unknown },
) =>
  tasks.addEvent(db, {
    taskId,
    atMs: e.at,
    type: e.type,
    stage: e.stage,
    message: e.type,
    detail: e.detail,
  });

async function finishedRun(
  runs: AgentRunStore,
  o: {
    kind: string;
    taskId: number | null;
    startedAtMs: number;
    durationMs: number;
    cost: number | null;
    outcome?: 'success' | 'transient';
  },
) {
  const run = await runs.create({
    jobId: 1,
    taskId: o.taskId,
    attempt: 1,
    kind: o.kind,
    adapter: 'scripted',
    startedAtMs: o.startedAtMs,
  });
  const finish = {
    finishedAtMs: o.startedAtMs + o.durationMs,
    exitCode: 0,
    outcome: o.outcome ?? ('success' as const),
    isError: false,
    subtype: null,
    sessionId: null,
    costUsd: o.cost,
    inputTokens: 100,
    outputTokens: 10,
    killReason: null,
    error: null,
  };
  await runs.finish(run.id, finish);
  return { run, finish };
}

const total = (totals: MetricTotal[], series: string, ...labels: string[]) =>
  totals.find((t) => t.series === series && labels.every((l, i) => t.labels[i] === l))?.value;

describeEachDialect('metrics store reads', ({ current }) => {
  it('counts a finished agent run once in the all-time totals, with its cost and tokens', async () => {
    const { db } = current();
    const runs = new AgentRunStore(db);
    const { run, finish } = await finishedRun(runs, {
      kind: 'developer',
      taskId: null,
      startedAtMs: NOW,
      durationMs: 1000,
      cost: 0.25,
    });
    await finishedRun(runs, {
      kind: 'developer',
      taskId: null,
      startedAtMs: NOW,
      durationMs: 1,
      cost: null,
      outcome: 'transient',
    });
    // A second finish of the same run (a late writer) and a run still going count nothing.
    await runs.finish(run.id, { ...finish, costUsd: 99 });
    await runs.create({
      jobId: 2,
      taskId: null,
      attempt: 1,
      kind: 'developer',
      adapter: 'scripted',
      startedAtMs: NOW,
    });

    const totals = await new MetricsRepo(db).totals();
    expect(total(totals, 'agent_runs', 'developer', 'success')).toBe(1);
    expect(total(totals, 'agent_runs', 'developer', 'transient')).toBe(1);
    expect(total(totals, 'agent_cost_usd', 'developer')).toBeCloseTo(0.25);
    expect(total(totals, 'agent_tokens', 'developer', 'input')).toBe(200);
    expect(total(totals, 'agent_tokens', 'developer', 'output')).toBe(20);
  });

  it('counts rollbacks by the stage they left, gate results by stage, gate and verdict, and stored webhook deliveries', async () => {
    const { db } = current();
    const tasks = new TaskStore(db);
    const id = await insertTask(db, { id: 'P-1', stage: 'development', atMs: NOW });
    await event(tasks, db, id, {
      at: NOW,
      type: 'rollback',
      stage: 'development',
      detail: { from: 'review', gate: 'g' },
    });
    await event(tasks, db, id, { at: NOW, type: 'rollback', stage: 'analysis' });
    await event(tasks, db, id, { at: NOW, type: 'stage_changed', stage: 'review' });
    for (const passed of [true, false, false]) {
      await tasks.addGateResult(db, id, 'review', {
        gate: 'check_reviewer_verdict',
        passed,
        reason: 'r',
        evidence: null,
        evaluatedAtMs: NOW,
      });
    }
    const delivery = { source: 'gitea' as const, event: 'push', receivedAtMs: NOW, reason: null };
    await insertInboxRow(db, {
      ...delivery,
      deliveryKey: 'a',
      outcome: 'accepted',
      bodySha256: 'x',
    });
    await insertInboxRow(db, {
      ...delivery,
      deliveryKey: 'b',
      outcome: 'ignored',
      bodySha256: 'y',
    });
    // A duplicate is not stored, so not counted.
    expect(
      await insertInboxRow(db, {
        ...delivery,
        deliveryKey: 'a',
        outcome: 'accepted',
        bodySha256: 'z',
      }),
    ).toEqual({ kind: 'duplicate' });

    const totals = await new MetricsRepo(db).totals();
    expect(total(totals, 'rollbacks', 'review')).toBe(1);
    expect(total(totals, 'rollbacks', 'analysis')).toBe(1);
    expect(totals.filter((t) => t.series === 'rollbacks')).toHaveLength(2);
    expect(total(totals, 'gate_results', 'review', 'check_reviewer_verdict', 'pass')).toBe(1);
    expect(total(totals, 'gate_results', 'review', 'check_reviewer_verdict', 'fail')).toBe(2);
    expect(total(totals, 'webhook_deliveries', 'gitea', 'accepted')).toBe(1);
    expect(total(totals, 'webhook_deliveries', 'gitea', 'ignored')).toBe(1);
  });

  it('counts expired leases by kind in the expiry itself', async () => {
    const { db } = current();
    const clock = new ManualClock(NOW);
    const { queue, admin } = makeQueue(db, clock);
    for (const kind of ['b', 'a', 'a']) await queue.enqueue({ kind });
    expect(
      await queue.claim({ kinds: ['a', 'b'], max: 3, leaseMs: 1000, owner: 'w' }),
    ).toHaveLength(3);
    expect(await admin.expireLeases()).toHaveLength(0);
    clock.advance(5000);
    expect(await admin.expireLeases()).toHaveLength(3);
    const totals = await new MetricsRepo(db).totals();
    expect(total(totals, 'lease_expirations', 'a')).toBe(2);
    expect(total(totals, 'lease_expirations', 'b')).toBe(1);
  });

  it('reports stages, agents and cost over the window from the store', async () => {
    const { db } = current();
    const clock = new ManualClock(NOW);
    const tasks = new TaskStore(db);
    const runs = new AgentRunStore(db);
    const t0 = NOW - 2 * DAY_MS;
    // Item 1: created → analysis (10 s) → development (30 s) → review, rolled back, now in development.
    const one = await insertTask(db, {
      id: 'P-1',
      stage: 'development',
      atMs: NOW - 1000,
      enteredAtMs: NOW - 60_000,
    });
    await event(tasks, db, one, { at: t0, type: 'created', stage: 'created' });
    await event(tasks, db, one, { at: t0 + 10_000, type: 'stage_changed', stage: 'analysis' });
    await event(tasks, db, one, { at: t0 + 40_000, type: 'stage_changed', stage: 'development' });
    await event(tasks, db, one, { at: t0 + 50_000, type: 'stage_changed', stage: 'review' });
    await event(tasks, db, one, {
      at: t0 + 52_000,
      type: 'rollback',
      stage: 'development',
      detail: { from: 'review' },
    });
    // Item 2: blocked in review; its analysis took 20 s, long before the window (not counted).
    const old = NOW - 40 * DAY_MS;
    const two = await insertTask(db, {
      id: 'P-2',
      stage: 'review',
      state: 'blocked',
      atMs: NOW - 10,
      enteredAtMs: NOW - 5000,
    });
    await event(tasks, db, two, { at: old, type: 'created', stage: 'analysis' });
    await event(tasks, db, two, { at: old + 20_000, type: 'stage_changed', stage: 'review' });
    // Done items are no items of their stage.
    await insertTask(db, { id: 'P-3', stage: 'done', state: 'done', atMs: NOW });

    await finishedRun(runs, {
      kind: 'developer',
      taskId: one,
      startedAtMs: t0,
      durationMs: 10_000,
      cost: 0.5,
    });
    await finishedRun(runs, {
      kind: 'developer',
      taskId: one,
      startedAtMs: NOW - 1000,
      durationMs: 500,
      cost: 0.25,
    });
    await finishedRun(runs, {
      kind: 'reviewer',
      taskId: two,
      startedAtMs: t0,
      durationMs: 2000,
      cost: 1,
    });
    await finishedRun(runs, {
      kind: 'reviewer',
      taskId: two,
      startedAtMs: old,
      durationMs: 2000,
      cost: 7,
    });
    await runs.create({
      jobId: 9,
      taskId: one,
      attempt: 1,
      kind: 'developer',
      adapter: 'scripted',
      startedAtMs: NOW - 100,
    });

    const m = new StoreMetrics(db, clock, {
      stageOrder: () => ['created', 'analysis', 'development', 'review', 'done'],
    });
    const stages = await m.stages();
    expect(stages.map((s) => s.stage)).toEqual([
      'created',
      'analysis',
      'development',
      'review',
      'done',
    ]);
    const by = Object.fromEntries(stages.map((s) => [s.stage, s]));
    expect(by.development).toMatchObject({
      items: 1,
      states: { active: 1 },
      oldest_age_s: 60,
      time_in_stage_s: { count: 1, p50: 10, p95: 10 },
      rollbacks: 0,
    });
    expect(by.review).toMatchObject({
      items: 1,
      states: { blocked: 1 },
      oldest_age_s: 5,
      rollbacks: 1,
      time_in_stage_s: { count: 1, p50: 2 },
    });
    expect(by.analysis).toMatchObject({
      items: 0,
      oldest_age_s: null,
      time_in_stage_s: { count: 1, p50: 30 },
    });
    expect(by.done).toMatchObject({ items: 0, time_in_stage_s: { count: 0, p50: null } });

    const agents = await m.agents();
    expect(agents).toEqual([
      {
        kind: 'developer',
        runs: 3,
        running: 1,
        outcomes: { success: 2, permanent: 0, transient: 0, quota: 0, timeout: 0 },
        duration_s: { count: 2, p50: 0.5, p95: 10 },
        input_tokens: 200,
        output_tokens: 20,
        cost_usd: 0.75,
      },
      expect.objectContaining({ kind: 'reviewer', runs: 1, cost_usd: 1 }),
    ]);

    const cost = await m.cost();
    expect(cost).toEqual({
      window_days: METRICS_WINDOW.windowDays,
      total_usd: 1.75,
      input_tokens: 300,
      output_tokens: 30,
      by_day: [
        { date: '2026-03-08', cost_usd: 1.5, runs: 2 },
        { date: '2026-03-10', cost_usd: 0.25, runs: 1 },
      ],
      by_item: [
        { work_item_id: 'P-2', cost_usd: 1, runs: 1, input_tokens: 100, output_tokens: 10 },
        { work_item_id: 'P-1', cost_usd: 0.75, runs: 2, input_tokens: 200, output_tokens: 20 },
      ],
    });
  });

  it('reports empty blocks for an empty store', async () => {
    const m = new StoreMetrics(current().db, new ManualClock(NOW));
    expect(await m.stages()).toEqual([]);
    expect(await m.agents()).toEqual([]);
    expect(await m.cost()).toMatchObject({ total_usd: 0, by_day: [], by_item: [] });
    expect(await m.totals()).toEqual([]);
  });
});

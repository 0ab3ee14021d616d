import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { AgentRunner } from '../../src/agents/agent-runner.js';
import { AgentProfiles, agentsSectionSchema } from '../../src/agents/agents-config.js';
import type { Budget } from '../../src/config/budget.js';
import { agentBaseEnv } from '../../src/config/child-env.js';
import { parseEnv } from '../../src/config/env.js';
import { createProjectsConfig, projectSchema } from '../../src/config/projects.js';
import { silentLogger } from '../../src/log.js';
import { explainTask, type ExplainDeps } from '../../src/pipeline/explain.js';
import { INTAKE_HOLD_MS } from '../../src/pipeline/intake.js';
import { itemBudgetGate } from '../../src/pipeline/item-budget.js';
import { SerialGate } from '../../src/pipeline/serial-gate.js';
import { BreakerStore } from '../../src/queue/breaker-store.js';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import { SerialGateRepo } from '../../src/store/serial-gate/serial-gate-repo.js';
import { pipelineEnv } from '../helpers/pipeline-env.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { FAKE_CLAUDE } from './agent-harness.js';

/**
 * Budgets that stop spending (issue 18), on the real runner, queue, pipeline and local tracker;
 * the agent is the fake Claude CLI. Earlier spend is recorded as finished agent runs.
 */
describeEachDialect('budgets', ({ current }) => {
  async function setup(budget: { global?: Budget; project?: Budget }) {
    const { db } = current();
    const env = await pipelineEnv(db);
    const projects = createProjectsConfig([
      projectSchema.parse({ key: 'ET', repo: 'demo', budget: budget.project }),
    ]);
    const runs = new AgentRunStore(db);
    const breakers = new BreakerStore(db, env.clock, { threshold: 3, pauseMs: 300_000 });
    const section = agentsSectionSchema.parse({
      defaults: {
        adapter: 'claude-code',
        command: [process.execPath, FAKE_CLAUDE],
        killGraceS: 0.3,
        exitGraceS: 0.5,
        idleTimeoutS: 5,
        timeoutS: 20,
      },
    });
    const dataDir = join(mkdtempSync(join(tmpdir(), 'orch-budget-')), 'data');
    const runner = new AgentRunner({
      queue: env.queue,
      runs,
      breakers,
      profiles: new AgentProfiles(section, parseEnv({})),
      worktrees: env.worktrees,
      notifier: env.notifier,
      clock: env.clock,
      log: silentLogger,
      dataDir,
      leaseMs: 60_000,
      baseEnv: agentBaseEnv(),
      pollMs: 50,
      onJobEnded: (job) => env.pipeline.onJobEnded(job.id).then(() => undefined),
      budget:
        itemBudgetGate({ core: env.core, runs, global: budget.global, projects }) ?? undefined,
    });
    const { task, jobId } = await env.newItem();
    /** A finished earlier run of the item (or of no item) that cost `costUsd`. */
    const spent = async (costUsd: number, taskId: number | null = task.id) => {
      const nowMs = env.clock.now();
      const run = await runs.create({
        jobId: jobId!,
        taskId,
        attempt: 1,
        kind: 'analyst',
        adapter: 'claude-code',
        startedAtMs: nowMs,
      });
      await runs.finish(run.id, {
        finishedAtMs: nowMs,
        exitCode: 0,
        outcome: 'success',
        isError: false,
        subtype: 'success',
        sessionId: null,
        costUsd,
        inputTokens: null,
        outputTokens: null,
        killReason: null,
        error: null,
      });
    };
    const claim = () =>
      env.queue.claim({ kinds: ['analyst'], leaseMs: 60_000, owner: 'budget-test' });
    const explain = async () => {
      const deps: ExplainDeps = {
        tasks: env.tasks,
        projects: env.core.deps.projects,
        serialGate: new SerialGate(new SerialGateRepo(db)),
        breakers,
        admin: env.admin,
        runs,
        db,
        clock: env.clock,
        workers: { agentKinds: ['analyst'], handlerKinds: [], agentWorkerRunning: true },
      };
      return (await explainTask(deps, task.workItemId))!;
    };
    env.clock.set(Date.UTC(2026, 5, 1, 15, 0));
    return { env, runs, runner, task, jobId: jobId!, spent, claim, explain };
  }

  it('blocks an item over perItemUsd with the figures, never spawning its agent', async () => {
    const t = await setup({ global: { perItemUsd: 1 } });
    for (const cost of [0.4, 0.4, 0.4]) await t.spent(cost);
    t.env.clock.advance(INTAKE_HOLD_MS);
    const [job] = await t.claim();
    expect(await t.runner.start(job!).done).toEqual({ kind: 'failed' });

    expect(await t.runs.listForTask(t.task.id)).toHaveLength(3);
    const failed = (await t.env.queue.get(t.jobId))!;
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    const reason = 'budget exhausted: item spent $1.20 of $1.00';
    expect(await t.env.task(t.task.id)).toMatchObject({ state: 'blocked', lastError: reason });
    await t.env.effects();
    const comments = await t.env.tracker.listComments({
      projectId: 'ET',
      itemId: t.task.trackerItemId,
    });
    expect(comments.map((c) => c.body)).toContain(`⛔ Blocked: ${reason}`);
    expect(t.env.notifier.ofType('task_blocked').map((e) => e.message)).toContain(reason);
    expect((await t.explain()).reasons[0]).toMatchObject({ code: 'budget' });
  });

  it('puts a job back until the next UTC midnight once the day reached perDayUsd, attempt kept', async () => {
    const t = await setup({ global: { perDayUsd: 2 } });
    await t.spent(1.5, null);
    await t.spent(1.0);
    t.env.clock.advance(INTAKE_HOLD_MS);
    const [job] = await t.claim();
    const midnight = Date.UTC(2026, 5, 2);
    const message = 'daily budget reached ($2.50 of $2.00); waits until 2026-06-02T00:00:00.000Z';
    expect(await t.runner.start(job!).done).toEqual({ kind: 'requeued', availableAtMs: midnight });

    expect(await t.runs.listForTask(t.task.id)).toHaveLength(1);
    expect(await t.env.queue.get(t.jobId)).toMatchObject({
      status: 'queued',
      attempts: 0,
      availableAtMs: midnight,
    });
    const events = await t.env.tasks.events(t.task.id);
    expect(events.filter((e) => e.type === 'budget_wait').map((e) => e.message)).toEqual([message]);
    expect((await t.env.task(t.task.id)).state).toBe('active');
    expect((await t.explain()).reasons.map((r) => r.code)).toContain('budget');

    t.env.clock.set(midnight - 1);
    expect(await t.claim()).toEqual([]);
    t.env.clock.set(midnight);
    expect(await t.claim()).toMatchObject([{ id: t.jobId, attempts: 1 }]);
  });

  it('lets a project budget win over the global one and passes perRunUsd to Claude Code', async () => {
    const t = await setup({
      global: { perItemUsd: 1, perRunUsd: 2 },
      project: { perItemUsd: 5, perRunUsd: 0.25 },
    });
    await t.spent(1.2);
    t.env.clock.advance(INTAKE_HOLD_MS);
    const [job] = await t.claim();
    expect(await t.runner.start(job!).done).toEqual({ kind: 'completed' });
    const runs = await t.runs.listForTask(t.task.id);
    expect(runs).toHaveLength(2);
    const argv = runs.at(-1)!.argv;
    expect(
      argv.slice(argv.indexOf('--max-budget-usd'), argv.indexOf('--max-budget-usd') + 2),
    ).toEqual(['--max-budget-usd', '0.25']);
  });
});

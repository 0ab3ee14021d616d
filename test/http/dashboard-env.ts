import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { AgentRunStore } from '../../src/store/agent-runs/agent-run-store.js';
import { dashboardRoutes } from '../../src/http/dashboard-routes.js';
import type { HttpDeps } from '../../src/http/deps.js';
import { statusRoutes } from '../../src/http/routes/status.js';
import { buildServer } from '../../src/http/server.js';
import type { Budget } from '../../src/config/budget.js';
import { silentLogger } from '../../src/log.js';
import { explainTask, type ExplainDeps } from '../../src/pipeline/explain.js';
import { ProjectRegistry, type Project } from '../../src/pipeline/project.js';
import { SerialGate } from '../../src/pipeline/serial-gate.js';
import { BreakerStore } from '../../src/queue/breaker-store.js';
import { SerialGateRepo } from '../../src/store/serial-gate/serial-gate-repo.js';
import type { Db } from '../../src/store/db.js';
import { pipelineEnv } from '../helpers/pipeline-env.js';
import { ADMIN_TOKEN } from './http-helpers.js';

/** The dashboard's routes over a real pipeline (real git, local tracker and forge). */
export async function dashboardEnv(
  db: Db,
  overrides: Partial<HttpDeps> = {},
  pipelineOptions: Parameters<typeof pipelineEnv>[1] = {},
  dashboardOptions: { budget?: Budget; extraProjects?: (base: Project) => Project[] } = {},
) {
  const env = await pipelineEnv(db, pipelineOptions);
  const dataDir = join(env.root, 'data');
  mkdirSync(join(dataDir, 'runs'), { recursive: true });
  const projects = new ProjectRegistry([
    env.project,
    ...(dashboardOptions.extraProjects?.(env.project) ?? []),
  ]);
  const explainDeps: ExplainDeps = {
    tasks: env.tasks,
    projects,
    serialGate: new SerialGate(new SerialGateRepo(db)),
    breakers: new BreakerStore(db, env.clock, { threshold: 3, pauseMs: 300_000 }),
    admin: env.admin,
    runs: new AgentRunStore(db),
    db,
    clock: env.clock,
    workers: { agentKinds: ['analyst'], handlerKinds: [], agentWorkerRunning: true },
  };
  const budget = dashboardOptions.budget;
  const dashboard = dashboardRoutes(
    {
      db,
      tasks: env.tasks,
      admin: env.admin,
      projects,
      pipeline: env.pipeline,
      clock: env.clock,
      worktrees: env.worktrees,
      workspace: env.workspace,
      tracker: env.tracker,
      log: silentLogger,
    },
    {
      explain: (ref) => explainTask(explainDeps, ref),
      budget: { global: budget, of: () => budget ?? {} },
      events: { pollMs: 50 },
    },
  );
  const app = buildServer({
    db,
    queue: env.queue,
    admin: env.admin,
    clock: env.clock,
    dataDir,
    adminToken: ADMIN_TOKEN,
    leaseMs: 60_000,
    maxConcurrency: 2,
    pollIntervalMs: 2000,
    routes: [statusRoutes(env.tasks), ...dashboard.routes],
    adminRoutes: dashboard.adminRoutes,
    ...overrides,
  });
  const runs = new AgentRunStore(db);
  /** Records an agent run for a task with a log under the data dir. */
  const agentRun = async (
    taskId: number | null,
    o: { kind?: string; costUsd?: number | null; finished?: boolean; logPath?: string } = {},
  ) => {
    const run = await runs.create({
      jobId: 1,
      taskId,
      attempt: 1,
      kind: o.kind ?? 'analyst',
      adapter: 'scripted',
      startedAtMs: 1000,
    });
    const logPath = o.logPath ?? join(dataDir, 'runs', `${run.id}.log`);
    await runs.markStarted(run.id, { argv: ['x'], logPath, worktree: env.root, pid: 1 });
    if (o.finished !== false) await finish(run.id, o.costUsd ?? null);
    return { id: run.id, logPath };
  };
  const finish = (runId: number, costUsd: number | null = null) =>
    runs.finish(runId, {
      finishedAtMs: 4000,
      exitCode: 0,
      outcome: 'success',
      isError: false,
      subtype: 'success',
      sessionId: null,
      costUsd,
      inputTokens: 10,
      outputTokens: 20,
      killReason: null,
      error: null,
    });
  return { ...env, app, dataDir, runs, agentRun, finish };
}

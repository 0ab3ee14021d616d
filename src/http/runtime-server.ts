import { DEFAULT_LABEL_RULES } from '../pipeline/auto-labels.js';
import { serialGateSnapshot } from '../pipeline/serial-gate.js';
import { taskDepsSnapshot } from '../pipeline/task-deps.js';
import { serialGateRoutes } from './routes/serial-gate.js';
import { coverageRoutes } from './routes/coverage.js';
import {
  readAutoLabelStats,
  readMergeVerifyStats,
  readPostDeployStats,
  readStopStats,
  readTrackCounts,
} from '../store/flow-stats.js';
import { bugFastTrackBlock } from '../pipeline/bug-fast-track.js';
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { runtimeMetricsSources } from './runtime-metrics.js';
import { httpConfig, type HttpLimits, type HttpRoutes, type StatusBlock } from './deps.js';
import { LessonStore } from '../store/lessons/lesson-store.js';
import { escalateRoutes } from './routes/escalate.js';
import { explainRoutes } from './routes/explain.js';
import { explainTask, runtimeExplainDeps } from '../pipeline/explain.js';
import { AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import { lessonRoutes } from './routes/lessons.js';
import { statusRoutes } from './routes/status.js';
import { webhookRoutes } from './routes/webhooks.js';
import { buildServer } from './server.js';

/**
 * The HTTP server of a running Orch: `buildServer` fed from the runtime, with the pipeline's
 * routes and `/queue` blocks. Never listens (the serve command does).
 */
export function serverForRuntime(
  rt: Runtime,
  extra: {
    routes?: HttpRoutes[];
    adminRoutes?: HttpRoutes[];
    statusBlocks?: Record<string, StatusBlock>;
    limits?: HttpLimits;
    /** Replaces the allowlist from config (e.g. `orch serve --host` binds elsewhere). */
    allowedHosts?: readonly string[];
    /** Whether this process runs its agent worker (`orch explain`); absent = unknown. */
    agentWorker?: boolean;
  } = {},
): FastifyInstance {
  const explainDeps = runtimeExplainDeps(
    { ...rt, runs: new AgentRunStore(rt.db) },
    extra.agentWorker ?? null,
  );
  const dashboard = dashboardRoutes(rt, {
    explain: (ref) => explainTask(explainDeps, ref),
    budget: rt.budget,
  });
  return buildServer({
    ...httpConfig(rt.config),
    db: rt.db,
    queue: rt.queue,
    admin: rt.admin,
    clock: rt.clock,
    logger: rt.log,
    ...(extra.limits && { limits: extra.limits }),
    agentRoles: [
      ...rt.worker.status().kinds,
      ...rt.webhookHandlers.kinds,
      ...rt.recheckHandlers.kinds,
    ],
    mask: rt.mask,
    ...(extra.allowedHosts && { allowedHosts: extra.allowedHosts }),
    // Read from the store on every request; claims counted by the runtime's pools (source local).
    metricsSources: runtimeMetricsSources(rt),
    metrics: rt.metrics,
    routes: [
      statusRoutes(rt.tasks),
      // Webhooks parse their own raw bodies (HMAC over the exact bytes), in their own scope.
      (app) => void app.register(webhookRoutes(rt.webhookIntake)),
      ...dashboard.routes,
      explainRoutes((ref) => explainTask(explainDeps, ref)),
      ...(extra.routes ?? []),
    ],
    adminRoutes: [
      ...dashboard.adminRoutes,
      lessonRoutes(
        new LessonStore(rt.db, rt.clock, { defaultLimit: rt.config.env.ORCH_LESSONS_QUERY_LIMIT }),
        rt.config.env.ORCH_LESSONS_ENABLED,
      ),
      escalateRoutes(rt.pipeline),
      serialGateRoutes(rt),
      coverageRoutes(rt.coverage, rt.clock, rt.projects),
      ...(extra.adminRoutes ?? []),
    ],
    statusBlocks: {
      worker: () => rt.worker.status(),
      concurrency: () => rt.worker.concurrency(),
      handlers: () => ({
        webhooks: rt.webhookHandlers.status(),
        rechecks: rt.recheckHandlers.status(),
      }),
      resilience: async () => ({ breakers: await rt.breakers.list() }),
      reaper: () => rt.recovery.reaper.status(),
      reconciler: () => rt.recovery.reconciler.status(),
      outbox: () => rt.outbox.status(),
      auto_labels: async () => ({
        enabled: rt.labelPolicy.enabled,
        repos: rt.labelPolicy.repos.length > 0 ? rt.labelPolicy.repos : 'all',
        projects: Object.fromEntries(
          rt.projects.all().map((p) => [p.key, p.labels ?? DEFAULT_LABEL_RULES]),
        ),
        ...(await readAutoLabelStats(rt.db)),
      }),
      serial_gate: () => serialGateSnapshot(rt.serialGate, rt.db, rt.projects.all()),
      task_deps: () => taskDepsSnapshot(rt.pipeline),
      coverage: async () => ({
        enabled: rt.config.env.ORCH_COVERAGE_ENABLED,
        projects: Object.fromEntries(
          rt.projects.all().flatMap((p) => (p.coverage ? [[p.key, p.coverage]] : [])),
        ),
        baselines: await rt.coverage.baselines(),
        latest: await rt.coverage.latestByRepo(),
      }),
      stop: async () => ({
        enabled: rt.stopPolicy.enabled,
        repos: rt.stopPolicy.repos.length > 0 ? rt.stopPolicy.repos : 'all',
        ...(await readStopStats(rt.db)),
      }),
      worktrees: () => rt.worktreeGc.status(),
      workflow: () => rt.workflows.block(),
      disk_monitor: () => rt.diskMonitor.status(),
      fs_ownership: () => rt.ownership(),
      merge_verify: () => readMergeVerifyStats(rt.db),
      bug_fast_track: async () => {
        const { counts, escalated } = await readTrackCounts(rt.db);
        const pipelines = new Map(rt.projects.all().map((p) => [p.key, p.pipeline]));
        return bugFastTrackBlock(counts, escalated, pipelines);
      },
      lessons: async () => ({
        enabled: rt.config.env.ORCH_LESSONS_ENABLED,
        dedup_window_s: rt.config.env.ORCH_LESSONS_DEDUP_WINDOW_S,
        query_limit: rt.config.env.ORCH_LESSONS_QUERY_LIMIT,
        ...(await new LessonStore(rt.db, rt.clock).summary()),
      }),
      post_deploy: async () => ({
        enabled: rt.config.env.ORCH_POST_DEPLOY_ENABLED,
        projects: Object.fromEntries(
          rt.projects.all().flatMap((p) =>
            p.postDeploy
              ? [
                  [
                    p.key,
                    {
                      url: rt.mask(p.postDeploy.health.url),
                      checks: p.postDeploy.checks,
                      windowS: p.postDeploy.windowMs / 1000,
                      maxFailures: p.postDeploy.maxFailures,
                      autoRollback: p.postDeploy.autoRollback && p.selfHosted !== true,
                    },
                  ],
                ]
              : [],
          ),
        ),
        ...(await readPostDeployStats(rt.db)),
      }),
      merge_leases: async () => ({
        reclaim_enabled: rt.recovery.settings.leaseReclaimEnabled,
        leases: await rt.recovery.leases.list(),
      }),
      ...extra.statusBlocks,
    },
  });
}

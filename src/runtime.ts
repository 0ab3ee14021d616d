import { SerialGate } from './pipeline/serial-gate.js';
import { SerialGateRepo } from './store/serial-gate/serial-gate-repo.js';
import { CoverageRepo } from './store/coverage/coverage-repo.js';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AgentRunStore } from './store/agent-runs/agent-run-store.js';
import { AgentRunner } from './agents/agent-runner.js';
import { AgentProfiles } from './agents/agents-config.js';
import { Preflight } from './agents/preflight.js';
import { WorktreeManager } from './agents/worktrees.js';
import { systemClock, type Clock } from './clock.js';
import { agentBaseEnv } from './config/child-env.js';
import { secretMasker, secretValues } from './config/secret-masker.js';
import type { ConfigFile } from './config/config-file.js';
import type { Config } from './config/config.js';
import { leasedMergeGate, type MergeLock } from './gates/merge/merge-gate.js';
import { DEFAULT_GATES, GateRegistry } from './gates/registry.js';
import { LocalForge } from './integrations/forge/local-forge.js';
import { LogNotifier, maskingNotifier, type Notifier } from './integrations/notify/notifier.js';
import { LocalTracker } from './integrations/tracker/local-tracker.js';
import type { Logger } from './log.js';
import { pipelineOnFinished } from './pipeline/agent-hook.js';
import { CoreEngine, RECHECK_JOB_KIND } from './pipeline/engine.js';
import { recheck } from './pipeline/recheck.js';
import { GitWorkspace } from './pipeline/git-workspace.js';
import type { AutoLabelPolicy } from './pipeline/auto-labels.js';
import type { StopPolicy } from './pipeline/stop.js';
import { parseRepoList } from './config/repo-list.js';
import { Pipeline } from './pipeline/pipeline.js';
import type { Project } from './pipeline/project.js';
import { ProjectRegistry } from './pipeline/project.js';
import { TaskStore } from './store/tasks/task-store.js';
import { BreakerStore } from './queue/breaker-store.js';
import { JobQueue } from './queue/job-queue.js';
import type { Job } from './queue/job.js';
import { QueueAdmin } from './queue/queue-admin.js';
import { Worker } from './queue/worker.js';
import type { Db } from './store/db.js';
import { migrate } from './store/migrate.js';
import { openDb } from './store/open-db.js';
import { assertGatesKnown, buildProjects } from './pipeline/build-projects.js';
import { integrationSettings } from './config/integrations.js';
import { parseProjects } from './config/projects.js';
import { securityGateConfigFromEnv } from './gates/security/index.js';
import { securityGate } from './gates/security-gate-adapter.js';
import { GiteaClient } from './integrations/gitea/gitea-client.js';
import { integrationRetry } from './integrations/http/integration-error.js';
import { PlaneClient } from './integrations/plane/plane-client.js';
import { TelegramNotifier } from './integrations/telegram/telegram-notifier.js';
import { isWebhookJobPayload, WEBHOOK_JOB_KINDS } from './integrations/webhooks/webhook-event.js';
import { WebhookIntake } from './integrations/webhooks/webhook-intake.js';
import { WebhookHandler } from './pipeline/webhook-handler.js';
import { HandlerWorker } from './queue/handler-worker.js';
import { stopAll } from './stop-all.js';
import { OrchError } from './errors.js';
import { createRecovery } from './recovery/recovery.js';
import { recoverySettings } from './recovery/recovery-settings.js';
import { OutboxStore } from './store/outbox/outbox-store.js';
import { OutboxWorker } from './outbox/outbox-worker.js';
import { DEFAULT_OUTBOX_RETRY } from './outbox/outbox-retry.js';
import { effectDeliverer } from './pipeline/effects.js';

export interface RuntimeOptions {
  config: Config;
  configFile: ConfigFile;
  log: Logger;
  clock?: Clock;
  notifier?: Notifier;
  /** Projects built by the caller (the demo); otherwise from `projects:` in the config file. */
  projects?: (parts: { db: Db; forge: LocalForge; tracker: LocalTracker }) => Project[];
  /** Accept unsigned webhook deliveries when no secret is configured (local development). */
  allowUnsignedWebhooks?: boolean;
}

/**
 * The one composition root: store → integrations → queue → agents → gates → pipeline → worker.
 * Plain constructor calls in dependency order; nothing here starts a timer until `start()`.
 */
export async function createRuntime(o: RuntimeOptions) {
  const clock = o.clock ?? systemClock;
  const { config, log } = o;
  const db = openDb(config.dbUrl);
  try {
    await migrate(db, { nowMs: clock.now() });
  } catch (err) {
    await db.close();
    throw err;
  }
  const integrations = integrationSettings(config.env);
  const projectsConfig = parseProjects((o.configFile as Record<string, unknown>).projects);
  // One masker for the process: every text that may quote captured output (gate evidence, job
  // and run errors, last_error, the timeline, outbox effects, notifications, served logs, the
  // security report) is stored or sent without Orch's secrets.
  const mask = secretMasker(secretValues({ ...config.env, ORCH_DB_URL: config.dbUrl }));
  const rawNotifier =
    o.notifier ??
    (integrations.telegram.botToken
      ? new TelegramNotifier({
          token: integrations.telegram.botToken,
          chatId: integrations.telegram.chatId,
          apiUrl: integrations.telegram.apiUrl,
          clock,
          log,
        })
      : new LogNotifier(log));
  const notifier = maskingNotifier(rawNotifier, mask);
  const forge = new LocalForge(db, join(config.dataDir, 'forge'), clock);
  const tracker = new LocalTracker(db, clock);
  const plane = integrations.plane
    ? new PlaneClient({
        baseUrl: integrations.plane.url,
        apiToken: integrations.plane.apiToken,
        clock,
        projects: projectsConfig,
        botUserId: integrations.plane.botUserId,
      })
    : null;
  const gitea = integrations.gitea
    ? new GiteaClient({
        baseUrl: integrations.gitea.url,
        token: integrations.gitea.token,
        gitUrl: integrations.gitea.gitUrl,
        projects: projectsConfig,
      })
    : null;
  const queue = new JobQueue(db, {
    clock,
    retry: config.queue.retry,
    defaultMaxAttempts: config.queue.defaultMaxAttempts,
    pollIntervalMs: config.queue.pollIntervalMs,
    mask,
  });
  const admin = new QueueAdmin(queue);
  const projects = new ProjectRegistry(
    o.projects
      ? o.projects({ db, forge, tracker })
      : buildProjects(projectsConfig, { localForge: forge, localTracker: tracker, plane, gitea }),
  );

  const reposDir = config.env.ORCH_REPOS_DIR ?? join(config.dataDir, 'repos');
  const worktreesDir = config.env.ORCH_WORKTREES_DIR ?? join(config.dataDir, 'worktrees');
  const worktrees = new WorktreeManager({ reposDir, worktreesDir });
  const workspace = new GitWorkspace(worktrees);
  const gates = new GateRegistry(DEFAULT_GATES, { mask });
  const recoveryConfig = recoverySettings(config.env, log);
  // The merge lease lives in recovery (created below, after the pipeline it needs); the gate
  // only calls it at evaluation time.
  const mergeLock: MergeLock = {
    acquire: (input) => recovery.leases.acquire(input),
    release: (repo, holder) => recovery.leases.release(repo, holder),
  };
  gates.register(
    'merge_gate',
    leasedMergeGate(mergeLock, {
      ttlMs: recoveryConfig.mergeLockTtlMs,
      deferMs: config.env.ORCH_MERGE_DEFER_DELAY_S * 1000,
    }),
  );
  gates.register(
    'security_gate',
    securityGate(securityGateConfigFromEnv(config.env, process.env.PATH ?? ''), {
      clock,
      log,
      notifier,
      mask,
    }),
  );
  assertGatesKnown(projects.all(), (g) => gates.has(g));
  const tasks = new TaskStore(db, { mask });
  const outbox = new OutboxWorker({
    store: new OutboxStore(db, { mask }),
    deliver: effectDeliverer({ projects, notifier, log }),
    clock,
    log,
    enabled: () => config.env.ORCH_OUTBOX_ENABLED,
    retry: { ...DEFAULT_OUTBOX_RETRY, maxAttempts: config.env.ORCH_OUTBOX_MAX_ATTEMPTS },
  });
  const labelPolicy: AutoLabelPolicy = {
    enabled: config.env.ORCH_AUTO_LABELS_ENABLED,
    repos: parseRepoList(config.env.ORCH_AUTO_LABELS_REPOS),
  };
  const serialGate = new SerialGate(new SerialGateRepo(db), {
    enabled: config.env.ORCH_SERIAL_GATE_ENABLED,
    deps: config.env.ORCH_TASK_DEPS_ENABLED,
  });
  const coverage = new CoverageRepo(db);
  const core = new CoreEngine({
    db,
    queue,
    tasks,
    gates,
    projects,
    workspace,
    outbox,
    log,
    clock,
    maxDefers: config.env.ORCH_MERGE_DEFER_MAX_ATTEMPTS,
    labelPolicy,
    serialGate,
    coverage: { repo: coverage, enabled: config.env.ORCH_COVERAGE_ENABLED },
  });
  const stopPolicy: StopPolicy = {
    enabled: config.env.ORCH_STOP_ENABLED,
    repos: parseRepoList(config.env.ORCH_STOP_REPOS),
  };
  const pipeline = new Pipeline(core, admin, { stop: stopPolicy });

  const baseEnv = agentBaseEnv();
  const profiles = new AgentProfiles(o.configFile.agents, config.env, log);
  const breakers = new BreakerStore(db, clock, {
    threshold: config.env.ORCH_BREAKER_THRESHOLD,
    pauseMs: config.env.ORCH_BREAKER_PAUSE_SECONDS * 1000,
  });
  const runner = new AgentRunner({
    queue,
    runs: new AgentRunStore(db, { mask }),
    breakers,
    profiles,
    worktrees,
    notifier,
    clock,
    log,
    dataDir: config.dataDir,
    leaseMs: config.queue.leaseMs,
    baseEnv,
    allowRepo: (repo) => projects.all().some((p) => p.forge.cloneUrl(p.repo) === repo),
    // A sandboxed agent sees none of these (its own worktree and git dir are bound back in).
    sandboxHiddenDirs: [config.dataDir, reposDir, worktreesDir, ...sqliteDir(config.dbUrl)],
    onFinished: pipelineOnFinished(pipeline, workspace, log),
    onJobEnded: (job) => pipeline.onJobEnded(job.id).then(() => undefined),
  });
  const owner = `${hostname()}:${process.pid}`;
  const webhookIntake = new WebhookIntake({
    queue,
    clock,
    log,
    projects: projectsConfig,
    secrets: integrations.webhookSecrets,
    allowUnsigned: o.allowUnsignedWebhooks ?? false,
    bot: {
      planeUserId: integrations.plane?.botUserId,
      giteaUsername: integrations.gitea?.botUsername,
    },
  });
  const webhookHandler = new WebhookHandler(pipeline, workspace, log);
  const handleWebhook = async (job: { payload: unknown }) => {
    if (!isWebhookJobPayload(job.payload))
      throw new OrchError('WEBHOOK_PAYLOAD_INVALID', 'not a webhook job payload');
    return webhookHandler.handle(job.payload);
  };
  const handlerBase = {
    queue,
    log,
    owner,
    onJobEnded: (job: Job) => pipeline.onJobEnded(job.id).then(() => undefined),
    classify: (err: unknown) => {
      const r = integrationRetry(err);
      return r.retryable
        ? { kind: 'transient' as const, retryAfterMs: r.retryAfterMs }
        : { kind: 'permanent' as const };
    },
    leaseMs: config.queue.leaseMs,
    pollIntervalMs: config.queue.pollIntervalMs,
  };
  // Two pools: a recheck (security gate, merge re-test) may run for minutes and must never hold
  // up webhook deliveries, which are short and wait in their own pool.
  const webhookHandlers = new HandlerWorker({
    ...handlerBase,
    name: 'webhooks',
    concurrency: config.env.ORCH_WEBHOOK_CONCURRENCY,
    handlers: {
      [WEBHOOK_JOB_KINDS.plane]: handleWebhook,
      [WEBHOOK_JOB_KINDS.gitea]: handleWebhook,
    },
  });
  const recheckHandlers = new HandlerWorker({
    ...handlerBase,
    name: 'rechecks',
    concurrency: config.env.ORCH_RECHECK_CONCURRENCY,
    handlers: { [RECHECK_JOB_KIND]: (job) => recheck(pipeline, job.payload) },
  });
  const worker = new Worker({
    queue,
    breakers,
    launcher: runner,
    preflight: new Preflight({
      clock,
      ttlMs: config.env.ORCH_PREFLIGHT_CACHE_TTL * 1000,
      env: baseEnv,
    }),
    clock,
    log,
    owner,
    kinds: profiles.kinds(),
    maxConcurrency: config.queue.maxConcurrency,
    leaseMs: config.queue.leaseMs,
    pollIntervalMs: config.queue.pollIntervalMs,
    preflightGraceMs: config.env.ORCH_PREFLIGHT_GRACE_SECONDS * 1000,
    onUnrunnable: async (kind, reason) => {
      const why = `${reason} (preflight failing for over ${config.env.ORCH_PREFLIGHT_GRACE_SECONDS} s)`;
      for (const job of await admin.failQueuedKind(kind, why)) await pipeline.onJobEnded(job.id);
    },
  });

  const recovery = createRecovery({
    db,
    queue,
    admin,
    tasks,
    pipeline,
    workspace,
    notifier,
    outbox,
    clock,
    log,
    settings: recoveryConfig,
    dataDir: config.dataDir,
    host: hostname(),
    owner,
    heldLocally: (jobId) => worker.holds(jobId),
  });

  return {
    config,
    db,
    clock,
    log,
    queue,
    admin,
    forge,
    tracker,
    projects,
    tasks,
    core,
    pipeline,
    workspace,
    breakers,
    runner,
    worker,
    webhookHandlers,
    recheckHandlers,
    webhookIntake,
    owner,
    notifier,
    outbox,
    recovery,
    mask,
    stopPolicy,
    labelPolicy,
    serialGate,
    coverage,
    /**
     * Startup recovery (system-inventory §7; migrations ran in createRuntime): orphan agent runs →
     * running jobs whose executor is gone → expired leases → merge-lease reclaim → run-log
     * rotation; then the daemons: outbox (first: it delivers what a crash left undelivered),
     * worker, handler pools (webhooks, rechecks), reconciler, reaper last. `daemons: false` (tests)
     * leaves the reconciler and the reaper to the test (`runOnce()`); the outbox always runs.
     */
    async start(options: { worker?: boolean; daemons?: boolean } = {}) {
      await queue.start();
      const report = await recovery.startup.run();
      const found =
        report.orphanRuns.length +
        report.requeued.length +
        report.failed.length +
        report.cancelled.length +
        report.finished.length;
      if (found + report.expired.length + report.leasesReclaimed.length > 0)
        log.warn({ report }, 'startup recovery');
      // Jobs that recovery failed for good: their work items go to Blocked, like the runner's.
      for (const id of [...report.failed, ...report.cancelled, ...report.expired])
        await pipeline.onJobEnded(id);
      outbox.start();
      if (options.worker !== false) worker.start();
      webhookHandlers.start();
      recheckHandlers.start();
      if (options.daemons !== false) {
        recovery.reconciler.start();
        recovery.reaper.start();
        recovery.history.start();
      }
      return report;
    },
    /**
     * Stops claiming first (agent worker and both handler pools, at once), then drains what runs
     * for up to `drainMs`, then the daemons (reaper, reconciler, outbox: its last pass delivers
     * what the drained work committed), then the store. Every step runs
     * even when an earlier one failed; the first failure is thrown at the end.
     */
    async stop(options: { drainMs?: number } = {}): Promise<void> {
      const drainMs = options.drainMs ?? 0;
      await stopAll(
        [
          {
            // Each stop() stops its claims synchronously before it awaits anything.
            name: 'claimers',
            run: () =>
              settleAll([
                worker.stop({ drainMs }),
                webhookHandlers.stop({ drainMs }),
                recheckHandlers.stop({ drainMs }),
              ]),
          },
          { name: 'reaper', run: () => recovery.reaper.stop() },
          { name: 'reconciler', run: () => recovery.reconciler.stop() },
          { name: 'job history', run: () => recovery.history.stop() },
          { name: 'outbox', run: () => outbox.stop() },
          { name: 'queue', run: () => queue.close() },
          { name: 'db', run: () => db.close() },
        ],
        log,
      );
    },
  };
}

/** Waits for every promise; rejects with the first rejection once all have settled. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The directory of a SQLite database file (hidden from sandboxed agents); none for PostgreSQL. */
function sqliteDir(dbUrl: string): string[] {
  const path = dbUrl.startsWith('sqlite:') ? dbUrl.slice('sqlite:'.length) : '';
  return path === '' || path === ':memory:'
    ? []
    : [dirname(resolve(path.replace(/^\/\/(?=\/)/, '')))];
}

export type Runtime = Awaited<ReturnType<typeof createRuntime>>;

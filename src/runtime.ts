// Over 400 lines: this is the composition root, where every store, gate, daemon and loop is
// built and wired in start order (reading it top to bottom is reading the start-up sequence).
// The gates (runtime-gates.ts) and the housekeeping daemons (runtime-housekeeping.ts) are built
// in their own files; the workspace wiring (hooks, worktrees, workflow registry, forge sync)
// into runtime-workspaces.ts is the next planned split.
import { freezeRepo, SerialGate } from './pipeline/serial-gate.js';
import { SerialGateRepo } from './store/serial-gate/serial-gate-repo.js';
import { CoverageRepo } from './store/coverage/coverage-repo.js';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { AgentRunStore } from './store/agent-runs/agent-run-store.js';
import { AgentRunner } from './agents/agent-runner.js';
import { AgentProfiles } from './agents/agents-config.js';
import { Preflight } from './agents/preflight.js';
import { WorktreeManager } from './agents/worktrees.js';
import { createWorkspaceHooks } from './agents/workspace-hooks.js';
import { postUsage } from './pipeline/usage-comment.js';
import { safeNotify } from './integrations/notify/notifier.js';
import { systemClock, type Clock } from './clock.js';
import { agentBaseEnv, childBaseEnv } from './config/child-env.js';
import { pemSecretLines, secretMasker, secretValues } from './config/secret-masker.js';
import type { ConfigFile } from './config/config-file.js';
import type { Config } from './config/config.js';
import { mergeLeaseRepo, type MergeLock } from './gates/merge/merge-gate.js';
import { createGates } from './runtime-gates.js';
import { createHousekeeping } from './runtime-housekeeping.js';
import { LocalForge } from './integrations/forge/local-forge.js';
import { LogNotifier, maskingNotifier, type Notifier } from './integrations/notify/notifier.js';
import { LocalTracker } from './integrations/tracker/local-tracker.js';
import type { Logger } from './log.js';
import { pipelineOnFinished } from './pipeline/agent-hook.js';
import { CoreEngine, RECHECK_JOB_KIND } from './pipeline/engine.js';
import { recheck } from './pipeline/recheck.js';
import { POST_DEPLOY_JOB_KIND, postDeployCheck } from './pipeline/post-deploy.js';
import { LessonStore } from './store/lessons/lesson-store.js';
import { lessonObserver } from './pipeline/lesson-detectors.js';
import { GitWorkspace } from './pipeline/git-workspace.js';
import type { AutoLabelPolicy } from './pipeline/auto-labels.js';
import type { StopPolicy } from './pipeline/stop.js';
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
import { parseRepoList } from './config/repo-list.js';
import { itemBudgetGate, projectBudget } from './pipeline/item-budget.js';
import { finishSelfDeploys } from './pipeline/self-deploy-startup.js';
import { GiteaClient } from './integrations/gitea/gitea-client.js';
import { githubParts, learnGithubBotLogin } from './integrations/github/github-parts.js';
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
import { syncForgeBaseLogged } from './pipeline/forge-sync.js';
import { pushBackDeliverer } from './pipeline/push-back.js';
import { gitWorkflowReader, WorkflowRegistry } from './pipeline/workflow-registry.js';
import { agentProfileOf, hooksByRepo, projectCaps } from './pipeline/workflow-overrides.js';
import { OrchMetrics } from './http/metrics.js';

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
  const mask = secretMasker([
    ...secretValues({ ...config.env, ORCH_DB_URL: config.dbUrl }),
    // A GitHub App key read from ORCH_GITHUB_APP_PRIVATE_KEY_FILE is in no env value.
    ...(integrations.github?.auth.kind === 'app'
      ? pemSecretLines(integrations.github.auth.privateKeyPem)
      : []),
  ]);
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
        botUsername: integrations.gitea.botUsername,
      })
    : null;
  const github = githubParts(integrations.github, {
    clock,
    log,
    gitUrl: config.env.ORCH_GITHUB_GIT_URL,
  });
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
      : buildProjects(projectsConfig, {
          localForge: forge,
          localTracker: tracker,
          plane,
          gitea,
          github,
        }),
  );

  const reposDir = config.env.ORCH_REPOS_DIR ?? join(config.dataDir, 'repos');
  const worktreesDir = config.env.ORCH_WORKTREES_DIR ?? join(config.dataDir, 'worktrees');
  // Workspace hooks of the project whose clone URL a worktree is made from (none for the demo's):
  // its workflow file's `hooks:` section, else `projects[].hooks` (`workflows` is created below,
  // from these worktrees; hooks only run once the runtime has started).
  const hooks = createWorkspaceHooks({
    forRepo: hooksByRepo({
      projectOf: (repo) => projects.all().find((p) => p.forge.cloneUrl(p.repo) === repo)?.key,
      projectHooks: (key) => projectsConfig.byKey(key)?.hooks,
      workflows: { current: (key) => workflows.current(key) },
    }),
    env: childBaseEnv(),
    mask,
    log,
  });
  const worktrees = new WorktreeManager({ reposDir, worktreesDir, hooks });
  const workspace = new GitWorkspace(worktrees);
  // Each project's `.orch/workflow.md` on its base branch, read through the same clones.
  const readWorkflow = gitWorkflowReader(worktrees);
  const workflows = new WorkflowRegistry({
    sources: () =>
      projects.all().map((p) => ({
        key: p.key,
        cloneUrl: p.forge.cloneUrl(p.repo),
        baseBranch: p.baseBranch,
      })),
    // A local forge's base branch first follows the user's repository (`forge.pushTo`,
    // fast-forward only), so a workflow file committed there is seen.
    read: async (source) => {
      const p = projects.all().find((q) => q.key === source.key);
      if (p?.pushTo !== undefined)
        await syncForgeBaseLogged(
          {
            forgeRepo: source.cloneUrl,
            from: p.pushTo,
            baseBranch: source.baseBranch,
            project: p.key,
          },
          log,
        );
      return readWorkflow(source);
    },
    // `agents:` may name only configured profiles (`profiles` is created below; read per pass).
    profiles: () => profiles.kinds(),
    gates: (name) => gates.has(name),
    clock,
    log,
    intervalMs: config.env.ORCH_WORKFLOW_REFRESH_MS,
  });
  const recoveryConfig = recoverySettings(config.env, log);
  // The merge lease lives in recovery (created below, after the pipeline it needs); the gate
  // only calls it at evaluation time.
  const mergeLock: MergeLock = {
    acquire: (input) => recovery.leases.acquire(input),
    release: (repo, holder) => recovery.leases.release(repo, holder),
  };
  const { gates, selfDeploy } = createGates({
    config,
    mergeLock,
    mergeLockTtlMs: recoveryConfig.mergeLockTtlMs,
    notifier,
    mask,
    clock,
    log,
  });
  assertGatesKnown(projects.all(), (g) => gates.has(g));
  const tasks = new TaskStore(db, { mask });
  const { diskMonitor, worktreeGc, checkFsOwnership, ownership } = createHousekeeping({
    config,
    reposDir,
    worktreesDir,
    worktrees,
    tasks,
    projects,
    notifier,
    clock,
    log,
  });
  const outbox = new OutboxWorker({
    store: new OutboxStore(db, { mask }),
    deliver: effectDeliverer({
      projects,
      notifier,
      log,
      // A done item's merged base branch goes back to `forge.pushTo`; the outcome is on its
      // timeline (`core` is created below, after the outbox it writes to).
      pushBack: pushBackDeliverer({
        forgeRepo: (repo) => forge.cloneUrl(repo),
        record: async (taskId, event): Promise<void> =>
          core.record(await tasks.mustGet(taskId), event),
        log,
      }),
    }),
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
  const lessons = new LessonStore(db, clock);
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
    // A merge lease freed before the deferral was written woke nobody: the re-check runs now.
    isFree: async (waitsFor) => {
      const repo = mergeLeaseRepo(waitsFor);
      return repo !== null && !(await recovery.leases.isHeld(repo));
    },
    labelPolicy,
    serialGate,
    coverage: { repo: coverage, enabled: config.env.ORCH_COVERAGE_ENABLED },
    postDeploy: { enabled: config.env.ORCH_POST_DEPLOY_ENABLED },
    workflows,
    ...(config.env.ORCH_LESSONS_ENABLED && {
      observe: lessonObserver({
        lessons,
        dedupWindowMs: config.env.ORCH_LESSONS_DEDUP_WINDOW_S * 1000,
        log,
      }),
    }),
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
  const runs = new AgentRunStore(db, { mask });
  const runner = new AgentRunner({
    queue,
    runs,
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
    onRunFinished: (run) =>
      postUsage({ core, runs, enabled: config.env.ORCH_USAGE_COMMENTS_ENABLED }, run).then(
        () => undefined,
      ),
    onJobEnded: (job) => pipeline.onJobEnded(job.id).then(() => undefined),
    // A workflow file's `agents:` picks the profile per role for its project's items.
    profileOf: agentProfileOf({
      projectOf: async (taskId) => (await tasks.get(taskId))?.projectKey ?? null,
      workflows,
    }),
    budget:
      itemBudgetGate({
        core,
        runs,
        global: o.configFile.budget,
        projects: projectsConfig,
        workflows,
      }) ?? undefined,
  });
  const owner = `${hostname()}:${process.pid}`;
  // The process's Prometheus registry, shared with the HTTP server: the pools count local claims.
  const metrics = new OrchMetrics();
  const countClaims = (jobs: readonly Job[]) => metrics.recordClaims(jobs, 'local');
  const webhookBot = {
    planeUserId: integrations.plane?.botUserId,
    giteaUsername: integrations.gitea?.botUsername,
    githubLogin: integrations.github?.botLogin,
  };
  const webhookIntake = new WebhookIntake({
    queue,
    clock,
    log,
    projects: projectsConfig,
    secrets: integrations.webhookSecrets,
    allowUnsigned: o.allowUnsignedWebhooks ?? false,
    bot: webhookBot,
  });
  const webhookHandler = new WebhookHandler(pipeline, workspace, log, {
    ciStatusEvents: () => config.env.ORCH_CI_STATUS_EVENTS_ENABLED,
  });
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
    onClaimed: countClaims,
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
      [WEBHOOK_JOB_KINDS.github]: handleWebhook,
    },
  });
  const postDeployDeps = {
    core,
    enabled: config.env.ORCH_POST_DEPLOY_ENABLED,
    selfHosted: (p: Project) => p.selfHosted === true,
    // The same freeze as `orch repo freeze`, with its `repo_freeze` alert.
    freeze: async (repo: string, reason: string) => {
      const { created } = await freezeRepo(
        { projects, serialGate, pipeline, notifier, clock, log },
        repo,
        {
          reason,
          by: 'post-deploy',
        },
      );
      if (created) log.warn({ repo, reason }, 'post-deploy: repository frozen');
    },
    lesson: config.env.ORCH_LESSONS_ENABLED
      ? (l: Parameters<LessonStore['record']>[0]) => lessons.record(l, 'auto')
      : null,
    mask,
  };
  const recheckHandlers = new HandlerWorker({
    ...handlerBase,
    name: 'rechecks',
    concurrency: config.env.ORCH_RECHECK_CONCURRENCY,
    handlers: {
      [RECHECK_JOB_KIND]: (job) => recheck(pipeline, job.payload),
      [POST_DEPLOY_JOB_KIND]: (job) => postDeployCheck(postDeployDeps, job.payload),
    },
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
    // Asked at every tick: a workflow file's `maxConcurrent` replaces the project's.
    caps: () => ({
      perRole: profiles.roleCaps(),
      perProject: projectCaps(projects.all(), workflows),
    }),
    projectOf: async (job) =>
      job.taskId === null ? null : ((await tasks.get(job.taskId))?.projectKey ?? null),
    leaseMs: config.queue.leaseMs,
    pollIntervalMs: config.queue.pollIntervalMs,
    preflightGraceMs: config.env.ORCH_PREFLIGHT_GRACE_SECONDS * 1000,
    onClaimed: countClaims,
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
    metrics,
    mask,
    stopPolicy,
    labelPolicy,
    serialGate,
    coverage,
    selfDeploy,
    worktreeGc,
    /** The projects' workflow files (the `workflow` block of /queue). */
    workflows,
    /** The repository clones the dashboard reads branches from (src/pipeline/branch-files.ts). */
    worktrees,
    /** The global `budget:` and a project's resolved budget (the dashboard's cost block). */
    budget: {
      global: o.configFile.budget,
      of: (projectKey: string) =>
        projectBudget(
          { global: o.configFile.budget, projects: projectsConfig, workflows },
          projectKey,
        ),
    },
    diskMonitor,
    /** The start-up ownership check's report (the `fs_ownership` block). */
    ownership,
    /**
     * Startup recovery (system-inventory §7; migrations ran in createRuntime): orphan agent runs →
     * running jobs whose executor is gone → expired leases → merge-lease reclaim → run-log
     * rotation; then the self-deploy finaliser (items whose hook ended while Orch was down are
     * decided at once); then the daemons: outbox (first: it delivers what a crash left undelivered),
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
      if (report.orphanRuns.length > 0)
        await safeNotify(
          notifier,
          { type: 'orphan_runs', count: report.orphanRuns.length, runIds: report.orphanRuns },
          log,
        );
      await checkFsOwnership().catch((err: unknown) => log.warn({ err }, 'ownership check failed'));
      // Jobs that recovery failed for good: their work items go to Blocked, like the runner's.
      for (const id of [...report.failed, ...report.cancelled, ...report.expired])
        await pipeline.onJobEnded(id);
      // Self-deploy results that came in while Orch was down (the hook restarted it): now.
      await finishSelfDeploys({ selfDeploy, tasks, admin, pipeline, log });
      // The workflow files are read before anything can enqueue a job whose prompt uses them.
      if (options.daemons !== false)
        await workflows
          .runOnce()
          .catch((err: unknown) => log.warn({ err }, 'workflow files: first read failed'));
      outbox.start();
      if (options.worker !== false) worker.start();
      webhookHandlers.start();
      recheckHandlers.start();
      if (options.daemons !== false) {
        learnGithubBotLogin(github, webhookBot, log);
        recovery.reconciler.start();
        recovery.reaper.start();
        recovery.history.start();
        worktreeGc.start();
        diskMonitor.start();
        workflows.start();
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
          { name: 'worktree gc', run: () => worktreeGc.stop() },
          { name: 'workflow files', run: () => workflows.stop() },
          { name: 'disk monitor', run: () => Promise.resolve(diskMonitor.stop()) },
          { name: 'outbox', run: () => outbox.stop() },
          { name: 'github git credentials', run: () => Promise.resolve(github?.close()) },
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

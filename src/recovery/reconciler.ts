import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { isTerminal } from '../pipeline/stages.js';
import type { Task } from '../pipeline/task.js';
import type { Db } from '../store/db.js';
import { RecoveryJobsRepo, type TaskJobBrief } from '../store/jobs/recovery-jobs-repo.js';
import { assertNever } from '../errors.js';
import type { DaemonTicks } from '../store/daemon-ticks/daemon-ticks.js';
import { IntervalLoop } from './interval-loop.js';
import { decideReconcile, stageGraceMs } from './reconcile-decision.js';
import { pollComments } from './comment-poller.js';
import { pollNewItems } from './intake-poller.js';
import { pollReviews, waitsOnReview } from './review-poller.js';
import type { GitWorkspace } from '../pipeline/git-workspace.js';

export interface ReconcilerSettings {
  enabled: boolean;
  graceMs: number;
  graceOverridesS: Readonly<Record<string, number>>;
  /** Take in tracker items whose "created" webhook was lost, created within `lookbackMs` (absent = off). */
  intake?: { enabled: boolean; lookbackMs: number };
  /** Poll the forge for PR reviews of items from review on (absent = off). */
  reviewsEnabled?: boolean;
}

export interface ReconcilerOptions {
  db: Db;
  pipeline: Pipeline;
  clock: Clock;
  log: Logger;
  settings: () => ReconcilerSettings;
  intervalMs: number;
  ticks?: DaemonTicks;
  owner: string;
  /** Where intake prepares a new item's branch; without it no item is taken in. */
  workspace?: GitWorkspace;
}

type JobBrief = TaskJobBrief;

/**
 * The reconciler (spec system-inventory §1 row 11): re-drives what a lost webhook or a crash
 * between steps left behind. A stuck task (active, no live job, grace passed) with a green exit
 * gate is advanced through the engine's guarded path (a concurrent advance makes it a no-op); a
 * red gate is left alone. A task whose last job failed for good is never evaluated (a green
 * gate must not advance work no agent finished): it is blocked with that job's reason. Tasks
 * waiting for a human (approval, input, Blocked) have their tracker comments polled and routed
 * through `pipeline.onComment`, each comment at most once. Active tasks from the review stage on
 * have their PR's reviews polled (`review-poller.ts`), and every watched tracker project is polled
 * for items Orch has no task for (`intake-poller.ts`): lost webhooks of both kinds.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #loop: IntervalLoop;
  readonly #jobs: RecoveryJobsRepo;
  #lastRunMs: number | null = null;
  #advancedTotal = 0;
  #blockedTotal = 0;
  #commentsAppliedTotal = 0;
  #reviewsAppliedTotal = 0;
  #itemsTakenTotal = 0;
  #lastAction: { task: string; action: string } | null = null;
  #leader: boolean | null = null;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#loop = new IntervalLoop('reconciler', options.log);
    this.#jobs = new RecoveryJobsRepo(options.db);
  }

  async runOnce(): Promise<void> {
    try {
      if (!this.#o.settings().enabled) return;
      if (this.#o.ticks) {
        const nowMs = this.#o.clock.now();
        this.#leader = await this.#o.ticks.tryTick('reconciler', {
          owner: this.#o.owner,
          nowMs,
          takeoverMs: 2 * this.#o.intervalMs,
        });
        if (!this.#leader) return;
      }
      await this.#sweep();
    } catch (err) {
      this.#o.log.error({ err, daemon: 'reconciler' }, 'reconciler tick failed');
    } finally {
      this.#lastRunMs = this.#o.clock.now();
    }
  }

  async #sweep(): Promise<void> {
    const tasks = await this.#o.pipeline.core.deps.tasks.list({ activeOnly: true, limit: 10_000 });
    const jobs = await this.#jobs.taskJobs();
    const live = new Set(
      jobs
        .filter((j) => j.status === 'queued' || j.status === 'running')
        .map((j) => Number(j.task_id)),
    );
    const latest = new Map<number, JobBrief>();
    for (const j of jobs) {
      const prev = latest.get(Number(j.task_id));
      if (!prev || Number(prev.id) < Number(j.id)) latest.set(Number(j.task_id), j);
    }
    for (const task of tasks) {
      try {
        await this.#reconcile(task, live.has(task.id), latest.get(task.id) ?? null);
      } catch (err) {
        this.#o.log.error({ err, taskId: task.id }, 'reconciler: task failed');
      }
    }
    await this.#takeInNewItems();
    // Waiting items whose gate opened without a finish Orch saw (a crash right after it, a
    // freeze cleared by SQL, the gate switched off) start here.
    const started = await this.#o.pipeline.openSerialGates();
    if (started > 0) this.#o.log.info({ started }, 'reconciler: serial gates opened');
  }

  async #reconcile(task: Task, liveJob: boolean, last: JobBrief | null): Promise<void> {
    const { pipeline, clock } = this.#o;
    const project = pipeline.core.project(task);
    const s = this.#o.settings();
    if (s.reviewsEnabled === true && waitsOnReview(task, project)) {
      if (await this.#pollReviews(task, liveJob, s.graceMs)) return; // changed: next tick
    }
    const graceMs = stageGraceMs(task.stage, {
      defaultMs: s.graceMs,
      overridesS: s.graceOverridesS,
    });
    const nowMs = clock.now();
    const action = decideReconcile(
      {
        stage: task.stage,
        state: task.state,
        devRetries: task.devRetries,
        maxDeveloperRetries: project.maxDeveloperRetries,
        terminalStage: isTerminal(project.pipeline, task.track, task.stage),
      },
      {
        liveJob,
        lastJobFailed: last !== null && (last.status === 'failed' || last.status === 'cancelled'),
        lastActivityMs: Math.max(task.updatedAtMs, last ? Number(last.updated_at_ms) : 0),
        nowMs,
        graceMs,
      },
    );
    switch (action.kind) {
      case 'skip':
        return;
      case 'poll_comments': {
        const applied = await pollComments({
          db: this.#o.db,
          pipeline,
          log: this.#o.log,
          task,
          nowMs,
          graceMs,
          staleClaimMs: Math.max(4 * this.#o.intervalMs, 10_000),
        });
        this.#commentsAppliedTotal += applied.length;
        for (const a of applied)
          this.#note(task, `comment ${a.commentId}: ${a.intent} → ${a.result}`);
        return;
      }
      case 'evaluate':
        return this.#evaluate(task);
      case 'block_failed':
        return this.#blockFailed(task, last!);
      default:
        return assertNever(action, 'reconcile action');
    }
  }

  async #evaluate(task: Task): Promise<void> {
    const { core } = this.#o.pipeline;
    const ctx = await core.gateContext(task);
    if (task.stage === 'analysis') {
      const complete = await core.deps.gates.evaluate('check_analysis_complete', ctx);
      if (complete.passed) {
        const r = await this.#o.pipeline.onAgentFinished({
          taskId: task.id,
          role: 'analyst',
          stage: 'analysis',
        });
        this.#note(task, `analysis re-driven: ${r.kind}`);
        return;
      }
      return;
    }
    const exit = await core.evaluateExit(task, ctx);
    if (!exit.passed) {
      // A red gate with no agent run behind it: nothing to roll back, but people are told (once
      // per stage visit and reason). A gate still deciding (retryAfterMs) is not red.
      if (
        exit.results.at(-1)!.retryAfterMs === undefined &&
        (await this.#o.pipeline.reportRedGate(task, exit.results, 'reconciler'))
      )
        this.#note(task, `red gate reported: ${exit.results.at(-1)!.gate}`);
      return;
    }
    const r = await core.advance(task, exit.results);
    if (r.kind === 'advanced') {
      this.#advancedTotal++;
      this.#note(task, `advanced ${r.from} → ${r.to}`);
    }
  }

  /** A lost PR review: applied as the webhook would; true when one changed the task. */
  async #pollReviews(task: Task, liveJob: boolean, graceMs: number): Promise<boolean> {
    const applied = await pollReviews({
      db: this.#o.db,
      pipeline: this.#o.pipeline,
      task,
      liveJob,
      nowMs: this.#o.clock.now(),
      graceMs,
      staleClaimMs: Math.max(4 * this.#o.intervalMs, 10_000),
    });
    this.#reviewsAppliedTotal += applied.length;
    for (const a of applied)
      this.#note(task, `PR review ${a.reviewId}: ${a.verdict} → ${a.result}`);
    return applied.some((a) => a.result !== 'noop' && a.result !== 'gate_failed');
  }

  /** Lost "created" webhooks: items of watched projects with no task are taken in. */
  async #takeInNewItems(): Promise<void> {
    const s = this.#o.settings();
    if (s.intake?.enabled !== true || !this.#o.workspace) return;
    const taken = await pollNewItems({
      pipeline: this.#o.pipeline,
      workspace: this.#o.workspace,
      log: this.#o.log,
      nowMs: this.#o.clock.now(),
      graceMs: s.graceMs,
      lookbackMs: s.intake.lookbackMs,
    });
    this.#itemsTakenTotal += taken.length;
    for (const t of taken) {
      this.#lastAction = {
        task: t.workItemId,
        action: `taken in (tracker item ${t.trackerItemId})`,
      };
      this.#o.log.warn(
        { workItemId: t.workItemId, project: t.projectKey, daemon: 'reconciler' },
        `reconciler: took in tracker item ${t.trackerItemId} (its "created" webhook was lost)`,
      );
    }
  }

  /** The last job failed for good: block with its reason (the same path the runner takes). */
  async #blockFailed(task: Task, last: JobBrief): Promise<void> {
    const r = await this.#o.pipeline.onJobEnded(Number(last.id));
    if (r.kind === 'blocked') {
      this.#blockedTotal++;
      this.#note(task, `blocked: ${r.reason}`);
    }
  }

  #note(task: Task, action: string): void {
    this.#lastAction = { task: task.workItemId, action };
    this.#o.log.warn(
      { taskId: task.id, workItemId: task.workItemId, daemon: 'reconciler' },
      `reconciler: ${action}`,
    );
  }

  start(): void {
    this.#loop.start(() => this.runOnce(), this.#o.intervalMs);
  }

  get running(): boolean {
    return this.#loop.running;
  }

  async stop(timeoutMs = 5000): Promise<void> {
    await this.#loop.stop(timeoutMs);
  }

  /** The `reconciler` block of GET /queue. */
  status() {
    const s = this.#o.settings();
    return {
      enabled: s.enabled,
      interval: this.#o.intervalMs / 1000,
      grace_s: s.graceMs / 1000,
      grace_overrides_s: s.graceOverridesS,
      last_run_ts: this.#lastRunMs === null ? null : this.#lastRunMs / 1000,
      advanced_total: this.#advancedTotal,
      blocked_total: this.#blockedTotal,
      comments_applied_total: this.#commentsAppliedTotal,
      intake_enabled: s.intake?.enabled === true,
      intake_lookback_s: (s.intake?.lookbackMs ?? 0) / 1000,
      items_taken_total: this.#itemsTakenTotal,
      reviews_enabled: s.reviewsEnabled === true,
      reviews_applied_total: this.#reviewsAppliedTotal,
      last_action: this.#lastAction,
      leader: this.#leader,
    };
  }
}

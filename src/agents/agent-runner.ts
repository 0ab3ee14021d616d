// Slightly over 400 lines: one run's life (prepare, budget, hooks, spawn, watch, conclude) in
// order; the budget and hook steps already live in budget-gate.ts and run-hooks.ts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { assertNever, OrchError } from '../errors.js';
import type { Logger } from '../log.js';
import { safeNotify } from '../integrations/notify/notifier.js';
import type { Job } from '../queue/job.js';
import { LeaseKeeper } from '../queue/lease-keeper.js';
import { adapterFor } from './adapters/adapter-for.js';
import type { AgentRun } from '../store/agent-runs/agent-run-store.js';
import { argvContext, type AgentProfile } from './agents-config.js';
import { stopForBudget } from './budget-gate.js';
import { finalizeJob, type FinalizeResult } from './finalize.js';
import { parseAgentJobPayload, payloadPrompt, type AgentJobPayload } from './job-payload.js';
import { preflightTarget, type PreflightTarget } from './preflight.js';
import { afterRunHook, beforeRunHook, runHookContext } from './run-hooks.js';
import { AgentProcess } from './process-runner.js';
import {
  errorText,
  launchFailure,
  outcomeOf,
  runFinish,
  type WatchedResult,
} from './run-outcome.js';
import type { AgentAdapter } from './runner.js';
import { assertBubblewrap, bubblewrapArgv, gitCommonDir, SANDBOX_HOME } from './sandbox.js';
import { taskFilePath, writeTaskFile } from './task-file.js';
import type { AgentRunnerOptions } from './agent-runner-options.js';
import { runEnv, taskHeader, watchLimits } from './run-setup.js';
import type { WorktreeInfo } from './worktrees.js';

export type { AgentRunnerOptions, OnFinished } from './agent-runner-options.js';

/** A run in progress, as the worker sees it. */
export interface RunningAgent {
  job: Job;
  /** Kills the process group (SIGTERM → grace → SIGKILL); the job is left for recovery. */
  stop(): void;
  done: Promise<FinalizeResult | { kind: 'handed_off' }>;
}

/**
 * Runs one claimed job end to end: payload → worktree → agent_runs row → task file → process
 * (own group, log file, watchdog) → heartbeats → classify → record → onFinished → finalize.
 * Every job write is fenced by the claim's lease token.
 */
export class AgentRunner {
  readonly #o: AgentRunnerOptions;

  constructor(options: AgentRunnerOptions) {
    this.#o = options;
  }

  /**
   * The settings a job of `kind` runs with: the profile named `profileName` (default: the kind's
   * own), keeping `role` the job's kind (the argv's `{role}`, error messages).
   */
  profileFor(kind: string, profileName = kind): { profile: AgentProfile; adapter: AgentAdapter } {
    const profile = { ...this.#o.profiles.get(profileName), role: kind };
    return { profile, adapter: adapterFor(profile.adapter) };
  }

  /** What preflight should probe for a kind (see Preflight.check). */
  preflightTarget(kind: string): PreflightTarget {
    return preflightTarget(this.#o.profiles.get(kind));
  }

  start(job: Job): RunningAgent {
    let proc: AgentProcess | null = null;
    let stopped = false;
    const done = this.#execute(job, (p) => {
      proc = p;
      if (stopped) p.kill('stop');
    }).then(async (r) => {
      await this.#reportEnd(job);
      return r;
    });
    return {
      job,
      stop: () => {
        stopped = true;
        proc?.kill('stop');
      },
      done,
    };
  }

  /** A finished run goes to the onRunFinished hook (usage comment); never fails the job. */
  async #reportRun(run: AgentRun, log: Logger): Promise<void> {
    if (!this.#o.onRunFinished) return;
    try {
      await this.#o.onRunFinished(run);
    } catch (err) {
      log.warn({ err, runId: run.id }, 'could not report the finished run');
    }
  }

  /** After a run settles: a job that ended failed or cancelled goes to the onJobEnded hook. */
  async #reportEnd(job: Job): Promise<void> {
    if (!this.#o.onJobEnded) return;
    try {
      const now = await this.#o.queue.get(job.id);
      if (now && (now.status === 'failed' || now.status === 'cancelled'))
        await this.#o.onJobEnded(now);
    } catch (err) {
      this.#o.log.error({ err, jobId: job.id }, 'could not report the end of a failed job');
    }
  }

  /**
   * The lease is kept from here (right after the claim) until the job is finalized: worktree
   * preparation (a slow clone), the run and the after-run step (gates, tests, merge) may each take
   * longer than a lease, and a live holder must never look dead to lease expiry.
   */
  async #execute(
    job: Job,
    onProcess: (p: AgentProcess) => void,
  ): Promise<FinalizeResult | { kind: 'handed_off' }> {
    const log = this.#o.log.child({ jobId: job.id, agent: job.kind, taskId: job.taskId });
    let proc: AgentProcess | null = null;
    const keeper = LeaseKeeper.forJob(this.#o.queue, job, {
      leaseMs: this.#o.leaseMs,
      log,
      onLost: () => {
        log.warn('lease lost; stopping the run');
        proc?.kill('stop');
      },
      onCancel: () => proc?.kill('cancel'),
    }).start();
    const track = (p: AgentProcess) => {
      proc = p;
      onProcess(p);
      if (keeper.lost) p.kill('stop');
      else if (keeper.cancelRequested) p.kill('cancel');
    };
    try {
      return await this.#prepareAndRun(job, keeper, track, log);
    } finally {
      await keeper.stop();
    }
  }

  async #prepareAndRun(
    job: Job,
    keeper: LeaseKeeper,
    onProcess: (p: AgentProcess) => void,
    log: Logger,
  ): Promise<FinalizeResult | { kind: 'handed_off' }> {
    let payload: AgentJobPayload;
    let worktree: WorktreeInfo;
    try {
      payload = parseAgentJobPayload(job.payload);
      if (this.#o.allowRepo && !this.#o.allowRepo(payload.repo)) {
        throw new OrchError('REPO_NOT_CONFIGURED', 'the job names a repository of no project');
      }
      worktree = await this.#o.worktrees.ensure(payload.repo, payload.branch, {
        hookContext: { workItemId: payload.workItemId, stage: payload.stage, role: job.kind },
      });
    } catch (err) {
      const reason = errorText(err);
      log.warn({ err }, 'agent job could not be prepared');
      await keeper.stop();
      return finalizeJob(this.#deps(log), job, { kind: 'permanent', reason }, null);
    }
    const early = await this.#leaseEnded(job, keeper, log);
    if (early) return early;
    // Budget before every launch: nothing is spawned (no run row) for an exhausted item or day.
    const budget = (await this.#o.budget?.check(job)) ?? { kind: 'ok', perRunUsd: undefined };
    if (budget.kind !== 'ok') {
      await keeper.stop();
      return stopForBudget({ ...this.#deps(log), gate: this.#o.budget! }, job, budget);
    }
    const { profile, adapter } = this.profileFor(
      job.kind,
      (await this.#o.profileOf?.(job)) ?? job.kind,
    );
    const run = await this.#o.runs.create({
      jobId: job.id,
      taskId: job.taskId ?? payload.taskId ?? null,
      attempt: job.attempts,
      kind: job.kind,
      adapter: profile.adapter,
      startedAtMs: this.#o.clock.now(),
    });
    const runLog = log.child({ runId: run.id });
    let result: WatchedResult;
    const hookCtx = runHookContext(job, payload, worktree);
    try {
      const a = { job, payload, worktree, profile, adapter, run, keeper, onProcess, log: runLog };
      await beforeRunHook(this.#o.worktrees.hooks, payload.repo, hookCtx);
      result = await this.#spawnAndWatch({ ...a, maxBudgetUsd: budget.perRunUsd });
    } catch (err) {
      // A launch error (bad command config, unwritable log dir) fails this attempt, never the slot.
      runLog.error({ err }, 'agent launch failed');
      result = launchFailure(err);
    }
    // after_run: after a process ran here; not for a run handed off (stop, lost lease).
    if (result.pid !== null && !result.leaseLost && result.killReason !== 'stop') {
      const runLogPath = join(this.#o.dataDir, 'runs', `${run.id}.log`);
      await afterRunHook(this.#o.worktrees.hooks, payload.repo, hookCtx, runLogPath);
    }
    const limits = { wallMs: profile.timeoutMs, idleMs: profile.idleTimeoutMs };
    return this.#conclude({
      job,
      payload,
      worktree,
      adapter,
      run,
      result,
      limits,
      keeper,
      log: runLog,
    });
  }

  /**
   * After preparation: a lost lease (another holder may run the job now) or a cancel request
   * ends the attempt before anything is spawned in the worktree.
   */
  async #leaseEnded(
    job: Job,
    keeper: LeaseKeeper,
    log: Logger,
  ): Promise<{ kind: 'handed_off' } | null> {
    if (!keeper.lost && !keeper.cancelRequested && (await keeper.beat())) return null;
    await keeper.stop();
    if (keeper.lost) {
      log.warn('lease lost while the worktree was prepared; not starting the agent');
    } else {
      await this.#o.queue.cancel(job.id, job.leaseToken!, 'cancelled by operator');
    }
    return { kind: 'handed_off' };
  }

  async #spawnAndWatch(a: {
    job: Job;
    payload: AgentJobPayload;
    worktree: WorktreeInfo;
    profile: AgentProfile;
    adapter: AgentAdapter;
    run: AgentRun;
    keeper: LeaseKeeper;
    onProcess: (p: AgentProcess) => void;
    log: Logger;
    maxBudgetUsd: number | undefined;
  }): Promise<WatchedResult> {
    const { job, worktree, profile, adapter, run } = a;
    const taskFile = taskFilePath(worktree.path, job.id, run.id);
    writeTaskFile(taskFile, taskHeader(job, run, a.payload), payloadPrompt(a.payload));
    const argv = adapter.buildArgv({
      role: job.kind,
      jobId: job.id,
      runId: run.id,
      worktree: worktree.path,
      taskFile,
      prompt: `You are the ${job.kind} agent. Your task is in ${taskFile}; read it and do it in this repository.`,
      ...argvContext(profile),
      maxBudgetUsd: a.maxBudgetUsd,
    });
    const runsDir = join(this.#o.dataDir, 'runs');
    mkdirSync(runsDir, { recursive: true });
    const logPath = join(runsDir, `${run.id}.log`);
    const proc = new AgentProcess({
      argv: this.#sandboxed(argv, profile, worktree.path),
      cwd: worktree.path,
      env: {
        ...this.#o.baseEnv,
        ...adapter.runEnv(argvContext(profile)),
        ...profile.env,
        ...runEnv(job, run, taskFile, worktree),
      },
      logPath,
      parser: adapter.createParser(),
      limits: watchLimits(profile),
      ...(this.#o.pollMs === undefined ? {} : { pollMs: this.#o.pollMs }),
    });
    a.onProcess(proc);
    try {
      await this.#recordStart({ ...a, proc, argv, logPath });
    } catch (err) {
      // The process is running but the run could not be recorded: it must not outlive this
      // attempt (nor Orch). Kill its group and wait for it before failing the attempt.
      proc.kill('stop');
      await proc.done.catch(() => undefined);
      throw err;
    }
    const result = await proc.done;
    return { ...result, leaseLost: a.keeper.lost };
  }

  /** Records the started process on its run and job, and announces it. */
  async #recordStart(a: {
    job: Job;
    run: AgentRun;
    worktree: WorktreeInfo;
    adapter: AgentAdapter;
    keeper: LeaseKeeper;
    proc: AgentProcess;
    argv: readonly string[];
    logPath: string;
    log: Logger;
  }): Promise<void> {
    const { job, run, proc } = a;
    await this.#o.runs.markStarted(run.id, {
      argv: a.argv,
      logPath: a.logPath,
      worktree: a.worktree.path,
      pid: proc.pid,
    });
    const attached = await this.#o.queue.attach(job.id, job.leaseToken!, {
      pid: proc.pid,
      agentRunId: run.id,
    });
    // The fence failed: the job is someone else's now. A heartbeat confirms it and stops the run.
    if (attached.kind === 'lease_lost') await a.keeper.beat();
    a.log.info({ pid: proc.pid, adapter: a.adapter.name }, 'agent started');
    const started = {
      type: 'agent_started',
      jobId: job.id,
      runId: run.id,
      kind: job.kind,
      taskId: job.taskId,
    } as const;
    await safeNotify(this.#o.notifier, started, a.log);
  }

  /** The argv in the profile's sandbox; SANDBOX_UNAVAILABLE (a failed launch) if it cannot run. */
  #sandboxed(argv: string[], profile: AgentProfile, worktree: string): string[] {
    switch (profile.sandbox) {
      case 'none':
        return argv;
      case 'bubblewrap':
        assertBubblewrap();
        return bubblewrapArgv(argv, {
          worktree,
          gitCommonDir: gitCommonDir(worktree),
          home: SANDBOX_HOME,
          hiddenDirs: this.#o.sandboxHiddenDirs ?? [this.#o.dataDir],
        });
      default:
        return assertNever(profile.sandbox);
    }
  }

  async #conclude(a: {
    job: Job;
    payload: AgentJobPayload;
    worktree: WorktreeInfo;
    adapter: AgentAdapter;
    run: AgentRun;
    result: WatchedResult;
    limits: { wallMs: number; idleMs: number };
    keeper: LeaseKeeper;
    log: Logger;
  }): Promise<FinalizeResult | { kind: 'handed_off' }> {
    const { job, result } = a;
    let outcome = outcomeOf(result, {
      limits: a.limits,
      requiresResult: a.adapter.requiresResult,
      nowMs: this.#o.clock.now(),
      defaultQuotaPauseMs: this.#o.defaultQuotaPauseMs ?? 3_600_000,
    });
    await this.#o.runs.finish(a.run.id, runFinish(result, outcome, this.#o.clock.now()));
    const { exitCode, killReason } = result;
    a.log.info({ exitCode, outcome: outcome.kind, killReason }, 'agent finished');
    const run = (await this.#o.runs.get(a.run.id))!;
    await this.#reportRun(run, a.log);
    // A lost lease or a worker stop: the job is no longer (or not yet) ours to finalize.
    if (result.leaseLost || killReason === 'stop') return { kind: 'handed_off' };
    if (killReason === 'cancel') {
      await a.keeper.stop();
      await this.#o.queue.cancel(job.id, job.leaseToken!, 'cancelled by operator');
      return { kind: 'handed_off' };
    }
    if (outcome.kind === 'success' && this.#o.onFinished) {
      // Hazard H-3 (spec reaper.md §14.1): the reaper or recovery may have taken the job while the
      // run ended; only the lease holder replays the pipeline step (a fenced lease extension).
      if (!(await a.keeper.beat())) {
        a.log.warn('job taken over while the run finished; skipping the pipeline step');
        return { kind: 'handed_off' };
      }
      // Cancelled while the run ended: its work is never committed, pushed or turned into a PR.
      if (a.keeper.cancelRequested) {
        a.log.info('cancel requested while the run finished; skipping the pipeline step');
        await a.keeper.stop();
        const reason = 'cancelled by operator (the run ended; its work is not committed)';
        const res = await this.#o.queue.cancel(job.id, job.leaseToken!, reason);
        return res.kind === 'ok' ? { kind: 'cancelled' } : res;
      }
      try {
        await this.#o.onFinished({ job, run, outcome, worktree: a.worktree, payload: a.payload });
      } catch (err) {
        outcome = { kind: 'permanent', reason: `after-run step failed: ${errorText(err)}` };
      }
    }
    await a.keeper.stop();
    return finalizeJob(this.#deps(a.log), job, outcome, run);
  }

  #deps(log: Logger) {
    const o = this.#o;
    return { queue: o.queue, breakers: o.breakers, notifier: o.notifier, clock: o.clock, log };
  }
}

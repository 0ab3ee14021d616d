import type { Clock } from '../clock.js';
import type { Budget } from '../config/budget.js';
import { safeNotify } from '../integrations/notify/notifier.js';
import type { Logger } from '../log.js';
import type { Job } from '../queue/job.js';
import type { AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import { checkBudget, utcDay, type BudgetCheck } from './budget.js';
import type { FinalizeDeps, FinalizeResult } from './finalize.js';

export type DailyWait = Extract<BudgetCheck, { kind: 'day_exhausted' }>;

/** What the runner asks before launching a claimed job (src/agents/agent-runner.ts). */
export interface BudgetGate {
  /** The verdict for `job`; a job without a work item (not a pipeline job) is always `ok`. */
  check(job: Job): Promise<BudgetCheck>;
  /** The job was put back until the next UTC day: tell the item's timeline. Best effort. */
  onDailyWait(job: Job, wait: DailyWait): Promise<void>;
}

/**
 * The budget gate over recorded spend: the item's summed run costs and the UTC day's (all items).
 * `budgetOf` resolves the item's effective budget (global + project override).
 */
export function budgetGate(o: {
  runs: AgentRunStore;
  clock: Clock;
  budgetOf: (taskId: number) => Promise<Budget | undefined>;
  onDailyWait?: (taskId: number, wait: DailyWait) => Promise<void>;
}): BudgetGate {
  return {
    async check(job) {
      const budget = job.taskId === null ? undefined : await o.budgetOf(job.taskId);
      if (job.taskId === null || budget === undefined) return { kind: 'ok', perRunUsd: undefined };
      const nowMs = o.clock.now();
      const needsItem = budget.perItemUsd !== undefined;
      const needsDay = budget.perDayUsd !== undefined;
      const day = utcDay(nowMs);
      const spend = {
        itemUsd: needsItem ? await o.runs.spentByTask(job.taskId) : 0,
        dayUsd: needsDay ? await o.runs.spentBetween(day.startMs, day.endMs) : 0,
      };
      return checkBudget(budget, spend, nowMs);
    },
    async onDailyWait(job, wait) {
      if (job.taskId !== null && o.onDailyWait) await o.onDailyWait(job.taskId, wait);
    },
  };
}

/**
 * Ends a held job the budget does not let launch, fenced by its lease token: an exhausted item
 * fails the job for good (no retry can help; the runner's onJobEnded hook then Blocks the item
 * with the reason), a reached daily cap snoozes it to the next UTC midnight without consuming an
 * attempt and records the wait once (the job is not claimable again before that day).
 */
export async function stopForBudget(
  deps: FinalizeDeps & { gate: BudgetGate },
  job: Job,
  check: Exclude<BudgetCheck, { kind: 'ok' }>,
): Promise<FinalizeResult> {
  const token = job.leaseToken!;
  const log: Logger = deps.log;
  if (check.kind === 'item_exhausted') {
    log.warn({ spentUsd: check.spentUsd, limitUsd: check.limitUsd }, check.reason);
    const res = await deps.queue.fail(job.id, token, {
      kind: 'permanent',
      final: true,
      error: check.reason,
    });
    if (res.kind === 'lease_lost') return res;
    if (res.job.status === 'cancelled') return { kind: 'cancelled' };
    const failed = {
      type: 'job_failed',
      jobId: job.id,
      kind: job.kind,
      taskId: job.taskId,
      attempts: res.job.attempts,
      error: check.reason,
    } as const;
    await safeNotify(deps.notifier, failed, log);
    return { kind: 'failed' };
  }
  const delayMs = Math.max(0, check.untilMs - deps.clock.now());
  const res = await deps.queue.snooze(job.id, token, delayMs, check.message);
  if (res.kind === 'lease_lost') return res;
  if (res.job.status === 'cancelled') return { kind: 'cancelled' };
  log.info({ availableAtMs: check.untilMs }, check.message);
  try {
    await deps.gate.onDailyWait(job, check);
  } catch (err) {
    log.warn({ err }, 'could not record the daily budget wait');
  }
  return { kind: 'requeued', availableAtMs: res.job.availableAtMs };
}

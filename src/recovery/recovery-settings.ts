import type { OrchEnv } from '../config/env.js';
import { OrchError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ReaperSettings } from './job-reaper.js';
import { parseGraceOverrides } from './reconcile-decision.js';
import type { ReconcilerSettings } from './reconciler.js';

/**
 * Recovery settings, built once from the environment and read live by the daemons on every tick
 * (an operator or a test may change a field between ticks). Intervals are fixed at construction.
 */
export interface RecoverySettings {
  reaper: ReaperSettings;
  reconciler: ReconcilerSettings;
  leaseReclaimEnabled: boolean;
  reaperIntervalMs: number;
  reconcileIntervalMs: number;
  mergeLockTtlMs: number;
  orphanWindowMs: number;
  logKeepDays: number;
  logKeepMax: number;
  /** Finished jobs untouched this long move to job_history; 0 = never. */
  jobHistoryAfterMs: number;
}

export function recoverySettings(env: Readonly<OrchEnv>, log?: Logger): RecoverySettings {
  let overrides: Record<string, number>;
  try {
    overrides = parseGraceOverrides(env.ORCH_RECONCILE_GRACE_OVERRIDES_JSON);
  } catch (err) {
    throw new OrchError(
      'CONFIG_INVALID',
      `ORCH_RECONCILE_GRACE_OVERRIDES_JSON: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const s: RecoverySettings = {
    reaper: {
      enabled: env.ORCH_REAPER_ENABLED,
      deadTicks: Math.max(env.ORCH_REAPER_DEAD_TICKS, 1),
      maxRunningMs: env.ORCH_REAPER_MAX_RUNNING_S * 1000,
      finalizeGraceMs: env.ORCH_REAPER_FINALIZE_GRACE_S * 1000,
    },
    reconciler: {
      enabled: env.ORCH_RECONCILE_ENABLED,
      graceMs: env.ORCH_RECONCILE_GRACE_S * 1000,
      graceOverridesS: overrides,
      intake: {
        enabled: env.ORCH_RECONCILE_INTAKE_ENABLED,
        lookbackMs: env.ORCH_RECONCILE_INTAKE_LOOKBACK_S * 1000,
      },
      reviewsEnabled: env.ORCH_RECONCILE_REVIEWS_ENABLED,
    },
    leaseReclaimEnabled: env.ORCH_LEASE_RECLAIM_ENABLED,
    reaperIntervalMs: env.ORCH_REAPER_INTERVAL_S * 1000,
    reconcileIntervalMs: env.ORCH_RECONCILE_INTERVAL_S * 1000,
    mergeLockTtlMs: env.ORCH_MERGE_LOCK_TIMEOUT_S * 1000,
    orphanWindowMs: env.ORCH_ORPHAN_RUN_WINDOW_MINUTES * 60_000,
    logKeepDays: env.ORCH_LOG_KEEP_DAYS,
    logKeepMax: env.ORCH_LOG_KEEP_MAX,
    jobHistoryAfterMs: env.ORCH_JOB_HISTORY_AFTER_S * 1000,
  };
  for (const w of settingWarnings(env)) log?.warn(w);
  return s;
}

/** Config sanity from spec reaper.md §6.3/§8: warnings, never errors (tests use odd values). */
export function settingWarnings(env: Readonly<OrchEnv>): string[] {
  const out: string[] = [];
  if (env.ORCH_REAPER_DEAD_TICKS < 2)
    out.push('ORCH_REAPER_DEAD_TICKS < 2: a single dead reading reaps (false-positive risk)');
  const agentMax = env.ORCH_AGENT_TIMEOUT_SECONDS + env.ORCH_AGENT_EXIT_GRACE_SECONDS;
  if (env.ORCH_REAPER_MAX_RUNNING_S <= agentMax + env.ORCH_REAPER_FINALIZE_GRACE_S)
    out.push(
      'ORCH_REAPER_MAX_RUNNING_S should exceed the agent timeout + ORCH_REAPER_FINALIZE_GRACE_S',
    );
  return out;
}

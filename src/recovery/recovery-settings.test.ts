import { describe, expect, it } from 'vitest';
import { parseEnv } from '../config/env.js';
import { isOrchError } from '../errors.js';
import { DEFAULT_PIPELINE, DEFAULT_STAGES } from '../pipeline/stages.js';
import { DEFAULT_GATES } from '../gates/registry.js';
import { recoverySettings, settingWarnings } from './recovery-settings.js';

describe('recovery settings (TC-20)', () => {
  it('has the reference defaults', () => {
    const s = recoverySettings(parseEnv({}));
    expect(s.reaper).toEqual({
      enabled: true,
      deadTicks: 2,
      maxRunningMs: 3_600_000,
      finalizeGraceMs: 300_000,
    });
    expect(s).toMatchObject({
      leaseReclaimEnabled: true,
      reaperIntervalMs: 60_000,
      reconcileIntervalMs: 60_000,
      mergeLockTtlMs: 300_000,
      orphanWindowMs: 35 * 60_000,
      logKeepDays: 14,
      logKeepMax: 1000,
      jobHistoryAfterMs: 600_000,
      reconciler: {
        enabled: true,
        graceMs: 300_000,
        graceOverridesS: {},
        intake: { enabled: true, lookbackMs: 86_400_000 },
        reviewsEnabled: true,
      },
    });
  });

  it('reads every ORCH_ key', () => {
    const s = recoverySettings(
      parseEnv({
        ORCH_REAPER_ENABLED: 'false',
        ORCH_REAPER_INTERVAL_S: '30',
        ORCH_REAPER_DEAD_TICKS: '5',
        ORCH_REAPER_MAX_RUNNING_S: '1200',
        ORCH_REAPER_FINALIZE_GRACE_S: '0',
        ORCH_LEASE_RECLAIM_ENABLED: 'no',
        ORCH_MERGE_LOCK_TIMEOUT_S: '600',
        ORCH_RECONCILE_ENABLED: 'off',
        ORCH_RECONCILE_INTERVAL_S: '15',
        ORCH_RECONCILE_GRACE_S: '20',
        ORCH_RECONCILE_GRACE_OVERRIDES_JSON: '{"deploy":900}',
        ORCH_ORPHAN_RUN_WINDOW_MINUTES: '10',
        ORCH_LOG_KEEP_DAYS: '3',
        ORCH_LOG_KEEP_MAX: '50',
        ORCH_JOB_HISTORY_AFTER_S: '0',
        ORCH_RECONCILE_INTAKE_ENABLED: 'false',
        ORCH_RECONCILE_INTAKE_LOOKBACK_S: '3600',
        ORCH_RECONCILE_REVIEWS_ENABLED: 'false',
      }),
    );
    expect(s.reaper).toEqual({
      enabled: false,
      deadTicks: 5,
      maxRunningMs: 1_200_000,
      finalizeGraceMs: 0,
    });
    expect(s).toMatchObject({
      leaseReclaimEnabled: false,
      reaperIntervalMs: 30_000,
      reconcileIntervalMs: 15_000,
      mergeLockTtlMs: 600_000,
      orphanWindowMs: 600_000,
      logKeepDays: 3,
      logKeepMax: 50,
      jobHistoryAfterMs: 0,
      reconciler: {
        enabled: false,
        graceMs: 20_000,
        graceOverridesS: { deploy: 900 },
        intake: { enabled: false, lookbackMs: 3_600_000 },
        reviewsEnabled: false,
      },
    });
  });

  it('clamps dead ticks below 1 and warns about risky values', () => {
    const env = parseEnv({ ORCH_REAPER_DEAD_TICKS: '0', ORCH_REAPER_MAX_RUNNING_S: '100' });
    expect(recoverySettings(env).reaper.deadTicks).toBe(1);
    expect(settingWarnings(env)).toHaveLength(2);
    expect(settingWarnings(parseEnv({}))).toEqual([]);
  });

  it('rejects malformed grace overrides at startup', () => {
    try {
      recoverySettings(parseEnv({ ORCH_RECONCILE_GRACE_OVERRIDES_JSON: '{"deploy":' }));
      expect.unreachable();
    } catch (err) {
      expect(isOrchError(err, 'CONFIG_INVALID')).toBe(true);
    }
  });

  it('leaves the stage machine and the gate registry as they were (TC-19, AC-13)', () => {
    expect([...DEFAULT_STAGES]).toEqual([
      'created',
      'analysis',
      'architecture',
      'development',
      'review',
      'testing',
      'deploy-staging',
      'deploy',
      'done',
    ]);
    expect(DEFAULT_PIPELINE.stages.find((s) => s.name === 'deploy-staging')?.edgeGates).toEqual([
      'security_gate',
      'merge_gate',
    ]);
    expect(Object.keys(DEFAULT_GATES).sort()).toEqual([
      'check_analysis_complete',
      'check_architecture_done',
      'check_ci_green',
      'check_deploy_status',
      'check_review_approved',
      'check_reviewer_verdict',
      'check_staging_status',
      'check_tests_local',
      'check_tests_passed',
    ]);
  });
});

import { join } from 'node:path';
import type { Clock } from './clock.js';
import type { Config } from './config/config.js';
import { leasedMergeGate, type MergeLock } from './gates/merge/merge-gate.js';
import { DEFAULT_GATES, GateRegistry } from './gates/registry.js';
import { securityGateConfigFromEnv } from './gates/security/index.js';
import { securityGate } from './gates/security-gate-adapter.js';
import { createSelfDeploy } from './gates/self-deploy/self-deploy.js';
import { deployStatusGate } from './gates/self-deploy/self-deploy-gate.js';
import { stagingProvenanceGuard } from './gates/staging-provenance.js';
import type { Notifier } from './integrations/notify/notifier.js';
import type { Logger } from './log.js';

export interface GatesDeps {
  config: Config;
  /** The merge lease (recovery's, created after the pipeline; called only at evaluation time). */
  mergeLock: MergeLock;
  mergeLockTtlMs: number;
  notifier: Notifier;
  mask: (text: string) => string;
  clock: Clock;
  log: Logger;
}

/**
 * The gate registry with the gates that need the runtime's parts (wired by runtime.ts): the
 * leased merge gate with the staging-provenance check, the security gate, and the self-deploy
 * status gate with its host hook runner.
 */
export function createGates(d: GatesDeps) {
  const { config, clock, log } = d;
  const gates = new GateRegistry(DEFAULT_GATES, { mask: d.mask });
  gates.register(
    'merge_gate',
    leasedMergeGate(d.mergeLock, {
      ttlMs: d.mergeLockTtlMs,
      deferMs: config.env.ORCH_MERGE_DEFER_DELAY_S * 1000,
      // Staging must run the head about to be merged (after catch-up, under the lease).
      beforeMerge: stagingProvenanceGuard({
        enabled: config.env.ORCH_STAGING_PROVENANCE_ENABLED,
      }),
    }),
  );
  gates.register(
    'security_gate',
    securityGate(securityGateConfigFromEnv(config.env, process.env.PATH ?? ''), {
      clock,
      log,
      notifier: d.notifier,
      mask: d.mask,
    }),
  );
  // Self-deploy (ORCH-036): a self-hosted project's production command is a detached host hook.
  const selfDeploy = createSelfDeploy({
    dir: join(config.dataDir, 'self-deploy'),
    clock,
    log,
    pollMs: config.env.ORCH_SELF_DEPLOY_POLL_S * 1000,
  });
  gates.register('check_deploy_status', deployStatusGate(selfDeploy));
  return { gates, selfDeploy };
}

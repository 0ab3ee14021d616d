import type { Clock } from '../clock.js';
import type { SecretMasker } from '../config/secret-masker.js';
import { safeNotify, type Notifier } from '../integrations/notify/notifier.js';
import type { Logger } from '../log.js';
import type { Gate } from './gate.js';
import { runSecurityGate, type SecurityGateConfig } from './security/index.js';

/**
 * The security gate as a pipeline edge gate: scans what the branch adds over `origin/<base>`,
 * writes `17-security-report.md` into the worktree and reads the verdict back. The masked
 * findings become the gate's evidence, which a rollback hands verbatim to the developer.
 * The report is not committed here: a commit would move the head the merge gate is pinned to.
 * A degraded dependency audit (feed unreachable, tool missing) is logged and alerted (spec §9.1).
 */
export function securityGate(
  config: SecurityGateConfig,
  deps: { clock: Clock; log: Logger; notifier?: Notifier; mask?: SecretMasker },
): Gate {
  return async (ctx) => {
    const r = await runSecurityGate({
      repo: ctx.repo,
      worktree: ctx.worktree,
      workItemId: ctx.workItemId,
      targetRef: `origin/${ctx.baseBranch}`,
      config,
      clock: deps.clock,
      log: deps.log,
      ...(deps.mask && { mask: deps.mask }),
    });
    if (r.evidence.depsAuditDegraded) {
      const message = `dependency audit degraded: ${r.evidence.depAuditDetail}`;
      deps.log.warn({ workItemId: ctx.workItemId }, message);
      if (deps.notifier && ctx.taskId !== undefined) {
        const event = {
          type: 'pipeline_warning',
          workItemId: ctx.workItemId,
          taskId: ctx.taskId,
          stage: 'deploy-staging',
          message,
        } as const;
        await safeNotify(deps.notifier, event, deps.log);
      }
    }
    return {
      gate: 'security_gate',
      passed: r.passed,
      reason: r.reason,
      ...(r.findingsText && { evidence: r.findingsText }),
    };
  };
}

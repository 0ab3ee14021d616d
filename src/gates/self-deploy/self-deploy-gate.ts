import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkDeployStatus, readDeployStatus } from '../artifact-gates.js';
import { workItemDir, type Gate } from '../gate.js';
import type { SelfDeploy } from './self-deploy.js';
import { describeResult, renderDeployLog } from './self-deploy-state.js';

const GATE = 'check_deploy_status';

/**
 * `check_deploy_status` with self-deploy (ORCH-036), registered by the runtime over the default.
 * For a self-hosted project with a production command, the command is the host hook (self-deploy.ts):
 * while it runs the gate is undecided (`retryAfterMs`, with the hook's own deadline so the engine's
 * defer cap does not cut it short); once it has a result Orch writes `14-deploy-log.md` from it
 * (`written_by: orch`, the exit code, the output tail) and the verdict is read from that log as
 * for any deploy. Every other project gets the plain gate. The hook lives here only: a red gate
 * before the deploy stage (security, merge, staging) never reaches it.
 */
export function deployStatusGate(selfDeploy: SelfDeploy): Gate {
  return async (ctx) => {
    const step = ctx.deploy?.production;
    if (!ctx.selfDeploy || !step?.command?.length) return checkDeployStatus(ctx);
    const o = await selfDeploy.run(ctx, { ...step, command: step.command });
    if (o.kind === 'waiting')
      return {
        gate: GATE,
        passed: false,
        reason: o.reason,
        retryAfterMs: o.retryAfterMs,
        deadlineMs: o.deadlineMs,
      };
    const path = `${workItemDir(ctx)}/14-deploy-log.md`;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, renderDeployLog(o.state, o.result));
    const verdict = await readDeployStatus(ctx);
    if (verdict.passed || o.result.ok) return verdict;
    return {
      ...verdict,
      reason: `${verdict.reason} (self-deploy hook ${describeResult(o.result)})`,
    };
  };
}

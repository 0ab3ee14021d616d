import { appendFile } from 'node:fs/promises';
import type { Job } from '../queue/job.js';
import type { AgentJobPayload } from './job-payload.js';
import { hookError, type HookContext, type WorkspaceHooks } from './workspace-hooks.js';
import type { WorktreeInfo } from './worktrees.js';

/** What the run's hooks are told: the item, its stage, the role and the worktree. */
export function runHookContext(
  job: Job,
  payload: AgentJobPayload,
  worktree: Pick<WorktreeInfo, 'path'>,
): HookContext {
  return {
    worktree: worktree.path,
    workItemId: payload.workItemId,
    stage: payload.stage,
    role: job.kind,
  };
}

/**
 * `before_run`, right before the agent is launched: a failure throws WORKSPACE_HOOK_FAILED, which
 * the runner records as the run's launch failure (the agent never starts; the job is retried
 * while attempts remain, like any permanent failure).
 */
export async function beforeRunHook(
  hooks: WorkspaceHooks,
  repo: string,
  ctx: HookContext,
): Promise<void> {
  const r = await hooks.run('before_run', repo, ctx);
  if (r.kind === 'failed') throw hookError(r);
}

/**
 * `after_run`, once the agent's process has ended (its log is no longer read, so the hook's
 * masked output can be appended to it under a header). A failure is logged by the hooks and
 * written to the run log; it changes nothing about the run or the job.
 */
export async function afterRunHook(
  hooks: WorkspaceHooks,
  repo: string,
  ctx: HookContext,
  runLogPath: string,
): Promise<void> {
  const r = await hooks.run('after_run', repo, ctx);
  if (r.kind === 'none') return;
  const status = r.kind === 'ok' ? `ok in ${r.durationMs} ms` : r.reason.split('\n')[0]!;
  const body = r.output === '' || r.output.endsWith('\n') ? r.output : `${r.output}\n`;
  await appendFile(runLogPath, `\n[orch] after_run hook: ${status}\n${body}`).catch(
    () => undefined,
  );
}

/**
 * Self-deploy (ORCH-036) as data. Pure: the launch record kept in `state.json`, what a look at
 * the hook means (`decideSelfDeploy`), and the `14-deploy-log.md` that a finished hook's result
 * gives (`renderDeployLog`). The I/O is in self-deploy.ts and self-deploy-hook.ts.
 */

/** How one hook run ended, as recorded when it was finalised; the log is rendered from it. */
export interface SelfDeployResult {
  finishedAtMs: number;
  /** The deploy succeeded: exit code 0 and, if configured, the health check passed. */
  ok: boolean;
  /** The hook's exit code; null when it timed out, was lost or never started. */
  exitCode: number | null;
  /** How the hook ended, in words: `exit code 3`, `timed out after 600 s`, … */
  how: string;
  /** The last characters of the hook's output (stdout and stderr, as they came). */
  outputTail: string;
  health: { url: string; ok: boolean; attempts: number; detail: string } | null;
}

/**
 * One launch of the hook for one stage visit of a work item: `<dataDir>/self-deploy/<ID>/<visit>/
 * state.json`. Written before the hook is spawned (so a crash mid-launch never launches twice),
 * again with the pid once it runs, and once more with `finished` when its result is final.
 */
export interface SelfDeployState {
  version: 1;
  workItemId: string;
  taskId: number | null;
  stage: string;
  visitStartedAtMs: number;
  /** In the hook's environment as `ORCH_SELF_DEPLOY_ID`: tells its process from a reused pid. */
  launchId: string;
  command: readonly string[];
  headSha: string | null;
  startedAtMs: number;
  timeoutMs: number;
  deadlineMs: number;
  /** The wrapper's pid (= its process group); null until spawned. */
  pid: number | null;
  finished: SelfDeployResult | null;
}

/** What a look at a pending hook found. `alive: null` = unknown (no pid recorded). */
export interface HookObservation {
  exitCode: number | null;
  alive: boolean | null;
}

export type SelfDeployStep =
  /** Still running (or unknown) before its deadline: look again later. */
  | { kind: 'wait' }
  /** The wrapper recorded an exit code: finalise from it. */
  | { kind: 'exited'; exitCode: number }
  /** Past its deadline without a result: kill its group if it is ours and alive, then FAILED. */
  | { kind: 'timed_out'; kill: boolean }
  /** Gone without an exit code (killed with Orch, a reboot): FAILED. */
  | { kind: 'lost' };

/** The next step for a pending (not finished) launch. Pure. */
export function decideSelfDeploy(
  state: Pick<SelfDeployState, 'deadlineMs'>,
  seen: HookObservation,
  nowMs: number,
): SelfDeployStep {
  if (seen.exitCode !== null) return { kind: 'exited', exitCode: seen.exitCode };
  if (seen.alive === false) return { kind: 'lost' };
  if (nowMs >= state.deadlineMs) return { kind: 'timed_out', kill: seen.alive === true };
  return { kind: 'wait' };
}

/** How the self-deploy went, for a gate reason: `exit code 3`, `exit code 0; unhealthy: …`. */
export function describeResult(result: SelfDeployResult): string {
  const h = result.health;
  return h && !h.ok ? `${result.how}; health check failed: ${h.detail}` : result.how;
}

/** `600 s`, `1.5 s`: a duration for humans. Pure. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * The deploy log Orch writes for a finished self-deploy. Pure: the same state gives the same
 * bytes, so writing it again (a duplicate re-check, a second start-up) changes nothing.
 */
export function renderDeployLog(state: SelfDeployState, result: SelfDeployResult): string {
  const front = [
    `deploy_status: ${result.ok ? 'SUCCESS' : 'FAILED'}`,
    'written_by: orch',
    `work_item: ${state.workItemId}`,
    `hook_exit_code: ${result.exitCode ?? 'null'}`,
    'deployed_by: self-deploy',
  ];
  const started = new Date(state.startedAtMs).toISOString();
  const finished = new Date(result.finishedAtMs).toISOString();
  const lines = [
    `## Self-deploy hook\n\n\`${state.command.join(' ')}\`: ${result.how}\n\n` +
      `Head ${state.headSha ?? 'unknown'}; started ${started}, finalised ${finished}.\n\n` +
      `\`\`\`\n${result.outputTail}\n\`\`\``,
  ];
  if (result.health)
    lines.push(
      `## Health check\n\n${result.health.url}: ${result.health.ok ? 'healthy' : 'unhealthy'} after ${result.health.attempts} probe(s) — ${result.health.detail}`,
    );
  return `---\n${front.join('\n')}\n---\n# Production deploy (${state.workItemId})\n\n${lines.join('\n\n')}\n`;
}

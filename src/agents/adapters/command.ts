import { OrchError } from '../../errors.js';
import type { AdapterContext, AgentAdapter } from '../runner.js';
import { ClaudeCodeParser } from './claude-code-parser.js';

/** Fills `{taskFile} {worktree} {role} {jobId} {runId}` in one argv element. */
export function fillPlaceholders(arg: string, ctx: AdapterContext): string {
  const values: Record<string, string> = {
    taskFile: ctx.taskFile,
    worktree: ctx.worktree,
    role: ctx.role,
    jobId: String(ctx.jobId),
    runId: String(ctx.runId),
  };
  return arg.replace(/\{(taskFile|worktree|role|jobId|runId)\}/g, (_, k: string) => values[k]!);
}

/**
 * Any argv (scanners, scripts, other agent CLIs). The exit code decides, unless the command prints
 * a Claude-style stream-json `result` line, which then wins (so scripts can report cost/tokens).
 */
export const commandAdapter: AgentAdapter = {
  name: 'command',
  requiresResult: false,
  buildArgv(ctx: AdapterContext): string[] {
    if (!ctx.command || ctx.command.length === 0) {
      throw new OrchError(
        'AGENT_CONFIG_INVALID',
        `role "${ctx.role}" uses adapter command but has no command argv`,
      );
    }
    return ctx.command.map((a) => fillPlaceholders(a, ctx));
  },
  versionArgv: () => null,
  probeArgv: () => null,
  runEnv: () => ({}),
  createParser: () => new ClaudeCodeParser(),
};

import type { AdapterContext, AgentAdapter } from '../runner.js';
import { CodexParser } from './codex-parser.js';

/**
 * OpenAI Codex (spec integrations §3.2): `codex exec --json --full-auto -C <worktree> <prompt>`.
 * Exec mode forces approval `never`; `--full-auto` is workspace-write with the network off.
 */
export const codexAdapter: AgentAdapter = {
  name: 'codex',
  requiresResult: true,
  buildArgv(ctx: AdapterContext): string[] {
    const argv = [...(ctx.command ?? ['codex']), 'exec', '--json'];
    if (ctx.permissionMode === 'bypassPermissions')
      argv.push('--dangerously-bypass-approvals-and-sandbox');
    else argv.push('--full-auto');
    argv.push('-C', ctx.worktree);
    if (ctx.model) argv.push('-m', ctx.model);
    argv.push(...ctx.extraArgs, ctx.prompt);
    return argv;
  },
  versionArgv: (ctx) => [...(ctx.command ?? ['codex']), '--version'],
  createParser: () => new CodexParser(),
};

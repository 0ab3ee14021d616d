import type { AdapterContext, AgentAdapter } from '../runner.js';
import { ClaudeCodeParser } from './claude-code-parser.js';

/**
 * Claude Code headless (spec integrations §3.1): `claude -p <prompt> --output-format stream-json
 * --verbose` with stdin closed (an open stdin can hang startup). The prompt points at the task
 * file; permissions come from the role profile.
 */
export const claudeCodeAdapter: AgentAdapter = {
  name: 'claude-code',
  requiresResult: true,
  buildArgv(ctx: AdapterContext): string[] {
    const argv = [...(ctx.command ?? ['claude'])];
    argv.push('-p', ctx.prompt, '--output-format', 'stream-json', '--verbose');
    argv.push('--permission-mode', ctx.permissionMode ?? 'acceptEdits');
    if (ctx.allowedTools.length > 0) argv.push('--allowedTools', ctx.allowedTools.join(','));
    if (ctx.model) argv.push('--model', ctx.model);
    argv.push(...ctx.extraArgs);
    return argv;
  },
  versionArgv: (ctx) => [...(ctx.command ?? ['claude']), '--version'],
  createParser: () => new ClaudeCodeParser(),
};

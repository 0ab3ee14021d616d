import type { AdapterContext, AgentAdapter, ArgvContext } from '../runner.js';
import { ClaudeCodeParser } from './claude-code-parser.js';

/** The flags of a headless run after `-p <prompt>` (also what preflight probes). */
function claudeFlags(ctx: ArgvContext): string[] {
  const argv = ['--output-format', 'stream-json', '--verbose'];
  argv.push('--permission-mode', ctx.permissionMode ?? 'acceptEdits');
  if (ctx.allowedTools.length > 0) argv.push('--allowedTools', ctx.allowedTools.join(','));
  if (ctx.model) argv.push('--model', ctx.model);
  argv.push(...ctx.extraArgs);
  return argv;
}

/**
 * Claude Code headless (spec integrations §3.1): `claude -p <prompt> --output-format stream-json
 * --verbose` with stdin closed (an open stdin can hang startup). The prompt points at the task
 * file; permissions come from the role profile. `CLAUDE_CODE_MAX_RETRIES` is set from the profile
 * (default 1): left alone the CLI retries a failing API up to 10 times, about 3 minutes of a
 * silent run (measured with 2.1.197), before Orch can back off or feed the breaker. One retry is
 * kept because only a retry prints the `api_retry` line carrying the server's `retry-after`.
 */
export const claudeCodeAdapter: AgentAdapter = {
  name: 'claude-code',
  requiresResult: true,
  buildArgv(ctx: AdapterContext): string[] {
    // `--max-budget-usd` exists in the pinned CLI (2.1.197 `--help`); only set with a perRunUsd.
    const budget =
      ctx.maxBudgetUsd === undefined ? [] : ['--max-budget-usd', String(ctx.maxBudgetUsd)];
    return [...(ctx.command ?? ['claude']), '-p', ctx.prompt, ...claudeFlags(ctx), ...budget];
  },
  versionArgv: (ctx) => [...(ctx.command ?? ['claude']), '--version'],
  // commander validates option values (permission mode, output format) before printing help.
  probeArgv: (ctx) => [
    ...(ctx.command ?? ['claude']),
    '-p',
    'preflight',
    ...claudeFlags(ctx),
    '--help',
  ],
  runEnv: (ctx) => ({ CLAUDE_CODE_MAX_RETRIES: String(ctx.cliMaxRetries) }),
  createParser: () => new ClaudeCodeParser(),
};

import type { AdapterContext, AgentAdapter, ArgvContext } from '../runner.js';
import { CodexParser } from './codex-parser.js';

/**
 * The sandbox flag for a permission mode: `bypassPermissions` → no sandbox at all (only for
 * externally sandboxed hosts), `plan` → read-only, anything else → workspace-write.
 */
function sandboxFlags(permissionMode: string | undefined): string[] {
  if (permissionMode === 'bypassPermissions') return ['--dangerously-bypass-approvals-and-sandbox'];
  if (permissionMode === 'plan') return ['--sandbox', 'read-only'];
  return ['--sandbox', 'workspace-write'];
}

/**
 * Selects the profile's model provider and sets its retry budgets. Codex has no environment
 * variable for them and refuses to override the built-in `openai` provider, so budgets apply to
 * a provider defined in `$CODEX_HOME/config.toml` and named in the profile.
 */
function providerFlags(ctx: ArgvContext): string[] {
  const p = ctx.provider;
  if (!p) return [];
  const n = ctx.cliMaxRetries;
  return [
    '-c',
    `model_provider="${p}"`,
    '-c',
    `model_providers.${p}.request_max_retries=${n}`,
    '-c',
    `model_providers.${p}.stream_max_retries=${n}`,
  ];
}

/** Everything after `codex` except the prompt. */
function codexFlags(ctx: ArgvContext, worktree: string): string[] {
  const argv = ['exec', '--json', ...sandboxFlags(ctx.permissionMode), '-C', worktree];
  argv.push(...providerFlags(ctx));
  if (ctx.model) argv.push('-m', ctx.model);
  argv.push(...ctx.extraArgs);
  return argv;
}

/**
 * OpenAI Codex 0.171 (spec integrations §3.2): `codex exec --json --sandbox workspace-write -C
 * <worktree> <prompt>`. Exec mode never asks for approval. `--full-auto` was removed from the CLI
 * (0.171 exits 2 with "unexpected argument"); `--dangerously-bypass-approvals-and-sandbox` only
 * when the profile asks for `bypassPermissions`.
 */
export const codexAdapter: AgentAdapter = {
  name: 'codex',
  requiresResult: true,
  buildArgv(ctx: AdapterContext): string[] {
    return [...(ctx.command ?? ['codex']), ...codexFlags(ctx, ctx.worktree), ctx.prompt];
  },
  versionArgv: (ctx) => [...(ctx.command ?? ['codex']), '--version'],
  // clap rejects an unknown flag or value (exit 2) before it prints help.
  probeArgv: (ctx) => [...(ctx.command ?? ['codex']), ...codexFlags(ctx, '.'), '--help'],
  runEnv: () => ({}),
  createParser: () => new CodexParser(),
};

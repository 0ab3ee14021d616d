import type { AdapterContext, AgentAdapter } from '../runner.js';
import { AiderParser } from './aider-parser.js';

/**
 * Aider scripting mode (spec integrations §3.3): `aider --message-file <task> --yes-always
 * --no-auto-commits`. Aider exits 0 even when the LLM failed, so its parser reports litellm
 * errors and the pipeline's gates decide whether the work is there.
 */
export const aiderAdapter: AgentAdapter = {
  name: 'aider',
  requiresResult: false,
  buildArgv(ctx: AdapterContext): string[] {
    const argv = [...(ctx.command ?? ['aider'])];
    argv.push('--message-file', ctx.taskFile, '--yes-always', '--no-auto-commits');
    argv.push('--no-pretty', '--no-stream', '--analytics-disable');
    if (ctx.model) argv.push('--model', ctx.model);
    argv.push(...ctx.extraArgs);
    return argv;
  },
  versionArgv: (ctx) => [...(ctx.command ?? ['aider']), '--version'],
  probeArgv: (ctx) => [...(ctx.command ?? ['aider']), '--version'],
  runEnv: () => ({}),
  createParser: () => new AiderParser(),
};

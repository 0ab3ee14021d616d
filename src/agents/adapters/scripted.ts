import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AdapterContext, AgentAdapter } from '../runner.js';
import { ClaudeCodeParser } from './claude-code-parser.js';

let bundledEntry: string | null = null;

/**
 * Runs the scripted agent from `path`, the light entry point bundled into one plain JS file, or
 * (null) from the files beside this one again. From source every start costs ~350 ms of CPU in
 * tsx; the test run bundles the entry point once (test/helpers/sim-agent-bundle.ts) so that its
 * hundreds of simulated runs start like a compiled CLI's.
 */
export function useSimAgentBundle(path: string | null): void {
  bundledEntry = path;
}

/**
 * argv that runs the scripted agent's light entry point (src/agents/sim-agent/main.ts) in a child
 * process: the bundle when one is set (`useSimAgentBundle`), `node …/main.js` when compiled,
 * `node --import <tsx> …/main.ts` from source. tsx is given as an absolute URL because the child's
 * working directory is the worktree, where `tsx` would not resolve.
 */
export function orchCliArgv(): string[] {
  if (bundledEntry !== null) return [process.execPath, bundledEntry];
  const js = fileURLToPath(new URL('../sim-agent/main.js', import.meta.url));
  if (existsSync(js)) return [process.execPath, js];
  const ts = fileURLToPath(new URL('../sim-agent/main.ts', import.meta.url));
  return [process.execPath, '--import', import.meta.resolve('tsx'), ts];
}

/**
 * The built-in deterministic demo agent (`orch sim-agent`), spawned as a real child process through
 * the same runner path as real agents; it prints Claude-style stream-json, so the same parser and
 * classifier judge it. `command` (optional) replaces the `node …/main` prefix, e.g. `['orch']`.
 */
export const scriptedAdapter: AgentAdapter = {
  name: 'scripted',
  requiresResult: true,
  buildArgv(ctx: AdapterContext): string[] {
    // A configured command (e.g. `['orch']`) runs the full CLI's `sim-agent` subcommand.
    const prefix = ctx.command ? [...ctx.command, 'sim-agent'] : orchCliArgv();
    return [
      ...prefix,
      '--role',
      ctx.role,
      '--worktree',
      ctx.worktree,
      '--task-file',
      ctx.taskFile,
      ...ctx.extraArgs,
    ];
  },
  versionArgv: () => null,
  probeArgv: () => null,
  runEnv: () => ({}),
  createParser: () => new ClaudeCodeParser(),
};

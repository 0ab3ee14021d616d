import { spawn } from 'node:child_process';
import { childBaseEnv } from '../config/child-env.js';

export interface CommandResult {
  exitCode: number | null;
  timedOut: boolean;
  /** The last `tailBytes` of stdout and stderr, interleaved as they arrived. */
  tail: string;
  error: string | null;
}

/**
 * Runs a command in its own process group with a timeout (SIGTERM, then SIGKILL after 2 s),
 * keeping only the tail of its output so a chatty test suite cannot exhaust memory.
 */
export function runCommand(
  argv: readonly string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv; tailBytes?: number },
): Promise<CommandResult> {
  const tailBytes = options.tailBytes ?? 4000;
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    if (!cmd) return resolve({ exitCode: null, timedOut: false, tail: '', error: 'empty command' });
    let tail = '';
    let timedOut = false;
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      // The repo's (agent-written) tests get the allowlisted base, never Orch's environment.
      env: options.env ?? childBaseEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      tail = (tail + d.toString('utf8')).slice(-tailBytes);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 2000).unref();
    }, options.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ exitCode: null, timedOut, tail, error: err.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, timedOut, tail, error: null });
    });
  });
}

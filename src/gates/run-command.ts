import { runChildProcess } from '../process/child-process.js';

export interface CommandResult {
  exitCode: number | null;
  timedOut: boolean;
  /** The last `tailChars` of stdout and stderr, interleaved as they arrived. */
  tail: string;
  error: string | null;
}

/**
 * Runs a repository's command (its test suite) through the child-process helper: own process
 * group, the given environment only, a timeout (SIGTERM, then SIGKILL after 2 s), and only the
 * tail of its output kept so a chatty suite cannot exhaust memory. The verdict comes from the
 * command's exit: a background process it leaves behind is killed, and does not hold the result.
 */
export async function runCommand(
  argv: readonly string[],
  options: {
    cwd: string;
    timeoutMs: number;
    env: Readonly<Record<string, string>>;
    tailChars?: number;
  },
): Promise<CommandResult> {
  const r = await runChildProcess({
    argv,
    cwd: options.cwd,
    env: options.env,
    output: { kind: 'tail', maxChars: options.tailChars ?? 4000 },
    timeoutMs: options.timeoutMs,
    killGraceMs: 2_000,
  });
  return {
    exitCode: r.exitCode,
    timedOut: r.killReason === 'timeout',
    tail: r.tail,
    error: r.spawnError?.message ?? null,
  };
}

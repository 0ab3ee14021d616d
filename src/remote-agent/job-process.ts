import { ChildProcess } from '../process/child-process.js';

export interface JobProcess {
  readonly pid: number | null;
  /**
   * Resolves with the exit code (127 when the command could not start) or null on a signal, and
   * the last `STDERR_TAIL_CHARS` of what the command wrote to stderr.
   */
  readonly exited: Promise<JobExit>;
  /** SIGTERM to the whole process group, SIGKILL after the grace if it is still there. */
  kill(): void;
}

export interface JobExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
}

/** Enough of a failed command's stderr for its last lines to explain the failure. */
const STDERR_TAIL_CHARS = 4_096;

/**
 * Starts `command` for one job through the child-process helper (own process group, killed with
 * the leader), with the payload JSON on stdin and in `ORCH_JOB_PAYLOAD`. Output goes to the
 * agent's own stdout and stderr; the end of stderr is kept as well, for the failure's reason.
 * `env` is the base environment plus the job's variables: nothing else from the agent's
 * environment (its token) reaches the command.
 */
export function startJobProcess(
  command: readonly string[],
  input: { payloadJson: string; env: Readonly<Record<string, string>>; killGraceMs: number },
): JobProcess {
  const child = new ChildProcess<'stop'>({
    argv: command,
    cwd: process.cwd(),
    env: { ...input.env, ORCH_JOB_PAYLOAD: input.payloadJson },
    output: { kind: 'inherit', stderrTailChars: STDERR_TAIL_CHARS },
    stdin: input.payloadJson,
    killGraceMs: input.killGraceMs,
  });
  return {
    pid: child.pid,
    exited: child.done.then((r) =>
      r.spawnError
        ? {
            code: 127,
            signal: null,
            stderrTail: `cannot start ${command[0]}: ${r.spawnError.message}`,
          }
        : { code: r.exitCode, signal: r.signal, stderrTail: r.tail },
    ),
    kill: () => child.kill('stop'),
  };
}

import { spawn, type ChildProcess } from 'node:child_process';

export interface JobProcess {
  readonly pid: number | undefined;
  /** Resolves with the exit code, or null when killed by a signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs` if it is still there. */
  kill(graceMs: number): void;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    // Negative pid: the process group (the child is a group leader: detached).
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Starts `command` for one job in its own process group, with the payload JSON on stdin and in
 * `ORCH_JOB_PAYLOAD`. Output goes to the agent's own stdout/stderr.
 */
export function startJobProcess(
  command: readonly string[],
  input: { payloadJson: string; env: Record<string, string> },
): JobProcess {
  const [file, ...args] = command;
  const child = spawn(file!, args, {
    detached: true,
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, ...input.env, ORCH_JOB_PAYLOAD: input.payloadJson },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', () => resolve({ code: 127, signal: null }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(input.payloadJson);
  let killTimer: NodeJS.Timeout | undefined;
  return {
    pid: child.pid,
    exited,
    kill(graceMs) {
      signalGroup(child, 'SIGTERM');
      // Not cleared when the leader exits: the rest of its group may still be running.
      killTimer ??= setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
      killTimer.unref();
    },
  };
}

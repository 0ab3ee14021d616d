import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Is the process alive? Never throws; conservative: when in doubt, alive (spec reaper.md §5).
 * Only positive integers are probed — `kill(0, …)` and negative pids address process groups.
 * ESRCH means dead; EPERM (exists, another user) and anything else mean alive.
 */
export function pidAlive(pid: number | null | undefined): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export type PidAlive = (pid: number | null | undefined) => boolean;

/** The host part of a lease owner `host:pid` (the worker's owner format), or null. */
export function ownerHost(owner: string | null): string | null {
  if (!owner) return null;
  const i = owner.lastIndexOf(':');
  return i > 0 ? owner.slice(0, i) : null;
}

/** The pid part of a lease owner `host:pid`, or null when it is not a pid. */
export function ownerPid(owner: string | null): number | null {
  if (!owner) return null;
  const n = Number(owner.slice(owner.lastIndexOf(':') + 1));
  return Number.isInteger(n) && n > 0 ? n : null;
}

export function localHost(): string {
  return hostname();
}

/**
 * True when `pid` is verifiably the agent process of job `jobId` (Linux: its environment carries
 * `ORCH_JOB_ID=<jobId>`). False when it is not, or cannot be checked — then it is never killed.
 */
export function isAgentOfJob(pid: number, jobId: number): boolean {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    return env.split('\0').includes(`ORCH_JOB_ID=${jobId}`);
  } catch {
    return false;
  }
}

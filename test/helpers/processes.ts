import { readFileSync } from 'node:fs';

/**
 * Alive and not a zombie: `process.kill(pid, 0)` succeeds, and /proc does not show state Z (an
 * orphan reparented to a PID 1 that does not reap stays a zombie after it was killed).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Waits until `pid` is gone (a SIGKILLed process disappears asynchronously); true when it went,
 * false when it was still there after `withinMs`.
 */
export async function processGone(pid: number, withinMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

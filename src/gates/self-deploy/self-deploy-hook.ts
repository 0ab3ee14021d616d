import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pidAlive } from '../../recovery/process-liveness.js';

/**
 * The wrapper the hook runs under (`sh -c`, `$1` = the launch's state directory, the rest = the
 * hook's argv, never parsed by a shell): output to `output.log`, then the exit code to `exit-code`
 * by rename, so a reader sees the whole number or nothing. Orch does not wait for it — the hook
 * restarts Orch — so everything the finaliser needs is on disk.
 */
const WRAPPER = [
  'd=$1; shift',
  '"$@" >"$d/output.log" 2>&1 </dev/null',
  'code=$?',
  'printf "%s\\n" "$code" >"$d/exit-code.tmp" && mv -f "$d/exit-code.tmp" "$d/exit-code"',
].join('\n');

export type HookLaunch = { kind: 'started'; pid: number } | { kind: 'error'; message: string };

/**
 * Starts the hook detached: its own session and process group (`detached`), no pipes to Orch
 * (`stdio: 'ignore'`), not holding Orch's event loop (`unref`), so Orch stopping or restarting
 * does not stop it. Resolves once it is spawned, or with the spawn error.
 */
export function launchHook(o: {
  argv: readonly string[];
  stateDir: string;
  cwd: string;
  env: Readonly<Record<string, string>>;
}): Promise<HookLaunch> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'orch-self-deploy', o.stateDir, ...o.argv], {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: 'ignore',
    });
    child.once('error', (err) => resolve({ kind: 'error', message: err.message }));
    child.once('spawn', () => {
      child.unref();
      resolve({ kind: 'started', pid: child.pid! });
    });
  });
}

/**
 * Is the hook's wrapper still running? A dead pid is not; a live pid is the hook only if its
 * environment carries the launch id (Linux `/proc`), which rules out a reused pid and a zombie
 * (whose environment reads empty). Where `/proc` cannot be read, a live pid counts as the hook.
 */
export function hookAlive(pid: number, launchId: string): boolean {
  if (!pidAlive(pid)) return false;
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
  } catch {
    return true;
  }
  return environ.split('\0').includes(`ORCH_SELF_DEPLOY_ID=${launchId}`);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Stops the hook's process group: SIGTERM, then SIGKILL after `graceMs` (or once the wrapper is
 * gone) for whatever of the group is left. Only a verified hook is signalled (`hookAlive`), never
 * whatever reuses its pid; the kernel does not hand out a pid still used as a group id.
 */
export async function killHook(pid: number, launchId: string, graceMs = 2000): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pid, s);
    } catch {
      // the group is gone
    }
  };
  if (!hookAlive(pid, launchId)) return;
  signal('SIGTERM');
  for (let waited = 0; waited < graceMs && hookAlive(pid, launchId); waited += 100)
    await sleep(100);
  signal('SIGKILL');
}

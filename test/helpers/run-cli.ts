import { spawnSync } from 'node:child_process';

/** Runs `orch` from source as a real process; returns its exit code and output. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = process.cwd()) {
  const res = spawnSync(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), `${process.cwd()}/src/cli/main.ts`, ...args],
    {
      cwd,
      env: { ...process.env, ORCH_LOG_LEVEL: 'silent', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

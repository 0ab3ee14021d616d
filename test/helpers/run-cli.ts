import { spawnSync } from 'node:child_process';
import { runCli as runOrch } from '../../src/cli/cli.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `orch` from source as a real process; returns its exit code and output. Each run loads
 * tsx and the whole CLI (2–3 s of CPU on these machines), so most tests use `orchInProcess`;
 * keep this for what only a process shows (the entry point, signals, exit).
 */
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

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs the same `orch` program as `src/cli/main.ts` in this process, as a real run would see it:
 * `env` on top of this process's environment, `cwd` as the working directory, stdout and stderr
 * captured, and the exit code the entry point would set. Those are process-wide, so calls run
 * one at a time and everything is restored afterwards. Not for commands that keep running
 * (`serve`, `agent`) or exit the process.
 */
export function orchInProcess(
  args: string[],
  env: Record<string, string> = {},
  cwd = process.cwd(),
): Promise<CliResult> {
  const run = queue.then(() => runSwapped(args, { ORCH_LOG_LEVEL: 'silent', ...env }, cwd));
  queue = run.catch(() => undefined);
  return run;
}

async function runSwapped(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<CliResult> {
  const savedEnv = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedCwd = process.cwd();
  const out = { stdout: '', stderr: '' };
  // Restored as they were: the stream's own write, not a bound copy.
  const write = {
    stdout: Object.getOwnPropertyDescriptor(process.stdout, 'write'),
    stderr: Object.getOwnPropertyDescriptor(process.stderr, 'write'),
  };
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      out[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
  Object.assign(process.env, env);
  process.chdir(cwd);
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  process.exitCode = undefined;
  try {
    const code = await runOrch(args);
    return { code, ...out };
  } finally {
    restore(process.stdout, write.stdout);
    restore(process.stderr, write.stderr);
    process.exitCode = undefined;
    process.chdir(savedCwd);
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function restore(stream: NodeJS.WriteStream, own: PropertyDescriptor | undefined): void {
  if (own) Object.defineProperty(stream, 'write', own);
  else delete (stream as { write?: unknown }).write;
}

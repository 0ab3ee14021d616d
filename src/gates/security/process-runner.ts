import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { runChildProcess } from '../../process/child-process.js';

/** How a scanner call ended; a non-zero exit code is a normal outcome, not an error. */
export type RunOutcome =
  | { kind: 'exit'; rc: number; stdout: string; stderr: string }
  | { kind: 'signal'; signal: string; stdout: string; stderr: string }
  | { kind: 'timeout'; stdout: string; stderr: string }
  | { kind: 'not-found' }
  | { kind: 'overflow' }
  | { kind: 'spawn-error'; message: string };

export interface RunOptions {
  readonly cwd: string;
  readonly timeoutMs: number;
  /** The scanner's complete environment (config/child-env.ts `childBaseEnv`). */
  readonly env: Readonly<Record<string, string>>;
  /** Output cap per stream; npm audit JSON can be several MB. */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Finds an executable the way a shell would, on the given PATH string (the gate never reads
 * `process.env`; the caller passes PATH in its config). A name with a slash is checked as is.
 */
export function findExecutable(name: string, searchPath: string): string | null {
  const candidates = name.includes('/')
    ? [name]
    : searchPath
        .split(delimiter)
        .filter((d) => d !== '' && isAbsolute(d))
        .map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

/**
 * Runs argv without a shell through the child-process helper (own process group — npm, pip-audit
 * and gitleaks spawn children — and exactly `opts.env`), and never rejects. On timeout or when an
 * output stream passes `maxBytes`, the whole group is killed.
 */
export async function runCommand(argv: readonly string[], opts: RunOptions): Promise<RunOutcome> {
  if (argv.length === 0) return { kind: 'spawn-error', message: 'empty argv' };
  const r = await runChildProcess({
    argv,
    cwd: opts.cwd,
    env: opts.env,
    output: { kind: 'capture', maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES },
    timeoutMs: opts.timeoutMs,
  });
  if (r.spawnError) {
    return r.spawnError.code === 'ENOENT'
      ? { kind: 'not-found' }
      : { kind: 'spawn-error', message: r.spawnError.message };
  }
  const text = { stdout: r.stdout, stderr: r.stderr };
  if (r.killReason === 'overflow') return { kind: 'overflow' };
  if (r.killReason === 'timeout') return { kind: 'timeout', ...text };
  if (r.exitCode !== null) return { kind: 'exit', rc: r.exitCode, ...text };
  return { kind: 'signal', signal: r.signal ?? 'unknown', ...text };
}

/** The last 200 characters of stderr+stdout, for error details (spec §6.2). */
export function outputTail(o: { stdout: string; stderr: string }, max = 200): string {
  return `${o.stderr}${o.stdout}`.trim().slice(-max);
}

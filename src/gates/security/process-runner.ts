import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { childBaseEnv } from '../../config/child-env.js';

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
  /** Output cap per stream; npm audit JSON can be several MB. */
  readonly maxBytes?: number;
  /** Default: the allowlisted base (config/child-env.ts), never Orch's own environment. */
  readonly env?: Readonly<Record<string, string>>;
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

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    // Negative pid: the whole process group (npm, pip-audit and gitleaks spawn children).
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Runs argv without a shell, in its own process group, and never rejects. On timeout or when an
 * output stream passes `maxBytes`, the whole group is killed with SIGKILL.
 */
export function runCommand(argv: readonly string[], opts: RunOptions): Promise<RunOutcome> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.resolve({ kind: 'spawn-error', message: 'empty argv' });
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const sizes = { out: 0, err: 0 };
    let settled: RunOutcome | null = null;
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...(opts.env ?? childBaseEnv()) },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const text = () => ({
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    });
    const finish = (o: RunOutcome) => {
      if (settled) return;
      settled = o;
      clearTimeout(timer);
      resolve(o);
    };
    const timer = setTimeout(() => {
      killGroup(child.pid);
      finish({ kind: 'timeout', ...text() });
    }, opts.timeoutMs);
    const onData = (into: Buffer[], which: 'out' | 'err') => (chunk: Buffer) => {
      sizes[which] += chunk.length;
      if (sizes[which] > maxBytes) {
        killGroup(child.pid);
        finish({ kind: 'overflow' });
      } else into.push(chunk);
    };
    child.stdout.on('data', onData(out, 'out'));
    child.stderr.on('data', onData(err, 'err'));
    child.on('error', (e: NodeJS.ErrnoException) => {
      finish(
        e.code === 'ENOENT' ? { kind: 'not-found' } : { kind: 'spawn-error', message: e.message },
      );
    });
    child.on('close', (code, signal) => {
      if (code !== null) finish({ kind: 'exit', rc: code, ...text() });
      else finish({ kind: 'signal', signal: signal ?? 'unknown', ...text() });
    });
  });
}

/** The last 200 characters of stderr+stdout, for error details (spec §6.2). */
export function outputTail(o: { stdout: string; stderr: string }, max = 200): string {
  return `${o.stderr}${o.stdout}`.trim().slice(-max);
}

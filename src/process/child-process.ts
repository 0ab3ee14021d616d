import {
  spawn,
  type ChildProcess as NodeChildProcess,
  type StdioOptions,
} from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { assertNever } from '../errors.js';

/** Where the child's stdout and stderr go. */
export type ChildOutput =
  /** Both appended to this file: no pipe that can fill up and block (agents). */
  | { kind: 'file'; path: string }
  /**
   * Orch's own stdout and stderr (the remote agent's job command). With `stderrTailChars`, stderr
   * is passed on to Orch's stderr through a pipe, and its last that many characters are kept in
   * `tail` too. The child then no longer sees a terminal there, and Orch writes what it passes on
   * as it writes its own log lines: synchronously, so a reader of Orch's stderr that stops
   * reading holds up Orch as well as the child.
   */
  | { kind: 'inherit'; stderrTailChars?: number }
  /** Both, interleaved as they arrive; only the last `maxChars` are kept (test commands, probes). */
  | { kind: 'tail'; maxChars: number }
  /** Each stream in full up to `maxBytes`; past that the group is killed with reason `overflow`. */
  | { kind: 'capture'; maxBytes: number };

export interface ChildSpec {
  argv: readonly string[];
  cwd: string;
  /** The child's complete environment. Nothing from `process.env` is added. */
  env: Readonly<Record<string, string>>;
  output: ChildOutput;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  stdin?: string | undefined;
  /** After this long the group is killed with reason `timeout`. Default: no limit. */
  timeoutMs?: number | undefined;
  /** SIGTERM to the group, then SIGKILL after this long. Default 2000 ms. */
  killGraceMs?: number | undefined;
  /** How long after the leader's exit output still in the pipes is read. Default 1000 ms. */
  drainMs?: number | undefined;
}

/** Kill reasons the helper sets itself; callers add their own with the type parameter. */
export type BuiltinKillReason = 'timeout' | 'overflow';

export interface ChildExit<R extends string = never> {
  /** The leader's pid, which is also the process group id; null when nothing was started. */
  pid: number | null;
  /** The leader's exit code; null when a signal ended it or it never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why Orch killed the group; null when the leader ended on its own. */
  killReason: R | BuiltinKillReason | null;
  /** Set when no process could be started (`code` ENOENT: no such binary or cwd). */
  spawnError: { code: string | null; message: string } | null;
  /** `capture` output (empty otherwise). */
  stdout: string;
  stderr: string;
  /** `tail` output, or an `inherit` child's stderr tail (empty otherwise). */
  tail: string;
}

const DEFAULT_KILL_GRACE_MS = 2_000;
const DEFAULT_DRAIN_MS = 1_000;

/**
 * One child process, the only way Orch starts one. Guarantees:
 * - it leads its own process group (detached), so a kill reaches everything it started;
 * - `pid` is known when the constructor returns: record it before doing anything that can fail,
 *   and `kill()` the group if that later step fails;
 * - `done` resolves when the leader *exits* (never rejects). A background process left holding
 *   the output pipe does not delay it: on exit the whole group is SIGKILLed, the output already
 *   in the pipes is read for at most `drainMs`, then the pipes are closed;
 * - a timeout or `kill(reason)` sends SIGTERM to the group, then SIGKILL after `killGraceMs`;
 *   the first reason is kept in `killReason`;
 * - the environment is exactly `spec.env`;
 * - a failure to start (missing binary or cwd, unopenable output file) is `spawnError`, not a throw.
 */
export class ChildProcess<R extends string = never> {
  readonly pid: number | null;
  readonly done: Promise<ChildExit<R>>;
  readonly #spec: ChildSpec;
  #killReason: R | BuiltinKillReason | null = null;
  #exited = false;
  #timeoutTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  readonly #captured = {
    stdout: [] as Buffer[],
    stderr: [] as Buffer[],
    stdoutBytes: 0,
    stderrBytes: 0,
  };
  #tail = '';

  constructor(spec: ChildSpec) {
    this.#spec = spec;
    const started = startChild(spec);
    this.pid = started.child?.pid ?? null;
    if (started.child === null) {
      this.done = Promise.resolve(this.#result({ code: null, signal: null }, started.error));
      return;
    }
    const child = started.child;
    this.#collect(child);
    if (spec.timeoutMs !== undefined) {
      this.#timeoutTimer = setTimeout(() => this.#kill('timeout'), spec.timeoutMs);
    }
    this.done = this.#run(child);
  }

  /** Starts the kill sequence for the whole group (idempotent; the first reason sticks). */
  kill(reason: R): void {
    this.#kill(reason);
  }

  #kill(reason: R | BuiltinKillReason): void {
    if (this.#exited || this.#killReason !== null || this.pid === null) return;
    this.#killReason = reason;
    this.#signalGroup('SIGTERM');
    const graceMs = this.#spec.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.#graceTimer = setTimeout(() => this.#signalGroup('SIGKILL'), graceMs);
  }

  #signalGroup(signal: NodeJS.Signals): void {
    if (this.pid !== null) signalProcessGroup(this.pid, signal);
  }

  async #run(child: NodeChildProcess): Promise<ChildExit<R>> {
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const ended = await new Promise<Ended>((resolve) => {
      child.on('error', (err: NodeJS.ErrnoException) => {
        // Only a failed spawn has no pid; other errors (none expected) do not end the process.
        if (child.pid === undefined)
          resolve({ code: null, signal: null, error: spawnErrorOf(err) });
      });
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.#exited = true;
    clearTimeout(this.#timeoutTimer);
    clearTimeout(this.#graceTimer);
    // Whatever the leader left behind in its group (`sleep 1000 &`) dies with it.
    this.#signalGroup('SIGKILL');
    await drain(child, closed, this.#spec.drainMs ?? DEFAULT_DRAIN_MS);
    return this.#result(ended, ended.error ?? null);
  }

  #collect(child: NodeChildProcess): void {
    child.stdin?.on('error', () => undefined); // EPIPE when the child never reads its input
    if (this.#spec.stdin !== undefined) child.stdin?.end(this.#spec.stdin);
    const out = this.#spec.output;
    if (out.kind === 'tail') {
      const keep = (text: string) => {
        this.#tail = (this.#tail + text).slice(-out.maxChars);
      };
      for (const s of [child.stdout, child.stderr]) s?.setEncoding('utf8').on('data', keep);
    } else if (out.kind === 'inherit' && out.stderrTailChars !== undefined) {
      const maxChars = out.stderrTailChars;
      child.stderr?.setEncoding('utf8').on('data', (text: string) => {
        this.#tail = (this.#tail + text).slice(-maxChars);
        process.stderr.write(text);
      });
    } else if (out.kind === 'capture') {
      this.#capture(child.stdout, 'stdout', out.maxBytes);
      this.#capture(child.stderr, 'stderr', out.maxBytes);
    }
  }

  #capture(stream: Readable | null, which: 'stdout' | 'stderr', maxBytes: number): void {
    const c = this.#captured;
    const bytesKey = which === 'stdout' ? 'stdoutBytes' : 'stderrBytes';
    stream?.on('data', (chunk: Buffer) => {
      if (this.#killReason === 'overflow') return;
      c[bytesKey] += chunk.length;
      if (c[bytesKey] > maxBytes) this.#kill('overflow');
      else c[which].push(chunk);
    });
  }

  #result(
    ended: { code: number | null; signal: NodeJS.Signals | null },
    spawnError: ChildExit['spawnError'],
  ): ChildExit<R> {
    return {
      pid: this.pid,
      exitCode: ended.code,
      signal: ended.signal,
      killReason: this.#killReason,
      spawnError,
      stdout: Buffer.concat(this.#captured.stdout).toString('utf8'),
      stderr: Buffer.concat(this.#captured.stderr).toString('utf8'),
      tail: this.#tail,
    };
  }
}

/**
 * Sends `signal` to the process group `pgid` (a detached child's pid); false when the group is
 * already gone. For groups Orch did not start in this process (startup recovery of a previous
 * instance's agents); a running `ChildProcess` is stopped with its `kill()`.
 */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false; // -1 and -0 would mean "everything"
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: no such group (EPERM: not ours)
  }
}

/** Starts a child and waits for it: `new ChildProcess(spec).done`. */
export function runChildProcess(spec: ChildSpec): Promise<ChildExit> {
  return new ChildProcess(spec).done;
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: ChildExit['spawnError'];
}

type Started =
  | { child: NodeChildProcess; error: null }
  | { child: null; error: NonNullable<ChildExit['spawnError']> };

function startChild(spec: ChildSpec): Started {
  const [file, ...args] = spec.argv;
  if (file === undefined || file === '') {
    return { child: null, error: { code: 'EMPTY_ARGV', message: 'empty command' } };
  }
  let fd: number | null = null;
  try {
    if (spec.output.kind === 'file') fd = openSync(spec.output.path, 'a');
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env: { ...spec.env },
      detached: true,
      stdio: stdioFor(spec, fd),
    });
    return { child, error: null };
  } catch (err) {
    return { child: null, error: spawnErrorOf(err as NodeJS.ErrnoException) };
  } finally {
    // The child has its own copy of the descriptor.
    if (fd !== null) closeSync(fd);
  }
}

function stdioFor(spec: ChildSpec, fd: number | null): StdioOptions {
  const stdin = spec.stdin === undefined ? 'ignore' : 'pipe';
  switch (spec.output.kind) {
    case 'file':
      return [stdin, fd, fd];
    case 'inherit':
      return [stdin, 'inherit', spec.output.stderrTailChars === undefined ? 'inherit' : 'pipe'];
    case 'tail':
    case 'capture':
      return [stdin, 'pipe', 'pipe'];
    default:
      return assertNever(spec.output, 'child output');
  }
}

function spawnErrorOf(err: NodeJS.ErrnoException): NonNullable<ChildExit['spawnError']> {
  return { code: typeof err.code === 'string' ? err.code : null, message: err.message };
}

/** Reads what is still in the pipes until they close or `drainMs` passes, then closes them. */
async function drain(child: NodeChildProcess, closed: Promise<void>, drainMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainMs)));
  await Promise.race([closed, late]);
  clearTimeout(timer);
  // A process outside the group (setsid) may still hold a pipe: stop waiting for it.
  for (const s of [child.stdin, child.stdout, child.stderr]) s?.destroy();
}

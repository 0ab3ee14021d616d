import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { KillReason, OutputParser, ParsedRun } from './runner.js';
import { watchdogVerdict, type WatchdogLimits } from './watchdog.js';

export interface ProcessSpec {
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** stdout and stderr both go to this file (append): no pipe that can fill up and block. */
  logPath: string;
  parser: OutputParser;
  limits: WatchdogLimits & { killGraceMs: number };
  /** How often the log is read and the watchdog consulted. Default 200 ms. */
  pollMs?: number;
}

export interface ProcessResult {
  pid: number | null;
  /** The exit code; −9 when the watchdog (or a stop) killed the process group. */
  exitCode: number | null;
  signal: string | null;
  killReason: KillReason | null;
  parsed: ParsedRun;
  /** The last 16 KiB of the log, for text classification. */
  logTail: string;
  spawnError: string | null;
}

const TAIL_BYTES = 16_384;

/**
 * One agent process: spawned detached (its own process group, so a kill reaches every child it
 * started), stdin closed, output appended to the log file. The log is read incrementally and fed
 * to the adapter's parser; the watchdog uses the monotonic clock because it measures a real
 * process, not application time. Kill: SIGTERM to the group → `killGraceMs` → SIGKILL.
 */
export class AgentProcess {
  readonly pid: number | null;
  readonly done: Promise<ProcessResult>;
  readonly #spec: ProcessSpec;
  readonly #child: ChildProcess;
  #killReason: KillReason | null = null;
  #exited = false;
  #spawnError: string | null = null;
  #startedAtMs = performance.now();
  #lastOutputAtMs = this.#startedAtMs;
  #resultSeenAtMs: number | null = null;
  #offset = 0;
  #partial = '';
  #tail = '';
  readonly #decoder = new StringDecoder('utf8');

  constructor(spec: ProcessSpec) {
    this.#spec = spec;
    const fd = openSync(spec.logPath, 'a');
    try {
      this.#child = spawn(spec.argv[0]!, spec.argv.slice(1), {
        cwd: spec.cwd,
        env: { ...spec.env },
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.pid = this.#child.pid ?? null;
    this.done = this.#run();
  }

  /** Starts the kill sequence (idempotent); the first reason sticks. */
  kill(reason: KillReason): void {
    if (this.#exited || this.#killReason !== null) return;
    this.#killReason = reason;
    this.#signalGroup('SIGTERM');
    const timer = setTimeout(() => this.#signalGroup('SIGKILL'), this.#spec.limits.killGraceMs);
    timer.unref();
    void this.done.finally(() => clearTimeout(timer));
  }

  #signalGroup(signal: NodeJS.Signals): void {
    if (this.pid === null) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is already gone.
    }
  }

  async #run(): Promise<ProcessResult> {
    const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      this.#child.once('error', (err) => {
        this.#spawnError = err.message;
        resolve({ code: null, signal: null });
      });
      this.#child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const log = await open(this.#spec.logPath, 'r');
    try {
      const { code, signal } = await this.#watch(exit, log);
      this.#exited = true;
      // Children the agent left behind in its group die with it.
      this.#signalGroup('SIGKILL');
      await this.#readNew(log, true);
      return {
        pid: this.pid,
        exitCode: this.#killReason !== null ? -9 : code,
        signal,
        killReason: this.#killReason,
        parsed: this.#spec.parser.snapshot(),
        logTail: this.#tail,
        spawnError: this.#spawnError,
      };
    } finally {
      await log.close();
    }
  }

  async #watch(
    exit: Promise<{ code: number | null; signal: string | null }>,
    log: FileHandle,
  ): Promise<{ code: number | null; signal: string | null }> {
    const pollMs = this.#spec.pollMs ?? 200;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<null>((r) => (timer = setTimeout(() => r(null), pollMs)));
      const ended = await Promise.race([exit, tick]);
      clearTimeout(timer);
      if (ended) return ended;
      await this.#readNew(log, false);
      const verdict = watchdogVerdict(
        {
          startedAtMs: this.#startedAtMs,
          lastOutputAtMs: this.#lastOutputAtMs,
          resultSeenAtMs: this.#resultSeenAtMs,
        },
        this.#spec.limits,
        performance.now(),
      );
      if (verdict) this.kill(verdict);
    }
  }

  async #readNew(log: FileHandle, final: boolean): Promise<void> {
    const buf = Buffer.alloc(65_536);
    for (;;) {
      const { bytesRead } = await log.read(buf, 0, buf.length, this.#offset);
      if (bytesRead === 0) break;
      this.#offset += bytesRead;
      this.#lastOutputAtMs = performance.now();
      const text = this.#decoder.write(buf.subarray(0, bytesRead));
      this.#tail = (this.#tail + text).slice(-TAIL_BYTES);
      this.#feed(this.#partial + text);
    }
    if (final && this.#partial !== '') {
      this.#spec.parser.line(this.#partial);
      this.#partial = '';
      this.#noteResult();
    }
  }

  #feed(text: string): void {
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    for (const l of lines) this.#spec.parser.line(l);
    this.#noteResult();
  }

  #noteResult(): void {
    if (this.#resultSeenAtMs === null && this.#spec.parser.snapshot().resultSeen) {
      this.#resultSeenAtMs = performance.now();
    }
  }
}

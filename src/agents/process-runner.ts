import { open, type FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { ChildProcess, type ChildExit } from '../process/child-process.js';
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
 * One agent process, run by the shared `ChildProcess` helper (own process group, stdin closed,
 * stdout and stderr appended to the log file, the group killed when the agent exits). The log is
 * read incrementally and fed to the adapter's parser; the watchdog uses the monotonic clock
 * because it measures a real process, not application time. Kill: SIGTERM to the group →
 * `killGraceMs` → SIGKILL. `done` rejects only when the log cannot be read, after the group was
 * killed and has exited.
 */
export class AgentProcess {
  readonly pid: number | null;
  readonly done: Promise<ProcessResult>;
  readonly #spec: ProcessSpec;
  readonly #child: ChildProcess<KillReason>;
  #startedAtMs = performance.now();
  #lastOutputAtMs = this.#startedAtMs;
  #resultSeenAtMs: number | null = null;
  #offset = 0;
  #partial = '';
  #tail = '';
  readonly #decoder = new StringDecoder('utf8');

  constructor(spec: ProcessSpec) {
    this.#spec = spec;
    this.#child = new ChildProcess<KillReason>({
      argv: spec.argv,
      cwd: spec.cwd,
      env: spec.env,
      output: { kind: 'file', path: spec.logPath },
      killGraceMs: spec.limits.killGraceMs,
    });
    this.pid = this.#child.pid;
    this.done = this.#run();
  }

  /** Starts the kill sequence for the whole group (idempotent); the first reason sticks. */
  kill(reason: KillReason): void {
    this.#child.kill(reason);
  }

  async #run(): Promise<ProcessResult> {
    const exit = this.#child.done;
    let log: FileHandle | null = null;
    try {
      if (this.pid !== null) log = await open(this.#spec.logPath, 'r');
      const ended = log ? await this.#watch(exit, log) : await exit;
      if (log) await this.#readNew(log, true);
      return {
        pid: this.pid,
        exitCode: ended.killReason !== null ? -9 : ended.exitCode,
        signal: ended.signal,
        // The helper's own reasons never occur here: no timeout, no captured output.
        killReason: ended.killReason as KillReason | null,
        parsed: this.#spec.parser.snapshot(),
        logTail: this.#tail,
        spawnError: ended.spawnError?.message ?? null,
      };
    } catch (err) {
      // The log could not be read: the run cannot be watched, so it must not go on unwatched.
      this.kill('stop');
      await exit;
      throw err;
    } finally {
      await log?.close();
    }
  }

  async #watch(
    exit: Promise<ChildExit<KillReason>>,
    log: FileHandle,
  ): Promise<ChildExit<KillReason>> {
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

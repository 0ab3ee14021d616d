import type { ServerResponse } from 'node:http';
import type { AgentRun, AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import { LogFollower, readLogTail, runLogFile } from '../agents/run-log.js';

export interface LogStreamOptions {
  runs: AgentRunStore;
  dataDir: string;
  runId: number;
  tail: number;
  /** How often the file and the run row are checked (default 300 ms). */
  pollMs?: number;
  /** A comment line keeps proxies from closing an idle stream (default 15 s). */
  keepAliveMs?: number;
  /** Masks secrets in each line before it is sent (default: none). */
  mask?: (line: string) => string;
}

/** Pure: one server-sent event (`data` lines may not contain newlines, so each is split). */
export function sseEvent(data: string, event?: string): string {
  const head = event ? `event: ${event}\n` : '';
  return `${head}${data
    .split(/\r?\n|\r/)
    .map((l) => `data: ${l}`)
    .join('\n')}\n\n`;
}

/**
 * Streams an agent run's log as server-sent events: the last `tail` lines, then every line
 * appended, one `message` event per line; ends with an `end` event (`{outcome, exit_code}`) once
 * the run has finished and its log is drained. Chained timeouts, so checks never overlap; `stop()`
 * (client gone, server closing) ends it at the next step.
 */
export class LogStream {
  readonly #o: Required<LogStreamOptions>;
  readonly #res: ServerResponse;
  #follower: LogFollower | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #lastWriteMs = Date.now();

  constructor(res: ServerResponse, o: LogStreamOptions) {
    this.#res = res;
    this.#o = { pollMs: 300, keepAliveMs: 15_000, mask: (line) => line, ...o };
  }

  /** Sends the headers and the tail; `onDone` runs once when the stream has ended. */
  async start(onDone: () => void): Promise<void> {
    this.#res.on('close', () => this.stop());
    this.#onDone = onDone;
    this.#res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    this.#write(`retry: 2000\n\n`);
    await this.#step();
  }

  #onDone: () => void = () => undefined;

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (!this.#res.writableEnded) this.#res.end();
    this.#onDone();
  }

  #write(text: string): void {
    if (this.#stopped || this.#res.writableEnded) return;
    this.#res.write(text);
    this.#lastWriteMs = Date.now();
  }

  async #step(): Promise<void> {
    if (this.#stopped) return;
    try {
      const run = await this.#o.runs.get(this.#o.runId);
      if (!run) return this.#end({ outcome: null, exit_code: null, reason: 'run deleted' });
      if (await this.#pump(run)) return;
      if (Date.now() - this.#lastWriteMs >= this.#o.keepAliveMs) this.#write(': keep-alive\n\n');
    } catch {
      return this.#end({ outcome: null, exit_code: null, reason: 'log unavailable' });
    }
    if (!this.#stopped) this.#timer = setTimeout(() => void this.#step(), this.#o.pollMs);
  }

  /** Sends what is new; true when the stream has ended. */
  async #pump(run: AgentRun): Promise<boolean> {
    if (!this.#follower) {
      const file = runLogFile(this.#o.dataDir, run.logPath);
      if (!file) {
        // Not started yet (no log path): wait; finished without a log: end.
        if (run.finishedAtMs === null) return false;
        this.#end({ outcome: run.outcome, exit_code: run.exitCode });
        return true;
      }
      const tail = await readLogTail(file, this.#o.tail);
      for (const line of tail.lines) this.#line(line);
      this.#follower = new LogFollower(file, tail.endOffset);
      return false;
    }
    for (const line of await this.#follower.next()) this.#line(line);
    if (run.finishedAtMs === null || (await this.#follower.pending())) return false;
    for (const line of this.#follower.flush()) this.#line(line);
    this.#end({ outcome: run.outcome, exit_code: run.exitCode });
    return true;
  }

  #line(line: string): void {
    this.#write(sseEvent(this.#o.mask(line)));
  }

  #end(info: Record<string, unknown>): void {
    this.#write(sseEvent(JSON.stringify(info), 'end'));
    this.stop();
  }
}

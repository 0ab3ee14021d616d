import type { Logger } from '../log.js';

/**
 * A daemon's timer: runs `tick` at once, then again `intervalMs` after each tick settles (a gap,
 * not a fixed rate, so ticks never overlap). A throwing tick is a log line. Timers are unref'd:
 * they never keep the process alive. `stop` clears the timer and waits for the tick in flight,
 * at most `timeoutMs`.
 */
export class IntervalLoop {
  readonly #name: string;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<void> | null = null;
  #running = false;

  constructor(name: string, log: Logger) {
    this.#name = name;
    this.#log = log;
  }

  get running(): boolean {
    return this.#running;
  }

  start(tick: () => Promise<unknown>, intervalMs: number): void {
    if (this.#running) return;
    this.#running = true;
    const loop = () => {
      this.#timer = null;
      this.#inFlight = tick()
        .then(() => undefined)
        .catch((err: unknown) =>
          this.#log.error({ err, daemon: this.#name }, `${this.#name} loop error`),
        )
        .finally(() => {
          this.#inFlight = null;
          if (!this.#running) return;
          this.#timer = setTimeout(loop, intervalMs);
          this.#timer.unref();
        });
    };
    loop();
  }

  async stop(timeoutMs = 5000): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const inFlight = this.#inFlight;
    if (!inFlight) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([inFlight, new Promise<void>((r) => (t = setTimeout(r, timeoutMs)))]);
    clearTimeout(t);
  }
}

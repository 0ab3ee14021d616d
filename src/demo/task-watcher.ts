import type { Task } from '../pipeline/task.js';
import type { Runtime } from '../runtime.js';
import { AgentRunStore } from '../store/agent-runs/agent-run-store.js';

/**
 * Follows one task's timeline and gate results from the database and prints each new entry as a
 * progress line (`+12.3s  development  ✔ check_tests_local: "node --test" passed`).
 */
export class TaskWatcher {
  readonly #rt: Runtime;
  readonly #runs: AgentRunStore;
  readonly #taskId: number;
  readonly #print: (line: string) => void;
  readonly #startedMs: number;
  #lastEvent = 0;
  #lastGate = 0;
  #lastRun = 0;

  constructor(runtime: Runtime, taskId: number, print: (line: string) => void, startedMs: number) {
    this.#rt = runtime;
    this.#runs = new AgentRunStore(runtime.db);
    this.#taskId = taskId;
    this.#print = print;
    this.#startedMs = startedMs;
  }

  #at(ms: number): string {
    return `+${((ms - this.#startedMs) / 1000).toFixed(1)}s`.padStart(7);
  }

  async poll(): Promise<void> {
    const lines: { atMs: number; text: string }[] = [];
    for (const g of await this.#rt.tasks.gateResults(this.#taskId)) {
      if (g.id <= this.#lastGate) continue;
      this.#lastGate = g.id;
      lines.push({
        atMs: g.evaluatedAtMs,
        text: `${g.stage.padEnd(14)} ${g.passed ? '✔' : '✘'} ${g.gate}: ${g.reason}`,
      });
    }
    for (const e of await this.#rt.tasks.events(this.#taskId)) {
      if (e.id <= this.#lastEvent) continue;
      this.#lastEvent = e.id;
      lines.push({ atMs: e.atMs, text: `${e.stage.padEnd(14)} ${e.message}` });
    }
    const runs = await this.#runs.finishedForTaskAfter(this.#taskId, this.#lastRun);
    for (const r of runs) {
      this.#lastRun = r.id;
      const secs = (((r.finishedAtMs ?? r.startedAtMs) - r.startedAtMs) / 1000).toFixed(1);
      lines.push({
        atMs: r.finishedAtMs ?? r.startedAtMs,
        text: `${''.padEnd(14)} agent ${r.kind} run ${r.id} finished: ${r.outcome ?? '?'} in ${secs}s`,
      });
    }
    for (const l of lines.sort((a, b) => a.atMs - b.atMs))
      this.#print(`${this.#at(l.atMs)}  ${l.text}`);
  }

  /**
   * Polls until `done(task)` is true or the timeout passes; `done` may act on the task (e.g.
   * approve it). Returns the task as it is then, and whether time ran out.
   */
  async until(
    done: (task: Task) => Promise<boolean>,
    timeoutMs: number,
  ): Promise<{ task: Task; timedOut: boolean }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.poll();
      const task = await this.#rt.tasks.mustGet(this.#taskId);
      if (await done(task)) {
        await this.poll();
        return { task, timedOut: false };
      }
      if (Date.now() > deadline) return { task, timedOut: true };
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

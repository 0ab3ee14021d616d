import type { GateResult } from '../gates/gate.js';
import type { Effect } from './effects.js';
import type { AdvanceResult, CoreEngine } from './engine.js';
import type { Task } from './task.js';

/**
 * Admission through a repository's serial gate (serial-gate.ts): an approved item leaves analysis
 * only when its repository's gate admits it, and a change that frees a slot (done, cancelled,
 * rolled back to analysis) opens the gate for the items waiting. Also the coverage ratchet, which
 * moves when an item is done. Used by `Pipeline`.
 */
export class Admission {
  readonly #core: CoreEngine;

  constructor(core: CoreEngine) {
    this.#core = core;
  }

  /**
   * The approved item leaves analysis through its repository's serial gate: it advances if the
   * gate admits it, else it waits (`waiting`, with the reason on the timeline and the tracker).
   * Both are decided in the transaction that moves the item, after locking the repository's gate,
   * so two approvals at once cannot both take the last slot.
   */
  async passAnalysis(task: Task, gates: GateResult[]): Promise<AdvanceResult> {
    const gate = this.#core.deps.serialGate;
    if (!gate) return this.#core.advance(task, gates, ['awaiting_approval']);
    const limit = this.#core.project(task).serial ?? null;
    await this.#syncTrackerDeps(task);
    for (let attempt = 0; attempt < 3; attempt++) {
      const advanced = await this.#core.advance(task, gates, ['awaiting_approval'], {
        admit: async (q) => (await gate.decide(q, task, limit)).open,
      });
      if (advanced.kind !== 'noop') return advanced;
      let reason = '';
      const event = { type: 'waiting', message: '' };
      const effects: Effect[] = [];
      const parked = await this.#core.apply(task, {
        guard: { stage: 'analysis', states: ['awaiting_approval'] },
        set: { state: 'waiting' },
        event,
        gates,
        effects,
        admit: async (q) => {
          const d = await gate.decide(q, task, limit);
          if (d.open) return false;
          reason = d.reason;
          event.message = `approved; waiting: ${reason}`;
          effects.push({
            kind: 'comment',
            author: 'orch',
            body: `⏸️ ${task.workItemId} is approved and waits for its turn: ${reason}.`,
          });
          return true;
        },
      });
      if (parked) return { kind: 'waiting', reason };
      const now = await this.#core.deps.tasks.mustGet(task.id);
      if (now.stage !== 'analysis' || now.state !== 'awaiting_approval')
        return { kind: 'noop', reason: 'task moved meanwhile' };
    }
    return { kind: 'noop', reason: 'serial gate changed while deciding; approve again' };
  }

  /**
   * Starts waiting items whose repository's gate admits them now, oldest filed first: after an
   * item finishes or is cancelled, after an unfreeze, and on every reconciler tick (which also
   * releases every waiting item when the gate is switched off). Returns how many started.
   */
  async openSerialGates(repo?: string): Promise<number> {
    const gate = this.#core.deps.serialGate;
    if (!gate) return 0;
    let started = 0;
    for (const w of await gate.repo.waiting(undefined, repo)) {
      const task = await this.#core.deps.tasks.mustGet(w.taskId);
      await this.#syncTrackerDeps(task);
      const limit = this.#core.project(task).serial ?? null;
      const r = await this.#core.advance(task, [], ['waiting'], {
        admit: async (q) => (await gate.decide(q, task, limit)).open,
        why: 'serial gate open',
      });
      if (r.kind === 'advanced') started++;
    }
    return started;
  }

  /**
   * Task dependencies from the tracker ("blocked by" relations), re-read before each gate
   * decision: relations to items Orch tracks replace the item's tracker-sourced dependencies.
   * Relations to items Orch does not track are left out; an unreadable tracker keeps the last
   * known ones (logged).
   */
  async #syncTrackerDeps(task: Task): Promise<void> {
    const gate = this.#core.deps.serialGate;
    const tracker = this.#core.project(task).tracker;
    if (!gate?.policy.deps || !tracker.blockedBy) return;
    try {
      const ref = { projectId: task.trackerProjectId, itemId: task.trackerItemId };
      const ids = await tracker.blockedBy(ref);
      const known = await gate.repo.tasksByTrackerItems(
        task.trackerKind,
        task.trackerProjectId,
        ids,
      );
      await gate.repo.syncTrackerDependencies(
        task.id,
        known.map((k) => k.taskId).filter((id) => id !== task.id),
        this.#core.deps.clock.now(),
      );
    } catch (err) {
      this.#core.deps.log.warn({ err, taskId: task.id }, 'task deps: tracker relations unreadable');
    }
  }

  /**
   * The coverage ratchet moves when an item is done: its latest measurement becomes the
   * repository's baseline if higher. A branch that never lands raises nothing — neither one
   * cancelled nor one whose track skipped the merge (no deploy-staging stage).
   */
  async #raiseCoverage(task: Task): Promise<void> {
    const c = this.#core.deps.coverage;
    if (!c?.enabled || !this.#core.project(task).coverage) return;
    try {
      if (!(await this.#core.merged(task))) return;
      const pct = await c.repo.latestRun(task.id);
      if (pct === null) return;
      if (await c.repo.raiseBaseline(task.repo, pct, task.workItemId, this.#core.deps.clock.now()))
        await this.#core.record(task, {
          type: 'coverage_baseline',
          message: `coverage baseline of ${task.repo} raised to ${pct}%`,
          detail: { pct },
        });
    } catch (err) {
      this.#core.deps.log.warn({ err, taskId: task.id }, 'coverage: baseline not raised');
    }
  }

  /** A change that may have freed a slot of the task's repository opens its gate. */
  async freed(task: Task, result: AdvanceResult): Promise<AdvanceResult> {
    const frees =
      result.kind === 'cancelled' ||
      (result.kind === 'advanced' && result.jobId === null) ||
      (result.kind === 'rolled_back' && result.to === 'analysis');
    if (frees) {
      // A finished item may be another repository's dependency: open every gate then.
      const done = result.kind === 'advanced';
      // Recorded in the stage the item is in now (done), not the one it left.
      if (done) await this.#raiseCoverage({ ...task, stage: result.to, state: 'done' });
      await this.openSerialGates(done ? undefined : task.repo).catch((err: unknown) =>
        this.#core.deps.log.warn({ err, repo: task.repo }, 'serial gate: opening failed'),
      );
    }
    return result;
  }
}

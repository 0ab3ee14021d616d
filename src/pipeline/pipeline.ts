// Over 400 lines: the pipeline's entry points (agent finished, comments, approve/reject/answer,
// changes requested, red gate reports) share one guarded-transition idiom. Planned split, not
// done yet: the human actions (onComment, approve, reject, answer, changesRequested) into
// pipeline/human-actions.ts.
import { readFile } from 'node:fs/promises';
import type { GateResult } from '../gates/gate.js';
import { OrchError } from '../errors.js';
import { interpretComment, type CommentIntent } from '../integrations/tracker/comment-intent.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { Effect } from './effects.js';
import type { AdvanceResult, CoreEngine } from './engine.js';
import { analystRerunPrompt, stagePrompt, templateFor } from './prompts.js';
import { blockOnJobEnd } from './job-failures.js';
import {
  autoApproveLabel,
  DEFAULT_AUTO_LABEL_POLICY,
  DEFAULT_LABEL_RULES,
  labelsApply,
} from './auto-labels.js';
import { resumeTask, type ResumeInput } from './resume.js';
import { DEFAULT_STOP_POLICY, stopFromTracker, type StopPolicy } from './stop.js';
import { rollback, rollbackToDevelopment } from './rollbacks.js';
import { previous, stageDef } from './stages.js';
import { isParked, type Task } from './task.js';

const APPROVAL_REQUEST_EFFECTS: Effect[] = [
  { kind: 'tracker_state', state: 'in_review' },
  {
    kind: 'comment',
    author: 'analyst',
    body: '📋 BRD/TRZ/AC/TestPlan ready. Please review and comment :approved: to move to Architecture.',
  },
  { kind: 'notify', event: { type: 'approval_requested', message: 'analysis ready for approval' } },
];

/**
 * The pipeline's entry points: after an agent run, on approvals, rejections and answers from the
 * tracker, on cancel, and for the reconciler. Each loads the task, decides, and goes through the
 * engine's guarded change, so calling it twice (a redelivered webhook, a re-run job) is harmless.
 */
export class Pipeline {
  readonly core: CoreEngine;
  readonly #admin: QueueAdmin;
  readonly #stop: StopPolicy;

  constructor(core: CoreEngine, admin: QueueAdmin, o: { stop?: StopPolicy } = {}) {
    this.core = core;
    this.#admin = admin;
    this.#stop = o.stop ?? DEFAULT_STOP_POLICY;
  }

  async #load(taskId: number): Promise<Task> {
    return this.core.deps.tasks.mustGet(taskId);
  }

  /**
   * An agent finished its stage's work successfully. A job for a stage the task has left (the
   * reconciler or a duplicate run moved it on) changes nothing.
   */
  async onAgentFinished(input: {
    taskId: number;
    role: string;
    stage: string;
  }): Promise<AdvanceResult> {
    const task = await this.#load(input.taskId);
    if (isParked(task.state)) return { kind: 'noop', reason: `task is ${task.state}` };
    if (task.stage !== input.stage)
      return {
        kind: 'noop',
        reason: `stale: task is in ${task.stage}, job was for ${input.stage}`,
      };
    if (task.stage === 'analysis') return this.#analystFinished(task);
    const ctx = await this.core.gateContext(task);
    const exit = await this.core.evaluateExit(task, ctx);
    if (exit.passed) return this.#freed(task, await this.core.advance(task, exit.results));
    const last = exit.results.at(-1)!;
    if (last.retryAfterMs !== undefined)
      return this.core.defer(task, exit.results, last.retryAfterMs);
    return this.#freed(task, await rollback(this.core, task, exit.results, ctx.worktree));
  }

  /** Analysis ends with a human: complete artifacts → In Review + approval request; questions → Needs Input. */
  async #analystFinished(task: Task): Promise<AdvanceResult> {
    const ctx = await this.core.gateContext(task);
    const complete = await this.core.deps.gates.evaluate('check_analysis_complete', ctx);
    if (complete.passed) {
      const autoLabel = await this.#autoApproveLabel(task);
      const applied = await this.core.apply(task, {
        guard: { stage: 'analysis', states: ['active'] },
        set: { state: 'awaiting_approval' },
        event: { type: 'approval_requested', message: 'analysis complete; waiting for approval' },
        gates: [complete],
        effects: autoLabel === null ? APPROVAL_REQUEST_EFFECTS : [],
      });
      if (!applied) return { kind: 'noop', reason: 'task moved meanwhile' };
      if (autoLabel === null) return { kind: 'awaiting_approval' };
      await this.core.record(task, {
        type: 'auto_approved',
        message: `analysis approved by the label "${autoLabel}" (label auto-mode)`,
        detail: { label: autoLabel },
        effects: [
          {
            kind: 'comment',
            author: 'orch',
            body: `✅ BRD/TRZ/AC/TestPlan ready; approved by the label "${autoLabel}" (label auto-mode).`,
          },
        ],
      });
      return this.approve(task.id, `label "${autoLabel}"`);
    }
    const questions = await readQuestions(ctx.worktree, task.workItemId);
    if (questions !== null) {
      const applied = await this.core.apply(task, {
        guard: { stage: 'analysis', states: ['active'] },
        set: { state: 'needs_input' },
        event: {
          type: 'needs_input',
          message: 'analyst needs clarification',
          detail: { questions: questions.slice(0, 2000) },
        },
        gates: [complete],
        effects: [
          { kind: 'tracker_state', state: 'needs_input' },
          {
            kind: 'comment',
            author: 'analyst',
            body: `❓ Analyst needs clarification:\n\n${questions}`,
          },
          { kind: 'notify', event: { type: 'needs_input', message: 'analyst asked questions' } },
        ],
      });
      return applied ? { kind: 'needs_input' } : { kind: 'noop', reason: 'task moved meanwhile' };
    }
    const reason = 'Analyst finished with no artifacts and no questions. Check the log.';
    await this.core.record(
      task,
      {
        type: 'warning',
        message: reason,
        effects: [
          { kind: 'comment', author: 'orch', body: `⚠️ ${reason}` },
          { kind: 'notify', event: { type: 'pipeline_warning', message: reason } },
        ],
      },
      [complete],
    );
    return { kind: 'warning', reason };
  }

  /**
   * Label auto-mode: the item's auto-approve label, read from the tracker now (so a label removed
   * meanwhile counts). Null = a human approves; so does an unreachable tracker (logged) — never
   * an automatic pass on doubt.
   */
  async #autoApproveLabel(task: Task): Promise<string | null> {
    const project = this.core.project(task);
    const rules = project.labels ?? DEFAULT_LABEL_RULES;
    const policy = this.core.deps.labelPolicy ?? DEFAULT_AUTO_LABEL_POLICY;
    if (rules.autoApprove.length === 0 || !labelsApply(policy, task.repo)) return null;
    let labels: string[];
    try {
      const ref = { projectId: task.trackerProjectId, itemId: task.trackerItemId };
      labels = (await project.tracker.getItem(ref)).labels;
    } catch (err) {
      this.core.deps.log.warn({ err, taskId: task.id }, 'labels unreadable: approval by a human');
      return null;
    }
    return autoApproveLabel(rules, labels);
  }

  /**
   * Human approval of the analysis (spec §13 item 9, fixed): the artifacts are checked again and
   * the task advances to the next stage with that stage's agent.
   */
  async approve(taskId: number, by: string): Promise<AdvanceResult> {
    const task = await this.#load(taskId);
    if (task.stage !== 'analysis' || task.state !== 'awaiting_approval') {
      return {
        kind: 'noop',
        reason: `nothing to approve: ${task.workItemId} is ${task.state} in ${task.stage}`,
      };
    }
    const ctx = await this.core.gateContext(task);
    const complete = await this.core.deps.gates.evaluate('check_analysis_complete', ctx);
    const approval: GateResult = {
      gate: 'analysis_approval',
      passed: complete.passed,
      reason: `approved by ${by}`,
    };
    if (!complete.passed) return { kind: 'gate_failed', gate: complete };
    return this.#passAnalysis(task, [complete, approval]);
  }

  /**
   * The approved item leaves analysis through its repository's serial gate: it advances if the
   * gate admits it, else it waits (`waiting`, with the reason on the timeline and the tracker).
   * Both are decided in the transaction that moves the item, after locking the repository's gate,
   * so two approvals at once cannot both take the last slot.
   */
  async #passAnalysis(task: Task, gates: GateResult[]): Promise<AdvanceResult> {
    const gate = this.core.deps.serialGate;
    if (!gate) return this.core.advance(task, gates, ['awaiting_approval']);
    const limit = this.core.project(task).serial ?? null;
    await this.#syncTrackerDeps(task);
    for (let attempt = 0; attempt < 3; attempt++) {
      const advanced = await this.core.advance(task, gates, ['awaiting_approval'], {
        admit: async (q) => (await gate.decide(q, task, limit)).open,
      });
      if (advanced.kind !== 'noop') return advanced;
      let reason = '';
      const event = { type: 'waiting', message: '' };
      const effects: Effect[] = [];
      const parked = await this.core.apply(task, {
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
      const now = await this.#load(task.id);
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
    const gate = this.core.deps.serialGate;
    if (!gate) return 0;
    let started = 0;
    for (const w of await gate.repo.waiting(undefined, repo)) {
      const task = await this.#load(w.taskId);
      await this.#syncTrackerDeps(task);
      const limit = this.core.project(task).serial ?? null;
      const r = await this.core.advance(task, [], ['waiting'], {
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
    const gate = this.core.deps.serialGate;
    const tracker = this.core.project(task).tracker;
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
        this.core.deps.clock.now(),
      );
    } catch (err) {
      this.core.deps.log.warn({ err, taskId: task.id }, 'task deps: tracker relations unreadable');
    }
  }

  /**
   * The coverage ratchet moves when an item is done: its latest measurement becomes the
   * repository's baseline if higher. A branch that never lands raises nothing — neither one
   * cancelled nor one whose track skipped the merge (no deploy-staging stage).
   */
  async #raiseCoverage(task: Task): Promise<void> {
    const c = this.core.deps.coverage;
    if (!c?.enabled || !this.core.project(task).coverage) return;
    try {
      if (!(await this.core.merged(task))) return;
      const pct = await c.repo.latestRun(task.id);
      if (pct === null) return;
      if (await c.repo.raiseBaseline(task.repo, pct, task.workItemId, this.core.deps.clock.now()))
        await this.core.record(task, {
          type: 'coverage_baseline',
          message: `coverage baseline of ${task.repo} raised to ${pct}%`,
          detail: { pct },
        });
    } catch (err) {
      this.core.deps.log.warn({ err, taskId: task.id }, 'coverage: baseline not raised');
    }
  }

  /** A change that may have freed a slot of the task's repository opens its gate. */
  async #freed(task: Task, result: AdvanceResult): Promise<AdvanceResult> {
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
        this.core.deps.log.warn({ err, repo: task.repo }, 'serial gate: opening failed'),
      );
    }
    return result;
  }

  /**
   * Rejection: at analysis the analyst reruns with the reason; elsewhere back to the previous
   * stage. Also a way out of Blocked (with a fresh retry budget); not of cancelled or done.
   */
  async reject(taskId: number, reason: string, by: string): Promise<AdvanceResult> {
    const task = await this.#load(taskId);
    if (task.state === 'cancelled' || task.state === 'done')
      return { kind: 'noop', reason: `nothing to reject: ${task.workItemId} is ${task.state}` };
    const fromBlocked = task.state === 'blocked';
    const p = this.core.project(task).pipeline;
    const target = task.stage === 'analysis' ? 'analysis' : previous(p, task.track, task.stage);
    const role = target ? stageDef(p, target).worker : null;
    if (!target || !role) return { kind: 'noop', reason: `cannot reject in ${task.stage}` };
    const template = templateFor(this.core.deps.workflows, task, role);
    const prompt =
      role === 'analyst'
        ? analystRerunPrompt(task, 'Stakeholder REJECTED your artifacts. Reason:', reason, {
            template,
            textAs: 'note',
          })
        : `${stagePrompt(task, role, target, { template, note: reason })}\nRejected by ${by}: ${reason}\n`;
    const applied = await this.core.apply(task, {
      guard: {
        stage: task.stage,
        states: fromBlocked ? ['blocked'] : ['active', 'awaiting_approval', 'needs_input'],
      },
      set: {
        stage: target,
        state: 'active',
        ...(fromBlocked && { devRetriesReset: true, lastError: null }),
      },
      event: {
        type: 'rejected',
        message: `rejected by ${by}: ${reason}`,
        detail: { from: task.stage, to: target },
      },
      job: { role, stage: target, prompt },
      effects: [
        { kind: 'tracker_state', state: 'in_progress' },
        {
          kind: 'comment',
          author: 'orch',
          body: `🔄 ${role} restarted. Rejection reason: ${reason}`,
        },
      ],
    });
    if (!applied) return { kind: 'noop', reason: 'task moved meanwhile' };
    return this.#freed(task, {
      kind: 'rolled_back',
      from: task.stage,
      to: target,
      jobId: applied.jobId,
      reason,
    });
  }

  /**
   * An answer while the analyst waits for input reruns the analyst with it. Any other time the
   * result is a no-op that says so; a tracker comment (`recordOtherwise`) is still kept on the
   * timeline, while a refused dashboard/API answer changes nothing.
   */
  async answer(
    taskId: number,
    text: string,
    by: string,
    opts: { recordOtherwise?: boolean } = {},
  ): Promise<AdvanceResult> {
    const task = await this.#load(taskId);
    if (task.state !== 'needs_input') {
      if (opts.recordOtherwise) {
        await this.core.record(task, { type: 'comment', message: `${by}: ${text.slice(0, 500)}` });
      }
      const hint = task.state === 'blocked' ? ' (it is Blocked: resume or reject it)' : '';
      const recorded = opts.recordOtherwise ? 'comment recorded; ' : '';
      return {
        kind: 'noop',
        reason: `${recorded}${task.workItemId} is ${task.state}, not waiting for input${hint}`,
      };
    }
    const applied = await this.core.apply(task, {
      guard: { stage: task.stage, states: ['needs_input'] },
      set: { state: 'active' },
      event: { type: 'answered', message: `answer from ${by}` },
      job: {
        role: 'analyst',
        stage: 'analysis',
        prompt: analystRerunPrompt(task, 'Read the latest comment and continue. Answer:', text, {
          template: templateFor(this.core.deps.workflows, task, 'analyst'),
          textAs: 'note',
        }),
      },
      effects: [{ kind: 'tracker_state', state: 'in_progress' }],
    });
    if (!applied) return { kind: 'noop', reason: 'task moved meanwhile' };
    return {
      kind: 'rerun',
      stage: task.stage,
      role: 'analyst',
      jobId: applied.jobId!,
      reason: 'answer received',
    };
  }

  /** A human comment from the tracker: approval, rejection or answer, by the approver allowlist. */
  async onComment(
    taskId: number,
    comment: { body: string; authorIds: readonly (string | null)[] },
  ): Promise<{ intent: CommentIntent; result: AdvanceResult }> {
    const task = await this.#load(taskId);
    const approvers = this.core.project(task).approvers;
    const intent = interpretComment(comment.body, { ids: comment.authorIds }, approvers);
    const by = comment.authorIds.find((a) => a) ?? 'unknown';
    switch (intent.kind) {
      case 'approval':
        return { intent, result: await this.approve(taskId, by) };
      case 'rejection':
        return {
          intent,
          result: await this.reject(taskId, intent.reason || 'no reason given', by),
        };
      case 'answer':
        return {
          intent,
          result: await this.answer(taskId, intent.text, by, { recordOtherwise: true }),
        };
      case 'resume':
        return { intent, result: await this.resume(taskId, { note: intent.note, by }) };
      case 'stop':
        return {
          intent,
          result: await stopFromTracker(
            this.#stop,
            task,
            { reason: intent.reason, by },
            {
              cancel: (reason) => this.cancel(taskId, reason, { via: 'stop', by }),
              ignore: (message) => this.core.record(task, { type: 'stop_ignored', message }),
            },
          ),
        };
      case 'unauthorized':
        await this.core.record(task, {
          type: intent.wanted === 'stop' ? 'stop_ignored' : 'comment',
          message: `${intent.wanted} from ${by} ignored: not an approver`,
        });
        return { intent, result: { kind: 'noop', reason: `${by} is not an approver` } };
    }
  }

  /**
   * A human asked for changes on the pull request (forge review): from review onwards the task
   * goes back to development with the review text, on the shared retry cap.
   */
  async changesRequested(taskId: number, body: string, by: string): Promise<AdvanceResult> {
    const task = await this.#load(taskId);
    if (isParked(task.state)) return { kind: 'noop', reason: `task is ${task.state}` };
    const track = this.core.project(task).pipeline.tracks[task.track] ?? [];
    if (track.indexOf(task.stage) < track.indexOf('review')) {
      await this.core.record(task, {
        type: 'comment',
        message: `changes requested by ${by} before review; recorded`,
      });
      return { kind: 'noop', reason: `task is in ${task.stage}; the developer is still working` };
    }
    return rollbackToDevelopment(
      this.core,
      task,
      { reason: `Changes requested by ${by}`, detail: 'PR review', gate: null },
      body,
      [],
    );
  }

  /** `orch task resume` / `:resume:`: re-runs a Blocked or cancelled task's stage (resume.ts). */
  async resume(taskId: number, o: ResumeInput): Promise<AdvanceResult> {
    return resumeTask(this.core, this.#admin, await this.#load(taskId), o);
  }

  /** A job ended for good without success: its task is Blocked with the reason (job-failures.ts). */
  onJobEnded(jobId: number): Promise<AdvanceResult> {
    return blockOnJobEnd(this.core, this.#admin, jobId);
  }

  /**
   * Re-evaluates the task's stage without an agent having finished (lost webhook, crash between
   * steps, a forge approval): advances if the gates are green; a red gate rolls nothing back (no
   * agent produced the state) but is reported once (`reportRedGate`). The human gate of analysis
   * and parked / waiting tasks are left alone. `via` names the caller in the report.
   */
  async reconcile(taskId: number, via = 'webhook'): Promise<AdvanceResult> {
    const task = await this.#load(taskId);
    if (task.state !== 'active') return { kind: 'noop', reason: `task is ${task.state}` };
    if (task.stage === 'analysis') return { kind: 'noop', reason: 'analysis waits for a human' };
    const ctx = await this.core.gateContext(task);
    const exit = await this.core.evaluateExit(task, ctx);
    if (exit.passed)
      return this.#freed(task, await this.core.advance(task, exit.results, ['active']));
    const last = exit.results.at(-1)!;
    if (last.retryAfterMs !== undefined)
      return this.core.defer(task, exit.results, last.retryAfterMs);
    await this.reportRedGate(task, exit.results, via);
    return { kind: 'gate_failed', gate: last };
  }

  /**
   * A gate found red outside an agent run (a forge webhook, the reconciler): nothing is rolled
   * back — no agent produced the state — but people are told, once per stage visit and reason:
   * a `gate_red` timeline entry with the gate results, a tracker comment and a notification.
   * Returns false when this exact reason was already reported in this visit (or the item moved).
   */
  async reportRedGate(task: Task, results: GateResult[], via: string): Promise<boolean> {
    const failed = results.at(-1)!;
    const message = `${failed.gate}: ${failed.reason}`;
    const { tasks } = this.core.deps;
    const applied = await this.core.apply(task, {
      guard: { stage: task.stage, states: ['active'] },
      set: {},
      admit: (q) => tasks.firstEventOfVisit(q, task.id, 'gate_red', message, task.stageEnteredAtMs),
      event: { type: 'gate_red', message, detail: { gate: failed.gate, via } },
      gates: results,
      effects: [
        {
          kind: 'comment',
          author: 'orch',
          body: `🔴 ${task.workItemId} waits in ${task.stage}: ${message} (seen by the ${via}; nothing was rolled back).`,
        },
        { kind: 'notify', event: { type: 'gate_failed', gate: failed.gate, message } },
      ],
    });
    return applied !== null;
  }

  /**
   * Bug fast-track escalation (spec ORCH-019): a `bug` task goes back to the `full` track, so it
   * will pass through architecture. Only while the task is still in analysis; idempotent.
   */
  async escalateToFullTrack(
    taskId: number,
    by: string,
  ): Promise<{ was: string; changed: boolean }> {
    const task = await this.#load(taskId);
    if (task.track === 'full') return { was: 'full', changed: false };
    if (task.stage !== 'analysis') {
      throw new OrchError(
        'INVALID_TRANSITION',
        `${task.workItemId} is in ${task.stage}; escalate while it is still in analysis`,
      );
    }
    const applied = await this.core.apply(task, {
      guard: { stage: 'analysis', states: ['active', 'awaiting_approval', 'needs_input'] },
      set: { track: 'full' },
      event: {
        type: 'escalated',
        message: `escalated by ${by}: ${task.track} → full track`,
        detail: { was: task.track },
      },
      effects: [
        {
          kind: 'comment',
          author: 'analyst',
          body: `⬆️ Escalated from the ${task.track} fast-track to the full pipeline by ${by}: architecture will not be skipped.`,
        },
        {
          kind: 'notify',
          event: { type: 'pipeline_warning', message: `escalated to the full track by ${by}` },
        },
      ],
    });
    if (!applied)
      throw new OrchError('INVALID_TRANSITION', `${task.workItemId} moved on meanwhile`);
    return { was: task.track, changed: true };
  }

  /**
   * Cancel (`orch task cancel`, or STOP from the tracker): the task is cancelled and its queued or
   * running jobs are cancelled with it — a running agent is stopped and nothing it did is pushed.
   * A Blocked task can be cancelled too (it is one of its ways out).
   */
  async cancel(
    taskId: number,
    reason: string,
    o: { via?: 'operator' | 'stop'; by?: string } = {},
  ): Promise<AdvanceResult> {
    const task = await this.#load(taskId);
    if (task.state === 'cancelled' || task.state === 'done') {
      return { kind: 'noop', reason: `task is ${task.state}` };
    }
    const applied = await this.core.apply(task, {
      guard: { stage: task.stage, states: [task.state] },
      set: { state: 'cancelled', lastError: reason },
      event: {
        type: 'cancelled',
        message: reason,
        detail: { via: o.via ?? 'operator', ...(o.by && { by: o.by }) },
      },
      effects: [
        { kind: 'comment', author: 'orch', body: `🛑 Cancelled: ${reason}` },
        { kind: 'notify', event: { type: 'task_cancelled', message: reason } },
      ],
    });
    if (!applied) return { kind: 'noop', reason: 'task moved meanwhile' };
    for (const status of ['queued', 'running'] as const) {
      for (const job of await this.#admin.list({ taskId, status }))
        await this.#admin.requestCancel(job.id).catch(() => undefined);
    }
    return this.#freed(task, { kind: 'cancelled', reason });
  }
}

async function readQuestions(worktree: string, workItemId: string): Promise<string | null> {
  try {
    const text = (
      await readFile(`${worktree}/docs/work-items/${workItemId}/01-questions.md`, 'utf8')
    ).trim();
    return text.length > 0 ? text : null;
  } catch {
    return null;
  }
}

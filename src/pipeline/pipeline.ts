import { readFile } from 'node:fs/promises';
import type { GateResult } from '../gates/gate.js';
import { interpretComment, type CommentIntent } from '../integrations/tracker/comment-intent.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { Effect } from './effects.js';
import type { AdvanceResult, CoreEngine } from './engine.js';
import { blockOnJobEnd } from './job-failures.js';
import {
  autoApproveLabel,
  DEFAULT_AUTO_LABEL_POLICY,
  DEFAULT_LABEL_RULES,
  labelsApply,
} from './auto-labels.js';
import { Admission } from './admission.js';
import {
  answerTask,
  cancelTask,
  escalateTask,
  rejectTask,
  requestChanges,
} from './human-actions.js';
import { resumeTask, type ResumeInput } from './resume.js';
import { DEFAULT_STOP_POLICY, stopFromTracker, type StopPolicy } from './stop.js';
import { rollback } from './rollbacks.js';
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
  readonly #admission: Admission;

  constructor(core: CoreEngine, admin: QueueAdmin, o: { stop?: StopPolicy } = {}) {
    this.core = core;
    this.#admin = admin;
    this.#stop = o.stop ?? DEFAULT_STOP_POLICY;
    this.#admission = new Admission(core);
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
    if (exit.passed)
      return this.#admission.freed(task, await this.core.advance(task, exit.results));
    const last = exit.results.at(-1)!;
    if (last.retryAfterMs !== undefined)
      return this.core.defer(task, exit.results, last.retryAfterMs);
    return this.#admission.freed(task, await rollback(this.core, task, exit.results, ctx.worktree));
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
    return this.#admission.passAnalysis(task, [complete, approval]);
  }

  /**
   * Starts waiting items whose repository's gate admits them now, oldest filed first: after an
   * item finishes or is cancelled, after an unfreeze, and on every reconciler tick (admission.ts).
   * Returns how many started.
   */
  openSerialGates(repo?: string): Promise<number> {
    return this.#admission.openSerialGates(repo);
  }

  /**
   * Rejection: at analysis the analyst reruns with the reason; elsewhere back to the previous
   * stage. Also a way out of Blocked (with a fresh retry budget); not of cancelled or done.
   */
  async reject(taskId: number, reason: string, by: string): Promise<AdvanceResult> {
    const task = await this.#load(taskId);
    return this.#admission.freed(task, await rejectTask(this.core, task, { reason, by }));
  }

  /**
   * An answer while the analyst waits for input reruns the analyst with it (human-actions.ts).
   * A tracker comment (`recordOtherwise`) that comes at another time is kept on the timeline.
   */
  async answer(
    taskId: number,
    text: string,
    by: string,
    opts: { recordOtherwise?: boolean } = {},
  ): Promise<AdvanceResult> {
    return answerTask(this.core, await this.#load(taskId), { text, by, ...opts });
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

  /** Changes requested on the pull request: back to development from review on (human-actions.ts). */
  async changesRequested(taskId: number, body: string, by: string): Promise<AdvanceResult> {
    return requestChanges(this.core, await this.#load(taskId), { body, by });
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
      return this.#admission.freed(task, await this.core.advance(task, exit.results, ['active']));
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

  /** A bug fast-track goes back to the full track, while in analysis (human-actions.ts). */
  async escalateToFullTrack(
    taskId: number,
    by: string,
  ): Promise<{ was: string; changed: boolean }> {
    return escalateTask(this.core, await this.#load(taskId), by);
  }

  /**
   * Cancel (`orch task cancel`, or STOP from the tracker), with the task's queued and running jobs
   * (human-actions.ts); the slot it held in its repository's serial gate opens.
   */
  async cancel(
    taskId: number,
    reason: string,
    o: { via?: 'operator' | 'stop'; by?: string } = {},
  ): Promise<AdvanceResult> {
    const task = await this.#load(taskId);
    return this.#admission.freed(
      task,
      await cancelTask({ core: this.core, admin: this.#admin }, task, { reason, ...o }),
    );
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

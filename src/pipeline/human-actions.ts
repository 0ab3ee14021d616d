// The human actions on a work item: reject, answer, changes requested on the pull request,
// escalation of a bug fast-track, cancel. Each takes the loaded task and goes through the engine's
// guarded change; `Pipeline` loads the task and opens the serial gate when a slot was freed.
import { OrchError } from '../errors.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { AdvanceResult, CoreEngine } from './engine.js';
import { analystRerunPrompt, stagePrompt, templateFor } from './prompts.js';
import { rollbackToDevelopment } from './rollbacks.js';
import { previous, stageDef } from './stages.js';
import { isParked, type Task } from './task.js';

/**
 * Rejection: at analysis the analyst reruns with the reason; elsewhere back to the previous
 * stage. Also a way out of Blocked (with a fresh retry budget); not of cancelled or done.
 */
export async function rejectTask(
  core: CoreEngine,
  task: Task,
  { reason, by }: { reason: string; by: string },
): Promise<AdvanceResult> {
  if (task.state === 'cancelled' || task.state === 'done')
    return { kind: 'noop', reason: `nothing to reject: ${task.workItemId} is ${task.state}` };
  const fromBlocked = task.state === 'blocked';
  const p = core.project(task).pipeline;
  const target = task.stage === 'analysis' ? 'analysis' : previous(p, task.track, task.stage);
  const role = target ? stageDef(p, target).worker : null;
  if (!target || !role) return { kind: 'noop', reason: `cannot reject in ${task.stage}` };
  const template = templateFor(core.deps.workflows, task, role);
  const prompt =
    role === 'analyst'
      ? analystRerunPrompt(task, 'Stakeholder REJECTED your artifacts. Reason:', reason, {
          template,
          textAs: 'note',
        })
      : `${stagePrompt(task, role, target, { template, note: reason })}\nRejected by ${by}: ${reason}\n`;
  const applied = await core.apply(task, {
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
  return {
    kind: 'rolled_back',
    from: task.stage,
    to: target,
    jobId: applied.jobId,
    reason,
  };
}

/**
 * An answer while the analyst waits for input reruns the analyst with it. Any other time the
 * result is a no-op that says so; a tracker comment (`recordOtherwise`) is still kept on the
 * timeline, while a refused dashboard/API answer changes nothing.
 */
export async function answerTask(
  core: CoreEngine,
  task: Task,
  { text, by, ...opts }: { text: string; by: string; recordOtherwise?: boolean },
): Promise<AdvanceResult> {
  if (task.state !== 'needs_input') {
    if (opts.recordOtherwise) {
      await core.record(task, { type: 'comment', message: `${by}: ${text.slice(0, 500)}` });
    }
    const hint = task.state === 'blocked' ? ' (it is Blocked: resume or reject it)' : '';
    const recorded = opts.recordOtherwise ? 'comment recorded; ' : '';
    return {
      kind: 'noop',
      reason: `${recorded}${task.workItemId} is ${task.state}, not waiting for input${hint}`,
    };
  }
  const applied = await core.apply(task, {
    guard: { stage: task.stage, states: ['needs_input'] },
    set: { state: 'active' },
    event: { type: 'answered', message: `answer from ${by}` },
    job: {
      role: 'analyst',
      stage: 'analysis',
      prompt: analystRerunPrompt(task, 'Read the latest comment and continue. Answer:', text, {
        template: templateFor(core.deps.workflows, task, 'analyst'),
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

/**
 * A human asked for changes on the pull request (forge review): from review onwards the task
 * goes back to development with the review text, on the shared retry cap.
 */
export async function requestChanges(
  core: CoreEngine,
  task: Task,
  { body, by }: { body: string; by: string },
): Promise<AdvanceResult> {
  if (isParked(task.state)) return { kind: 'noop', reason: `task is ${task.state}` };
  const track = core.project(task).pipeline.tracks[task.track] ?? [];
  if (track.indexOf(task.stage) < track.indexOf('review')) {
    await core.record(task, {
      type: 'comment',
      message: `changes requested by ${by} before review; recorded`,
    });
    return { kind: 'noop', reason: `task is in ${task.stage}; the developer is still working` };
  }
  return rollbackToDevelopment(
    core,
    task,
    { reason: `Changes requested by ${by}`, detail: 'PR review', gate: null },
    body,
    [],
  );
}

/**
 * Bug fast-track escalation (spec ORCH-019): a `bug` task goes back to the `full` track, so it
 * will pass through architecture. Only while the task is still in analysis; idempotent.
 */
export async function escalateTask(
  core: CoreEngine,
  task: Task,
  by: string,
): Promise<{ was: string; changed: boolean }> {
  if (task.track === 'full') return { was: 'full', changed: false };
  if (task.stage !== 'analysis') {
    throw new OrchError(
      'INVALID_TRANSITION',
      `${task.workItemId} is in ${task.stage}; escalate while it is still in analysis`,
    );
  }
  const applied = await core.apply(task, {
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
  if (!applied) throw new OrchError('INVALID_TRANSITION', `${task.workItemId} moved on meanwhile`);
  return { was: task.track, changed: true };
}

/**
 * Cancel (`orch task cancel`, or STOP from the tracker): the task is cancelled and its queued or
 * running jobs are cancelled with it — a running agent is stopped and nothing it did is pushed.
 * A Blocked task can be cancelled too (it is one of its ways out).
 */
export async function cancelTask(
  { core, admin }: { core: CoreEngine; admin: QueueAdmin },
  task: Task,
  { reason, ...o }: { reason: string; via?: 'operator' | 'stop'; by?: string },
): Promise<AdvanceResult> {
  if (task.state === 'cancelled' || task.state === 'done') {
    return { kind: 'noop', reason: `task is ${task.state}` };
  }
  const applied = await core.apply(task, {
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
    for (const job of await admin.list({ taskId: task.id, status }))
      await admin.requestCancel(job.id).catch(() => undefined);
  }
  return { kind: 'cancelled', reason };
}

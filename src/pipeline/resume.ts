import { OrchError } from '../errors.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { AdvanceResult, CoreEngine } from './engine.js';
import { stagePrompt, templateFor } from './prompts.js';
import { templateVariables } from './workflow-file.js';
import { stageDef } from './stages.js';
import type { Task, TaskState } from './task.js';

/** States a person can resume from: the ones nothing automatic ever leaves. */
const RESUMABLE: readonly TaskState[] = ['blocked', 'cancelled'];

export interface ResumeInput {
  /** The stage to re-run (default: the task's current stage); must be on the task's track. */
  stage?: string | undefined;
  /** Put into the agent's prompt (what was fixed, what to do differently). */
  note?: string | undefined;
  by: string;
}

/** The stage to resume at: the requested one if it is on the task's track and has an agent. */
function resumeStage(core: CoreEngine, task: Task, requested: string | undefined) {
  const p = core.project(task).pipeline;
  const stage = requested ?? task.stage;
  const track = p.tracks[task.track] ?? [];
  if (!track.includes(stage))
    throw new OrchError('INVALID_STAGE', `stage "${stage}" is not on the ${task.track} track`);
  const role = stageDef(p, stage).worker;
  if (!role) throw new OrchError('INVALID_STAGE', `stage "${stage}" has no agent to re-run`);
  return { stage, role };
}

/** With a workflow template, the note fills `{{note}}` (and is not repeated if placed there). */
function resumePrompt(
  task: Task,
  role: string,
  stage: string,
  o: ResumeInput & { template: string | undefined },
): string {
  const lines = [stagePrompt(task, role, stage, { template: o.template, note: o.note ?? '' })];
  if (task.lastError) lines.push(`The previous run of this work item ended: ${task.lastError}`);
  const placed = o.template !== undefined && templateVariables(o.template).has('note');
  lines.push(`Resumed by ${o.by}.${o.note && !placed ? ` Note from ${o.by}: ${o.note}` : ''}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `orch task resume`: re-runs a Blocked (or cancelled) task's stage agent with a fresh retry
 * budget and the person's note in its prompt. A task that is not parked, or that still has a
 * live job, is a no-op with the reason (the caller maps it to an error code).
 */
export async function resumeTask(
  core: CoreEngine,
  admin: QueueAdmin,
  task: Task,
  o: ResumeInput,
): Promise<AdvanceResult> {
  if (!RESUMABLE.includes(task.state))
    return {
      kind: 'noop',
      reason: `nothing to resume: ${task.workItemId} is ${task.state} in ${task.stage}`,
    };
  const { stage, role } = resumeStage(core, task, o.stage);
  const live = [
    ...(await admin.list({ taskId: task.id, status: 'queued' })),
    ...(await admin.list({ taskId: task.id, status: 'running' })),
  ];
  if (live.length > 0)
    return { kind: 'noop', reason: `job ${live[0]!.id} of ${task.workItemId} is still live` };
  const applied = await core.apply(task, {
    guard: { stage: task.stage, states: [task.state] },
    set: { stage, state: 'active', devRetriesReset: true, lastError: null },
    event: {
      type: 'resumed',
      message: `resumed by ${o.by} at ${stage}${o.note ? `: ${o.note}` : ''}`,
      detail: { from: { stage: task.stage, state: task.state }, note: o.note ?? null },
    },
    job: {
      role,
      stage,
      prompt: resumePrompt(task, role, stage, {
        ...o,
        template: templateFor(core.deps.workflows, task, role),
      }),
    },
    effects: [
      { kind: 'tracker_state', state: 'in_progress' },
      {
        kind: 'comment',
        author: 'orch',
        body: `▶️ Resumed by ${o.by}: ${role} restarted in ${stage}.${o.note ? ` Note: ${o.note}` : ''}`,
      },
      {
        kind: 'notify',
        event: {
          type: 'stage_changed',
          from: task.stage,
          message: `resumed at ${stage} by ${o.by}`,
        },
      },
    ],
  });
  if (!applied) return { kind: 'noop', reason: 'task moved meanwhile' };
  return { kind: 'rerun', stage, role, jobId: applied.jobId!, reason: `resumed by ${o.by}` };
}

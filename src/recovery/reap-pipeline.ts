import { existsSync } from 'node:fs';
import { agentJobPayloadSchema, type AgentJobPayload } from '../agents/job-payload.js';
import type { Logger } from '../log.js';
import { afterAgentRun } from '../pipeline/agent-hook.js';
import type { GitWorkspace } from '../pipeline/git-workspace.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { stageDef } from '../pipeline/stages.js';
import { isParked } from '../pipeline/task.js';
import type { ReapPipeline } from './job-reaper.js';
import type { RunningJob } from '../store/jobs/reap-store.js';

type PipelineJob = AgentJobPayload & { taskId: number; stage: string };

function pipelinePayload(job: RunningJob): PipelineJob | null {
  const parsed = agentJobPayloadSchema.safeParse(job.payload);
  if (!parsed.success) return null;
  const p = parsed.data;
  return p.taskId !== undefined && p.stage !== undefined ? (p as PipelineJob) : null;
}

/**
 * The reaper's view of the pipeline. Candidate stage (system-inventory §13 item 2, decided): a
 * job carries the stage it works in (`payload.stage`), so a job is "already advanced" exactly
 * when its task is no longer active in that stage — no agent→stage mapping, no off-by-one. The
 * read-only gate is the stage's exit gate only: edge gates (security, merge) have side effects
 * and run in the winner's `advance`, through the normal `onAgentFinished` path.
 */
export function pipelineReapHooks(
  pipeline: Pipeline,
  workspace: GitWorkspace,
  log: Logger,
): ReapPipeline {
  const { tasks, gates } = pipeline.core.deps;
  return {
    async inspect(job) {
      const payload = pipelinePayload(job);
      if (!payload) return { kind: 'already_advanced', reason: 'not a pipeline job' };
      const task = await tasks.get(payload.taskId);
      if (!task) return { kind: 'already_advanced', reason: 'task missing' };
      if (isParked(task.state)) return { kind: 'already_advanced', reason: `task ${task.state}` };
      if (task.stage !== payload.stage || task.state !== 'active') {
        return { kind: 'already_advanced', reason: `task is ${task.state} in ${task.stage}` };
      }
      const ctx = await pipeline.core.gateContext(task);
      if (task.stage === 'analysis') {
        const questions = `${ctx.worktree}/docs/work-items/${task.workItemId}/01-questions.md`;
        if (existsSync(questions)) return { kind: 'gate', passed: true, reason: 'questions' };
        const r = await gates.evaluate('check_analysis_complete', ctx);
        return { kind: 'gate', passed: r.passed, reason: r.reason };
      }
      const gate = stageDef(pipeline.core.project(task).pipeline, task.stage).gate;
      if (gate === null) return { kind: 'gate', passed: true, reason: 'stage has no gate' };
      const r = await gates.evaluate(gate, ctx);
      return { kind: 'gate', passed: r.passed, reason: r.reason };
    },
    async advance(job) {
      const payload = pipelinePayload(job);
      if (!payload) return 'not a pipeline job';
      const task = await tasks.mustGet(payload.taskId);
      const worktreePath = await workspace.ensure(task, pipeline.core.project(task));
      const result = await afterAgentRun(pipeline, workspace, { job, payload, worktreePath });
      log.info({ jobId: job.id, taskId: task.id, result }, 'reaper: pipeline step replayed');
      return result?.kind ?? 'no pipeline step';
    },
  };
}

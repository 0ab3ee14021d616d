import type { Job } from '../queue/job.js';
import type { AgentRun } from '../store/agent-runs/agent-run-store.js';
import type { AgentProfile } from './agents-config.js';
import type { AgentJobPayload } from './job-payload.js';
import type { WorktreeInfo } from './worktrees.js';

/** What one agent run is started with: watchdog limits, per-run variables, the task header. */
export function watchLimits(profile: AgentProfile) {
  return {
    wallMs: profile.timeoutMs,
    idleMs: profile.idleTimeoutMs,
    exitGraceMs: profile.exitGraceMs,
    killGraceMs: profile.killGraceMs,
  };
}

/** Variables every agent gets: who it is and where its task is. */
export function runEnv(job: Job, run: AgentRun, taskFile: string, worktree: WorktreeInfo) {
  return {
    ORCH_JOB_ID: String(job.id),
    ORCH_RUN_ID: String(run.id),
    ORCH_ATTEMPT: String(job.attempts),
    ORCH_ROLE: job.kind,
    ORCH_TASK_FILE: taskFile,
    ORCH_WORKTREE: worktree.path,
  };
}

export function taskHeader(job: Job, run: AgentRun, payload: AgentJobPayload) {
  return {
    jobId: job.id,
    runId: run.id,
    attempt: job.attempts,
    role: job.kind,
    repo: payload.repo,
    branch: payload.branch,
    taskId: job.taskId ?? payload.taskId,
    workItemId: payload.workItemId,
    stage: payload.stage,
    scenario: payload.scenario,
  };
}

import type { AgentRun } from '../store/agent-runs/agent-run-store.js';
import type { TaskDetail, TaskSummary } from '../pipeline/task-overview.js';
import type { GateRecord, TaskEvent } from '../store/tasks/task-store.js';
import { runStage } from '../pipeline/task-insights.js';
import { jobView } from './views.js';

/** A work item in the dashboard's list (`GET /api/tasks`). */
export function taskSummaryView(s: TaskSummary) {
  const t = s.task;
  return {
    id: t.id,
    work_item_id: t.workItemId,
    project_key: t.projectKey,
    title: t.title,
    repo: t.repo,
    branch: t.branch,
    stage: t.stage,
    state: t.state,
    status: s.status,
    track: t.track,
    dev_retries: t.devRetries,
    last_error: t.lastError,
    cost_usd: s.costUsd,
    agent_runs: s.agentRuns,
    running_agent: s.runningAgent,
    pr_url: t.prUrl,
    created_at_ms: t.createdAtMs,
    updated_at_ms: t.updatedAtMs,
    stage_entered_at_ms: t.stageEnteredAtMs,
    finished_at_ms: s.finishedAtMs,
    waiting_reason: s.waitingReason,
  };
}

/**
 * An agent run as operators see it: no argv (it may carry a prompt), no worktree path. `stage`
 * (the stage it worked in) when the caller can derive it (task-insights.ts runStage).
 */
export function agentRunView(r: AgentRun, stage: string | null = null) {
  return {
    id: r.id,
    job_id: r.jobId,
    task_id: r.taskId,
    attempt: r.attempt,
    kind: r.kind,
    stage,
    adapter: r.adapter,
    pid: r.pid,
    started_at_ms: r.startedAtMs,
    finished_at_ms: r.finishedAtMs,
    duration_ms: r.finishedAtMs === null ? null : r.finishedAtMs - r.startedAtMs,
    running: r.finishedAtMs === null,
    exit_code: r.exitCode,
    outcome: r.outcome,
    is_error: r.isError,
    subtype: r.subtype,
    cost_usd: r.costUsd,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    kill_reason: r.killReason,
    error: r.error,
    has_log: r.logPath !== '',
  };
}

function eventView(e: TaskEvent) {
  return {
    id: e.id,
    at_ms: e.atMs,
    type: e.type,
    stage: e.stage,
    message: e.message,
    detail: e.detail,
  };
}

function gateView(g: GateRecord) {
  return {
    id: g.id,
    stage: g.stage,
    gate: g.gate,
    passed: g.passed,
    reason: g.reason,
    evidence: g.evidence,
    evaluated_at_ms: g.evaluatedAtMs,
  };
}

/** One work item with everything the dashboard's item page shows (`GET /api/tasks/:id`). */
export function taskDetailView(d: TaskDetail, nowMs: number) {
  const t = d.task;
  const jobsById = new Map(d.jobs.map((j) => [j.id, j]));
  return {
    task: {
      ...taskSummaryView(d),
      base_branch: t.baseBranch,
      merged_sha: t.mergedSha,
    },
    stages: d.stages,
    timeline: d.events.map(eventView),
    gates: d.gates.map(gateView),
    agent_runs: d.runs.map((r) => agentRunView(r, runStage(r, jobsById))),
    jobs: d.jobs.map((j) => jobView(j, t.workItemId)),
    explain: d.explanation && { now_ms: nowMs, ...d.explanation },
    stage_durations: d.stageDurations.map((v) => ({
      stage: v.stage,
      entered_at_ms: v.enteredAtMs,
      left_at_ms: v.leftAtMs,
      duration_ms: v.durationMs,
    })),
    cost: {
      total_usd: d.cost.totalUsd,
      by_stage: d.cost.byStage,
      budget: {
        per_item_usd: d.cost.budget.perItemUsd,
        per_run_usd: d.cost.budget.perRunUsd,
        per_day_usd: d.cost.budget.perDayUsd,
      },
    },
    links: {
      pull_request:
        t.prNumber === null ? null : { number: t.prNumber, url: t.prUrl, merged_sha: t.mergedSha },
      tracker: {
        kind: t.trackerKind,
        project_id: t.trackerProjectId,
        item_id: t.trackerItemId,
        url: d.trackerUrl,
      },
    },
  };
}

/**
 * The job half of `orch explain` (explain.ts): for an active work item, the agent running its job
 * (since when, last heartbeat), or what keeps its queued job from being claimed — an open
 * breaker, a quota pause, a retry backoff, a concurrency cap, no worker for its kind, the jobs
 * ahead of it.
 */
import { ORCH_TENANT } from '../queue/enqueue-input.js';
import type { Job } from '../queue/job.js';
import { listAgentTokens } from '../store/v2/agent-token-admin.js';
import type { ExplainDeps, ExplainReason } from './explain.js';
import type { Task } from './task.js';

const iso = (ms: number) => new Date(ms).toISOString();
const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

/** An active item: its running job, or its queued job and what keeps it from being claimed. */
export async function jobReasons(d: ExplainDeps, task: Task): Promise<ExplainReason[]> {
  const running = await d.admin.list({ taskId: task.id, status: 'running', limit: 20 });
  if (running.length > 0) return Promise.all(running.map((j) => runningReason(d, j)));
  const queued = (await d.admin.list({ taskId: task.id, status: 'queued', limit: 20 })).sort(
    (a, b) => b.priority - a.priority || a.id - b.id,
  );
  const job = queued[0];
  if (!job)
    return [
      {
        code: 'idle',
        text: `${task.workItemId} is active in ${task.stage} but has no queued or running job; the reconciler re-checks active items on its next tick.`,
        next: `orch task show ${task.workItemId} (the timeline says what happened last)`,
      },
    ];
  return queuedReasons(d, task, job);
}

async function runningReason(d: ExplainDeps, job: Job): Promise<ExplainReason> {
  const nowMs = d.clock.now();
  const run = (await d.runs.listForJob(job.id)).filter((r) => r.finishedAtMs === null).at(-1);
  const since = job.startedAtMs ?? job.updatedAtMs;
  const beat =
    job.heartbeatAtMs === null
      ? 'no heartbeat yet'
      : `last heartbeat ${seconds(nowMs - job.heartbeatAtMs)} ago`;
  return {
    code: 'running',
    text: `The ${job.kind} agent runs job ${job.id} (attempt ${job.attempts}/${job.maxAttempts}) on ${job.leasedBy ?? 'an unknown worker'} since ${iso(since)}; ${beat}.`,
    next: `wait for it to finish (orch jobs cancel ${job.id} stops it)`,
    details: {
      jobId: job.id,
      kind: job.kind,
      leasedBy: job.leasedBy,
      startedAtMs: since,
      heartbeatAtMs: job.heartbeatAtMs,
      leaseExpiresAtMs: job.leaseExpiresAtMs,
      adapter: run?.adapter ?? null,
      pid: run?.pid ?? job.pid,
    },
  };
}

/** Why a queued job is not running: breaker, quota pause, backoff, cap, no worker, jobs ahead. */
async function queuedReasons(d: ExplainDeps, task: Task, job: Job): Promise<ExplainReason[]> {
  const nowMs = d.clock.now();
  const out: ExplainReason[] = [];
  const breaker = await d.breakers.get(job.kind);
  if (breaker.state !== 'closed') out.push(breakerReason(breaker, nowMs));
  const pause = (await d.breakers.pauses()).find((p) => p.kind === job.kind);
  if (pause)
    out.push({
      code: 'kind_paused',
      text: `${job.kind} jobs are paused until ${iso(pause.pausedUntilMs)} (${pause.reason}).`,
      next: 'wait for the quota to reset',
      details: { ...pause },
    });
  // The runner put the job back for the daily cap (src/agents/budget-gate.ts): its error says so.
  const budgetWait = job.availableAtMs > nowMs && job.error?.startsWith('daily budget reached');
  if (budgetWait)
    out.push({
      code: 'budget',
      text: `Job ${job.id} (${job.kind}) waits for the next UTC day: ${job.error}.`,
      next: `wait; it starts at ${iso(job.availableAtMs)} (raising budget.perDayUsd in orch.config.yaml does not wake it earlier)`,
      details: { jobId: job.id, availableAtMs: job.availableAtMs, reason: job.error },
    });
  else if (job.availableAtMs > nowMs) {
    const deferred = await deferredBy(d, task, job);
    out.push({
      code: 'scheduled',
      text: `Job ${job.id} (${job.kind}) is scheduled for ${iso(job.availableAtMs)}, in ${seconds(job.availableAtMs - nowMs)}${job.attempts > 0 ? ` (retry after attempt ${job.attempts})` : ''}${deferred ? `; it waits because ${deferred}` : ''}.`,
      details: { jobId: job.id, availableAtMs: job.availableAtMs, ...(deferred && { deferred }) },
    });
  }
  const cap = job.availableAtMs <= nowMs ? await capReason(d, task, job) : null;
  if (cap) out.push(cap);
  const worker = await workerReason(d, job);
  if (worker) out.push(worker);
  out.push(await queuedReason(d, job, nowMs));
  return out;
}

/**
 * A gate re-check's why: the newest `deferred` timeline entry of the stage (e.g. the merge gate
 * waiting for a required check: "merge_gate: PR #2 waits for branch protection: … ci/build").
 */
async function deferredBy(d: ExplainDeps, task: Task, job: Job): Promise<string | null> {
  if (job.kind !== 'pipeline.recheck') return null;
  const events = await d.tasks.events(task.id);
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.type === 'stage_changed') break;
    if (e.type === 'deferred' && e.stage === task.stage) return e.message.replace(/[.\s]+$/, '');
  }
  return null;
}

function breakerReason(
  b: Awaited<ReturnType<ExplainDeps['breakers']['get']>>,
  nowMs: number,
): ExplainReason {
  const open = b.state === 'open' && b.openUntilMs !== null && b.openUntilMs > nowMs;
  return {
    code: 'breaker_open',
    text: open
      ? `The circuit breaker of ${b.kind} is open until ${iso(b.openUntilMs!)} (in ${seconds(b.openUntilMs! - nowMs)}) after ${b.consecutiveTransient} transient failures in a row; no ${b.kind} job starts before then.`
      : `The circuit breaker of ${b.kind} is ${b.state.replace('_', '-')}: one probe job${b.probeJobId ? ` (job ${b.probeJobId})` : ''} must succeed before other ${b.kind} jobs start.`,
    next: 'wait; the breaker closes after a successful probe job',
    details: {
      kind: b.kind,
      state: b.state,
      openUntilMs: b.openUntilMs,
      consecutiveTransient: b.consecutiveTransient,
      probeJobId: b.probeJobId,
    },
  };
}

/**
 * The job's role or project has reached its concurrency cap. Counted from the store: Orch's own
 * agent jobs are run only by Orch's worker (remote agents can never be granted Orch's tenant),
 * so its running jobs are the worker's (with several replicas, each keeps the caps by itself).
 */
/** "1 developer job runs", "2 jobs of project ET run". */
const jobsRun = (n: number, before: string, after: string) =>
  `${n} ${before}job${n === 1 ? '' : 's'}${after} run${n === 1 ? 's' : ''}`;

async function capReason(d: ExplainDeps, task: Task, job: Job): Promise<ExplainReason | null> {
  const roleCap = d.workers.caps?.perRole[job.kind];
  const projectCap = d.workers.caps?.perProject[task.projectKey];
  if (roleCap === undefined && projectCap === undefined) return null;
  const running = (await d.admin.list({ status: 'running', limit: 1000 })).filter(
    (j) => j.tenantId === ORCH_TENANT,
  );
  const roleRunning = running.filter((j) => j.kind === job.kind).length;
  let projectRunning = 0;
  if (projectCap !== undefined)
    for (const j of running)
      if (j.taskId !== null && (await d.tasks.get(j.taskId))?.projectKey === task.projectKey)
        projectRunning++;
  const full = [
    ...(roleCap !== undefined && roleRunning >= roleCap
      ? [`${jobsRun(roleRunning, `${job.kind} `, '')} (the role's cap is ${roleCap})`]
      : []),
    ...(projectCap !== undefined && projectRunning >= projectCap
      ? [
          `${jobsRun(projectRunning, '', ` of project ${task.projectKey}`)} (its cap is ${projectCap})`,
        ]
      : []),
  ];
  if (full.length === 0) return null;
  return {
    code: 'concurrency_cap',
    text: `Job ${job.id} (${job.kind}) waits for a free slot: ${full.join(' and ')}.`,
    next: 'wait for a running job to finish, or raise maxConcurrent (agents.roles.<role> or projects[]) in orch.config.yaml and restart',
    details: {
      jobId: job.id,
      kind: job.kind,
      roleCap: roleCap ?? null,
      roleRunning,
      projectKey: task.projectKey,
      projectCap: projectCap ?? null,
      projectRunning,
    },
  };
}

/** No local runner serves the kind and no active remote agent token covers it. */
async function workerReason(d: ExplainDeps, job: Job): Promise<ExplainReason | null> {
  const { agentKinds, handlerKinds, agentWorkerRunning } = d.workers;
  if (handlerKinds.includes(job.kind)) return null;
  const local = agentKinds.includes(job.kind) && agentWorkerRunning !== false;
  if (local) return null;
  const nowMs = d.clock.now();
  const tokens = (await listAgentTokens(d.db, { activeOnly: true })).filter(
    (t) => t.kinds.includes(job.kind) && (t.expiresAtMs === null || t.expiresAtMs > nowMs),
  );
  if (tokens.length > 0) return null;
  const why = agentKinds.includes(job.kind)
    ? `this server runs without its agent worker (orch serve --no-worker)`
    : `no agent profile of this configuration runs ${job.kind}`;
  return {
    code: 'no_worker',
    text: `No worker takes ${job.kind} jobs: ${why}, and no active remote agent token covers ${job.kind}.`,
    next: agentKinds.includes(job.kind)
      ? 'run orch serve with its worker (without --no-worker)'
      : `add an agent profile for ${job.kind} (agents.roles in orch.config.yaml), or a remote agent: orch token create --tenant T --name N --kinds ${job.kind}, then orch agent --kinds ${job.kind}`,
    details: { kind: job.kind, localKinds: agentKinds },
  };
}

async function queuedReason(d: ExplainDeps, job: Job, nowMs: number): Promise<ExplainReason> {
  const { agentKinds, handlerKinds, agentWorkerRunning } = d.workers;
  const kinds = handlerKinds.includes(job.kind)
    ? handlerKinds
    : agentKinds.includes(job.kind)
      ? agentKinds
      : [job.kind];
  const ahead = await d.admin.queuedAhead(job, kinds);
  const unknown =
    agentWorkerRunning === null && agentKinds.includes(job.kind)
      ? ' (whether an orch serve with its worker is running cannot be seen from this command)'
      : '';
  return {
    code: 'queued',
    text:
      ahead === 0
        ? `Job ${job.id} (${job.kind}) is queued since ${iso(job.createdAtMs)} and next in line${unknown}.`
        : `Job ${job.id} (${job.kind}) is queued since ${iso(job.createdAtMs)} behind ${ahead} job${ahead === 1 ? '' : 's'} its worker takes first (kinds: ${kinds.join(', ')})${unknown}.`,
    details: { jobId: job.id, kind: job.kind, ahead, kinds, queuedForMs: nowMs - job.createdAtMs },
  };
}

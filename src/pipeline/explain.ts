/**
 * `orch explain <ID>` and `GET /api/tasks/:id/explain` (issue 18): why a work item is where it is
 * and what would move it. Gathers the facts through the store's repositories (task, jobs,
 * breakers, serial gate, dependencies, agent runs, agent tokens) and returns them as reasons with
 * a stable `code`, a sentence for people and the command or action that would move the item.
 * Reads only; the dashboard (issue 19) shows the same reasons.
 */
import type { Clock } from '../clock.js';
import { assertNever } from '../errors.js';
import type { BreakerStore } from '../queue/breaker-store.js';
import type { ConcurrencyCaps } from '../queue/concurrency-caps.js';
import type { QueueAdmin } from '../queue/queue-admin.js';
import type { Runtime } from '../runtime.js';
import type { AgentRunStore } from '../store/agent-runs/agent-run-store.js';
import type { Db } from '../store/db.js';
import type { TaskStore } from '../store/tasks/task-store.js';
import { jobReasons } from './explain-jobs.js';
import type { ProjectRegistry } from './project.js';
import { dependencyCycle, type SerialGate } from './serial-gate.js';
import type { Task } from './task.js';

/** The stable reason codes (machines match on these; the text is for people). */
export const EXPLAIN_CODES = [
  'awaiting_approval',
  'serial_gate',
  'dependency',
  'repo_frozen',
  'breaker_open',
  'kind_paused',
  'budget',
  'scheduled',
  'concurrency_cap',
  'queued',
  'no_worker',
  'needs_input',
  'blocked',
  'running',
  'idle',
  'finished',
] as const;
export type ExplainCode = (typeof EXPLAIN_CODES)[number];

export interface ExplainReason {
  code: ExplainCode;
  /** One sentence for people. */
  text: string;
  /** The command or action that would move the item on, when a person can do something. */
  next?: string;
  /** The facts behind the sentence (ids, times in epoch ms, counts), for the dashboard. */
  details?: Record<string, unknown>;
}

export interface Explanation {
  workItemId: string;
  stage: string;
  state: string;
  /** The first reason's sentence: the main thing that holds the item. */
  summary: string;
  /** Every reason that applies, the one that holds the item first. */
  reasons: ExplainReason[];
}

/** What this process knows about who runs which job kinds. */
export interface WorkerView {
  /** Kinds the local agent worker of this configuration runs (the configured agent roles). */
  agentKinds: readonly string[];
  /** Kinds Orch's in-process handler pools run (webhook deliveries, rechecks). */
  handlerKinds: readonly string[];
  /**
   * Whether the local agent worker runs: true/false where this process knows (the server that
   * runs it), null where it cannot be seen (the CLI is a separate process).
   */
  agentWorkerRunning: boolean | null;
  /** The local worker's per-role and per-project caps (concurrency-caps.ts); absent = none. */
  caps?: ConcurrencyCaps;
}

export interface ExplainDeps {
  tasks: Pick<TaskStore, 'get' | 'byWorkItem' | 'events'>;
  projects: Pick<ProjectRegistry, 'find'>;
  serialGate: SerialGate;
  breakers: Pick<BreakerStore, 'get' | 'pauses'>;
  admin: Pick<QueueAdmin, 'list' | 'queuedAhead'>;
  runs: Pick<AgentRunStore, 'listForJob'>;
  db: Db;
  clock: Clock;
  workers: WorkerView;
}

/** The explain dependencies of a runtime; `agentWorkerRunning` as the caller knows it. */
export function runtimeExplainDeps(
  rt: Pick<
    Runtime,
    | 'tasks'
    | 'projects'
    | 'serialGate'
    | 'breakers'
    | 'admin'
    | 'db'
    | 'clock'
    | 'worker'
    | 'webhookHandlers'
    | 'recheckHandlers'
  > & { runs: Pick<AgentRunStore, 'listForJob'> },
  agentWorkerRunning: boolean | null,
): ExplainDeps {
  return {
    tasks: rt.tasks,
    projects: rt.projects,
    serialGate: rt.serialGate,
    breakers: rt.breakers,
    admin: rt.admin,
    runs: rt.runs,
    db: rt.db,
    clock: rt.clock,
    workers: {
      agentKinds: rt.worker.status().kinds,
      handlerKinds: [...rt.webhookHandlers.kinds, ...rt.recheckHandlers.kinds],
      agentWorkerRunning,
      caps: rt.worker.caps,
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Text ending in one full stop. */
const sentence = (text: string) => text.replace(/[.\s]+$/, '') + '.';

/** Explains the work item `ref` (numeric id or work-item id); undefined when there is none. */
export async function explainTask(d: ExplainDeps, ref: string): Promise<Explanation | undefined> {
  const task = /^\d{1,15}$/.test(ref)
    ? await d.tasks.get(Number(ref))
    : await d.tasks.byWorkItem(ref);
  if (!task) return undefined;
  const reasons = await reasonsFor(d, task);
  return {
    workItemId: task.workItemId,
    stage: task.stage,
    state: task.state,
    summary: reasons[0]?.text ?? `${task.workItemId} is ${task.state} in ${task.stage}.`,
    reasons,
  };
}

async function reasonsFor(d: ExplainDeps, task: Task): Promise<ExplainReason[]> {
  const id = task.workItemId;
  switch (task.state) {
    case 'awaiting_approval':
      return [approvalReason(d, task), ...(await gateReasons(d, task, true))];
    case 'waiting':
      return gateReasons(d, task, false);
    case 'needs_input':
      return [await needsInputReason(d, task)];
    case 'blocked':
      if (task.lastError?.startsWith(BUDGET_EXHAUSTED)) return [budgetBlockedReason(task)];
      return [
        {
          code: 'blocked',
          text: `${id} is Blocked in ${task.stage}: ${sentence(task.lastError ?? 'no reason was recorded')}`,
          next: `orch task resume ${id} --note "<what changed>" (or: orch task reject ${id} "<reason>" | orch task cancel ${id})`,
          details: { reason: task.lastError },
        },
      ];
    case 'active':
      return jobReasons(d, task);
    case 'done':
      return [
        {
          code: 'finished',
          text: `${id} is done${task.mergedSha ? ` (merged as ${task.mergedSha.slice(0, 12)})` : ''}; nothing moves it any more.`,
          details: { mergedSha: task.mergedSha },
        },
      ];
    case 'cancelled':
      return [
        {
          code: 'finished',
          text: `${id} was cancelled in ${task.stage}${task.lastError ? `: ${sentence(task.lastError)}` : '.'}`,
          next: `orch task resume ${id} [--stage S]`,
        },
      ];
    default:
      return assertNever(task.state, 'task state');
  }
}

const BUDGET_EXHAUSTED = 'budget exhausted:';

/** Blocked by src/agents/budget.ts: the item's perItemUsd is spent; a resume alone re-blocks it. */
function budgetBlockedReason(task: Task): ExplainReason {
  const id = task.workItemId;
  return {
    code: 'budget',
    text: `${id} is Blocked in ${task.stage}: ${sentence(task.lastError ?? BUDGET_EXHAUSTED)}`,
    next: `raise budget.perItemUsd (orch.config.yaml, globally or for the project) and restart orch, then: orch task resume ${id} --note "<why it may spend more>" (or: orch task cancel ${id})`,
    details: { reason: task.lastError },
  };
}

function approvalReason(d: ExplainDeps, task: Task): ExplainReason {
  const project = d.projects.find((p) => p.key === task.projectKey);
  const approvers = project?.approvers ?? [];
  const who = approvers.length > 0 ? approvers.join(', ') : 'nobody (no approvers configured)';
  const as = approvers[0] ?? '<approver>';
  const next =
    approvers.length > 0
      ? `orch task approve ${task.workItemId} --as ${as} (or: orch task reject ${task.workItemId} "<reason>"; or an approver comments :approved: in the tracker)`
      : `add approvers to project ${task.projectKey}'s tracker in orch.config.yaml (approvers: [<login>]) and restart orch, then: orch task approve ${task.workItemId} --as <login>`;
  return {
    code: 'awaiting_approval',
    text: `${task.workItemId}'s analysis is complete and waits for approval by ${who}.`,
    next,
    details: { approvers },
  };
}

async function needsInputReason(d: ExplainDeps, task: Task): Promise<ExplainReason> {
  const events = await d.tasks.events(task.id);
  const detail = events.filter((e) => e.type === 'needs_input').at(-1)?.detail as
    { questions?: unknown } | null | undefined;
  const questions = typeof detail?.questions === 'string' ? detail.questions : null;
  return {
    code: 'needs_input',
    text: `The analyst of ${task.workItemId} needs input${questions ? `: ${questions}` : ' (no questions recorded)'}`,
    next: `orch task answer ${task.workItemId} "<answer>"`,
    details: { questions },
  };
}

/**
 * What holds (or, before approval, will hold) an item at the end of analysis: unmet dependencies
 * (or a cycle), a repository freeze, the serial gate's holders and earlier waiting items.
 * `beforeApproval`: the item has not reached the gate yet; only what would stop it is listed.
 */
async function gateReasons(
  d: ExplainDeps,
  task: Task,
  beforeApproval: boolean,
): Promise<ExplainReason[]> {
  const { policy, repo } = d.serialGate;
  const then = beforeApproval ? 'once approved, it will wait: ' : '';
  const out: ExplainReason[] = [];
  if (policy.deps) out.push(...(await dependencyReasons(d, task, then)));
  if (policy.enabled) {
    const freeze = await repo.activeFreeze(d.db, task.repo);
    if (freeze)
      out.push({
        code: 'repo_frozen',
        text: `${cap(then)}repository ${task.repo} is frozen by ${freeze.frozenBy} since ${iso(freeze.frozenAtMs)}: ${freeze.reason}.`,
        next: `orch repo unfreeze ${task.repo}`,
        details: { ...freeze },
      });
    if (!beforeApproval) out.push(...(await serialReasons(d, task)));
  }
  if (!beforeApproval && out.length === 0)
    out.push({
      code: 'serial_gate',
      text: `Nothing holds ${task.workItemId} any more; it starts on the next serial-gate pass (after an item finishes, or the reconciler's next tick).`,
    });
  return out;
}

const cap = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

async function dependencyReasons(d: ExplainDeps, task: Task, then: string) {
  const pending = (await d.serialGate.repo.dependenciesOf(d.db, task.id)).filter(
    (x) => x.state !== 'done',
  );
  if (pending.length === 0) return [];
  const cycle = dependencyCycle(task.id, await d.serialGate.repo.dependencies(d.db));
  const list = pending.map((x) => `${x.dependsOnWorkItemId} (${x.stage}, ${x.state})`).join(', ');
  const reason: ExplainReason = cycle
    ? {
        code: 'dependency',
        text: `${cap(then)}${task.workItemId} is in a dependency cycle ${cycle.join(' → ')}; it never starts until one dependency is removed.`,
        next: `orch task deps ${cycle[0]} --remove ${cycle[1] ?? '…'}`,
      }
    : {
        code: 'dependency',
        text: `${cap(then)}${task.workItemId} depends on ${list}, not done yet; it starts when they are done.`,
        next: `finish ${pending.map((x) => x.dependsOnWorkItemId).join(', ')} (orch explain ${pending[0]!.dependsOnWorkItemId}), or: orch task deps ${task.workItemId} --remove ${pending.map((x) => x.dependsOnWorkItemId).join(' ')}`,
      };
  reason.details = {
    dependsOn: pending.map((x) => ({
      workItemId: x.dependsOnWorkItemId,
      stage: x.stage,
      state: x.state,
    })),
    cycle,
  };
  return [reason];
}

async function serialReasons(d: ExplainDeps, task: Task): Promise<ExplainReason[]> {
  const limit = d.projects.find((p) => p.key === task.projectKey)?.serial ?? null;
  if (limit === null) return [];
  const { repo, policy } = d.serialGate;
  const waiting = (await repo.waiting(d.db, task.repo)).filter((w) => w.taskId < task.id);
  const ahead = [];
  for (const w of waiting) {
    const held =
      policy.deps && (await repo.dependenciesOf(d.db, w.taskId)).some((x) => x.state !== 'done');
    if (!held) ahead.push(w.workItemId);
  }
  const holders = await repo.holders(d.db, task.repo);
  const out: ExplainReason[] = [];
  if (holders.length >= limit)
    out.push({
      code: 'serial_gate',
      text: `The serial gate of ${task.repo} admits ${limit} item(s) past analysis at a time; ${holders.map((h) => `${h.workItemId} (${h.stage}, ${h.state})`).join(', ')} hold(s) it.`,
      next: `it starts by itself when ${holders[0]!.workItemId} is done or cancelled (orch explain ${holders[0]!.workItemId})`,
      details: { limit, holders },
    });
  if (ahead.length > 0)
    out.push({
      code: 'serial_gate',
      text: `${ahead.join(', ')} of ${task.repo} filed earlier and wait(s) too; they go first.`,
      details: { ahead },
    });
  return out;
}

/** Pure: the explanation as text for a terminal. */
export function renderExplanation(e: Explanation): string {
  const lines = [`${e.workItemId} — ${e.stage} (${e.state})`];
  for (const r of e.reasons) {
    lines.push(`  • [${r.code}] ${r.text}`);
    if (r.next) lines.push(`    → ${r.next}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The usage comment (reference launcher "usage comments"): after every agent run of a work item,
 * Orch tells the tracker what the run spent — tokens, cost, wall time — and the item's running
 * total, so whoever follows the item sees the money without opening the dashboard. The same text
 * is an `agent_usage` entry on the item's timeline. Best effort: it never affects the item.
 */
import type { AgentRun, AgentRunStore, TaskUsage } from '../store/agent-runs/agent-run-store.js';
import type { CoreEngine } from './engine.js';

/** Pure: `1h 2m`, `3m 04s`, `12s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

const int = (n: number) => n.toLocaleString('en-US');
const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

/** Pure: the comment for one finished run and the item's totals after it. */
export function usageComment(workItemId: string, run: AgentRun, total: TaskUsage): string {
  const tokens =
    run.inputTokens === null && run.outputTokens === null
      ? 'tokens not reported'
      : `${int(run.inputTokens ?? 0)} in / ${int(run.outputTokens ?? 0)} out tokens`;
  const cost = run.costUsd === null ? 'cost not reported' : usd(run.costUsd);
  const took = formatDuration((run.finishedAtMs ?? run.startedAtMs) - run.startedAtMs);
  const outcome = run.outcome ?? 'unknown';
  return (
    `📊 ${workItemId}: ${run.kind} run ${run.id} (attempt ${run.attempt}, ${outcome}) — ` +
    `${tokens}, ${cost}, ${took}.\n` +
    `Item so far: ${total.runs} run${total.runs === 1 ? '' : 's'}, ` +
    `${int(total.inputTokens + total.outputTokens)} tokens, ${usd(total.costUsd)}, ` +
    `${formatDuration(total.durationMs)} of agent time.`
  );
}

/** Posts the usage comment of a finished run of a work item (a run without one is skipped). */
export async function postUsage(
  d: { core: CoreEngine; runs: AgentRunStore; enabled: boolean },
  run: AgentRun,
): Promise<boolean> {
  if (!d.enabled || run.taskId === null) return false;
  const task = await d.core.deps.tasks.get(run.taskId);
  if (!task) return false;
  const total = await d.runs.usageOfTask(task.id);
  const body = usageComment(task.workItemId, run, total);
  await d.core.record(task, {
    type: 'agent_usage',
    message: body.split('\n')[0]!.replace(/^📊 /, ''),
    detail: {
      runId: run.id,
      kind: run.kind,
      costUsd: run.costUsd,
      inputTokens: run.inputTokens,
      outputTokens: run.outputTokens,
      total,
    },
    effects: [{ kind: 'comment', author: 'orch', body }],
  });
  return true;
}

import type { RunOutcomeKind } from '../agents/runner.js';
import type { RecentRunRow } from '../store/metrics/metrics-repo.js';
import { summarize, type Summary } from './percentiles.js';

/** Every outcome a finished run is recorded with; each is present (0) in `outcomes`. */
export const RUN_OUTCOMES = [
  'success',
  'permanent',
  'transient',
  'quota',
  'timeout',
] as const satisfies readonly RunOutcomeKind[];

/** JSON `agents[]` of GET /metrics: the runs of one agent kind started in the window. */
export interface AgentMetrics {
  kind: string;
  /** Runs started in the window, finished or not. */
  runs: number;
  /** Of them, still running. */
  running: number;
  /** Finished runs by outcome (`unknown` only when a finished run has none recorded). */
  outcomes: Record<string, number>;
  /** Wall time of the finished runs, in seconds. */
  duration_s: Summary;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/** JSON `cost` of GET /metrics: what finished runs started in the window reported. */
export interface CostMetrics {
  window_days: number;
  total_usd: number;
  input_tokens: number;
  output_tokens: number;
  /** Per UTC day a run finished, oldest first. */
  by_day: { date: string; cost_usd: number; runs: number }[];
  /** Per work item, most expensive first (at most the item limit). */
  by_item: {
    work_item_id: string;
    cost_usd: number;
    runs: number;
    input_tokens: number;
    output_tokens: number;
  }[];
}

/** Cost sums are rounded to a millionth of a dollar (float sums otherwise print 0.30000000000000004). */
const usd = (v: number) => Math.round(v * 1e6) / 1e6;

/** Pure: per-kind run figures, kinds in alphabetical order. */
export function agentMetrics(runs: readonly RecentRunRow[]): AgentMetrics[] {
  const byKind = group(runs, (r) => r.kind);
  return [...byKind.keys()].sort().map((kind) => {
    const all = byKind.get(kind)!;
    const finished = all.filter((r) => r.finishedAtMs !== null);
    const outcomes: Record<string, number> = Object.fromEntries(RUN_OUTCOMES.map((o) => [o, 0]));
    for (const r of finished) {
      const o = r.outcome ?? 'unknown';
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    const totals = sums(finished);
    return {
      kind,
      runs: all.length,
      running: all.length - finished.length,
      outcomes,
      duration_s: summarize(
        finished.map((r) => r.finishedAtMs! - r.startedAtMs),
        1000,
      ),
      input_tokens: totals.input,
      output_tokens: totals.output,
      cost_usd: usd(totals.cost),
    };
  });
}

/** Pure: cost in total, per UTC day and per work item (the `itemLimit` most expensive). */
export function costMetrics(
  runs: readonly RecentRunRow[],
  o: { windowDays: number; itemLimit: number },
): CostMetrics {
  const finished = runs.filter((r) => r.finishedAtMs !== null);
  const byDay = group(finished, (r) => new Date(r.finishedAtMs!).toISOString().slice(0, 10));
  const byItem = group(
    finished.filter((r) => r.workItemId !== null),
    (r) => r.workItemId!,
  );
  const totals = sums(finished);
  return {
    window_days: o.windowDays,
    total_usd: usd(totals.cost),
    input_tokens: totals.input,
    output_tokens: totals.output,
    by_day: [...byDay.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([date, rs]) => ({ date, cost_usd: usd(sums(rs).cost), runs: rs.length })),
    by_item: [...byItem.entries()]
      .map(([id, rs]) => {
        const s = sums(rs);
        const item = { work_item_id: id, cost_usd: usd(s.cost), runs: rs.length };
        return { ...item, input_tokens: s.input, output_tokens: s.output };
      })
      .sort((a, b) => b.cost_usd - a.cost_usd || a.work_item_id.localeCompare(b.work_item_id))
      .slice(0, o.itemLimit),
  };
}

function sums(runs: readonly RecentRunRow[]) {
  let cost = 0;
  let input = 0;
  let output = 0;
  for (const r of runs) {
    cost += r.costUsd ?? 0;
    input += r.inputTokens ?? 0;
    output += r.outputTokens ?? 0;
  }
  return { cost, input, output };
}

function group<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}

import type { Budget } from '../config/budget.js';

const DAY_MS = 86_400_000;

/**
 * The verdict before a pipeline job's launch:
 * - `ok`: launch; `perRunUsd` goes to the CLI where it supports a per-run cap;
 * - `item_exhausted`: the item has spent its `perItemUsd`; the job fails for good and the item
 *   is Blocked with `reason`;
 * - `day_exhausted`: the UTC day's spend reached `perDayUsd`; the job waits until `untilMs` (the
 *   next midnight UTC) without consuming an attempt, and `message` goes on the item's timeline.
 */
export type BudgetCheck =
  | { kind: 'ok'; perRunUsd: number | undefined }
  | { kind: 'item_exhausted'; reason: string; spentUsd: number; limitUsd: number }
  | {
      kind: 'day_exhausted';
      message: string;
      untilMs: number;
      spentUsd: number;
      limitUsd: number;
    };

/** Dollars as people read them: `$1.20`, `$0.004`. */
export function formatUsd(usd: number): string {
  return usd >= 0.01 || usd === 0 ? `$${usd.toFixed(2)}` : `$${usd.toPrecision(2)}`;
}

/** The UTC day containing `nowMs`, as [start, next midnight). */
export function utcDay(nowMs: number): { startMs: number; endMs: number } {
  const startMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  return { startMs, endMs: startMs + DAY_MS };
}

/**
 * Decides whether a job may launch. A limit is reached when the spend is at or above it (nothing
 * of it is left); the item limit is checked first, as it ends in Blocked rather than a wait. Pure.
 */
export function checkBudget(
  budget: Budget,
  spend: { itemUsd: number; dayUsd: number },
  nowMs: number,
): BudgetCheck {
  const { perItemUsd, perDayUsd } = budget;
  if (perItemUsd !== undefined && spend.itemUsd >= perItemUsd) {
    const figures = `item spent ${formatUsd(spend.itemUsd)} of ${formatUsd(perItemUsd)}`;
    return {
      kind: 'item_exhausted',
      reason: `budget exhausted: ${figures}`,
      spentUsd: spend.itemUsd,
      limitUsd: perItemUsd,
    };
  }
  if (perDayUsd !== undefined && spend.dayUsd >= perDayUsd) {
    const untilMs = utcDay(nowMs).endMs;
    const figures = `${formatUsd(spend.dayUsd)} of ${formatUsd(perDayUsd)}`;
    return {
      kind: 'day_exhausted',
      message: `daily budget reached (${figures}); waits until ${new Date(untilMs).toISOString()}`,
      untilMs,
      spentUsd: spend.dayUsd,
      limitUsd: perDayUsd,
    };
  }
  return { kind: 'ok', perRunUsd: budget.perRunUsd };
}

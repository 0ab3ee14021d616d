import { z } from 'zod';

const usd = z.number().positive().max(1_000_000);

/**
 * Spend limits (`budget:` in orch.config.yaml, overridable per project; docs/config.md "budget").
 * Every limit is optional; an absent limit does not apply. Only recorded agent-run costs count
 * (src/agents/budget.ts).
 */
export const budgetSchema = z.strictObject({
  /** Passed to the agent CLI where it supports a per-run cap (Claude Code `--max-budget-usd`). */
  perRunUsd: usd.optional(),
  /** An item whose agent runs have cost this much is Blocked before its next launch. */
  perItemUsd: usd.optional(),
  /** Once the UTC day's agent runs (all items) cost this much, launches wait for the next day. */
  perDayUsd: usd.optional(),
});

export type Budget = z.infer<typeof budgetSchema>;

/**
 * A project's effective budget: each limit the project sets replaces the global one, the others
 * are inherited. Pure.
 */
export function resolveBudget(global: Budget | undefined, project: Budget | undefined): Budget {
  const out: Budget = { ...global };
  for (const [k, v] of Object.entries(project ?? {}) as [keyof Budget, number | undefined][]) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}

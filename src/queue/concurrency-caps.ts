/**
 * Concurrency caps of the local agent worker beyond ORCH_MAX_CONCURRENCY (issue 18): per role
 * (`agents.roles.<role>.maxConcurrent`, `agents.defaults.maxConcurrent`) and per project
 * (`projects[].maxConcurrent`). Pure functions over what the worker runs; the worker
 * (worker.ts) leaves roles and projects at their cap out of its claims, so their jobs stay queued.
 */

export interface ConcurrencyCaps {
  /** Role (job kind) → at most this many of its jobs at once. */
  perRole: Readonly<Record<string, number>>;
  /** Project key → at most this many jobs of its items at once. */
  perProject: Readonly<Record<string, number>>;
}

export const NO_CAPS: ConcurrencyCaps = Object.freeze({ perRole: {}, perProject: {} });

/** A job the worker runs or has just claimed: its kind and its task's project (null = none). */
export interface CapSlot {
  kind: string;
  project: string | null;
}

/** Pure: whether any role or project has a cap (else the worker claims in one batch). */
export function hasCaps(caps: ConcurrencyCaps): boolean {
  return Object.keys(caps.perRole).length > 0 || Object.keys(caps.perProject).length > 0;
}

function countBy(slots: readonly CapSlot[], key: (s: CapSlot) => string | null) {
  const out = new Map<string, number>();
  for (const s of slots) {
    const k = key(s);
    if (k !== null) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** Pure: the roles and projects whose running jobs have reached their cap. */
export function atCap(
  caps: ConcurrencyCaps,
  slots: readonly CapSlot[],
): { kinds: string[]; projects: string[] } {
  const roles = countBy(slots, (s) => s.kind);
  const projects = countBy(slots, (s) => s.project);
  const full = (caps: Readonly<Record<string, number>>, counts: Map<string, number>) =>
    Object.entries(caps)
      .filter(([k, cap]) => (counts.get(k) ?? 0) >= cap)
      .map(([k]) => k);
  return { kinds: full(caps.perRole, roles), projects: full(caps.perProject, projects) };
}

/** One role's or project's line of the `/queue` `concurrency` block. */
export interface CapLine {
  /** null = no cap of its own (only the global one). */
  cap: number | null;
  running: number;
}

export interface ConcurrencyView {
  /** ORCH_MAX_CONCURRENCY. */
  max: number;
  running: number;
  /** Every role with a cap or a running job. */
  per_role: Record<string, CapLine>;
  /** Every project with a cap or a running job. */
  per_project: Record<string, CapLine>;
}

/** Pure: the `/queue` `concurrency` block: caps and the worker's running counts. */
export function concurrencyView(
  caps: ConcurrencyCaps,
  max: number,
  slots: readonly CapSlot[],
): ConcurrencyView {
  const lines = (capOf: Readonly<Record<string, number>>, counts: Map<string, number>) => {
    const keys = [...new Set([...Object.keys(capOf), ...counts.keys()])].sort();
    return Object.fromEntries(
      keys.map((k) => [k, { cap: capOf[k] ?? null, running: counts.get(k) ?? 0 }]),
    );
  };
  return {
    max,
    running: slots.length,
    per_role: lines(
      caps.perRole,
      countBy(slots, (s) => s.kind),
    ),
    per_project: lines(
      caps.perProject,
      countBy(slots, (s) => s.project),
    ),
  };
}

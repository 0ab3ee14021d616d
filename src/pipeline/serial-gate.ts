/**
 * The serial gate per repository (spec ORCH-088): at most `serial` unfinished work items of a
 * repository are past analysis at a time; an item approved while the gate is closed waits
 * (`waiting`) and starts, in filing order, when a slot frees. A repository freeze keeps the gate
 * closed until someone clears it (`orch repo unfreeze`, `POST /serial-gate/unfreeze`).
 * `ORCH_SERIAL_GATE_ENABLED=false` switches both off: every item passes, waiting ones start.
 */
import { OrchError } from '../errors.js';
import type { Clock } from '../clock.js';
import { safeNotify, type Notifier } from '../integrations/notify/notifier.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../store/db.js';
import type {
  GateHolder,
  RepoFreeze,
  SerialGateRepo,
  TaskDependency,
  WaitingItem,
} from '../store/serial-gate/serial-gate-repo.js';
import type { Task } from './task.js';

export interface SerialGatePolicy {
  /** Kill-switch: false = no gate and no freeze anywhere. */
  enabled: boolean;
  /** Kill-switch of task dependencies (ORCH-026): false = dependencies hold nothing. */
  deps: boolean;
}

export const DEFAULT_SERIAL_GATE_POLICY: SerialGatePolicy = { enabled: true, deps: true };

/**
 * Pure: a dependency cycle through `taskId` (work-item ids, first = last), or null. Edges are
 * every declared dependency; the walk is depth-first and stops at the first way back.
 */
export function dependencyCycle(taskId: number, edges: readonly TaskDependency[]): string[] | null {
  const next = new Map<number, TaskDependency[]>();
  for (const e of edges) next.set(e.taskId, [...(next.get(e.taskId) ?? []), e]);
  const seen = new Set<number>();
  const walk = (at: number, path: string[]): string[] | null => {
    for (const e of next.get(at) ?? []) {
      if (e.dependsOnTaskId === taskId) return [...path, e.dependsOnWorkItemId];
      if (seen.has(e.dependsOnTaskId)) continue;
      seen.add(e.dependsOnTaskId);
      const found = walk(e.dependsOnTaskId, [...path, e.dependsOnWorkItemId]);
      if (found) return found;
    }
    return null;
  };
  const first = edges.find((e) => e.taskId === taskId);
  return first ? walk(taskId, [first.workItemId]) : null;
}

export type GateDecision = { open: true } | { open: false; reason: string };

/**
 * Pure: whether an item of a repository may pass analysis now. `limit` null = the project is not
 * serial (only a freeze closes its gate); `ahead` = items of the repository that wait and were
 * filed before this one (they go first).
 */
export function decideGate(o: {
  repo: string;
  limit: number | null;
  holders: readonly GateHolder[];
  freeze: RepoFreeze | null;
  ahead: readonly WaitingItem[];
  /** Dependencies of the item that are not done yet. */
  pending?: readonly TaskDependency[];
  cycle?: readonly string[] | null;
}): GateDecision {
  if (o.cycle)
    return {
      open: false,
      reason: `dependency cycle ${o.cycle.join(' → ')}: remove one (orch task deps ${o.cycle[0]} --remove …)`,
    };
  if (o.pending && o.pending.length > 0)
    return {
      open: false,
      reason: `depends on ${o.pending.map((d) => `${d.dependsOnWorkItemId} (${d.stage}, ${d.state})`).join(', ')}`,
    };
  if (o.freeze)
    return {
      open: false,
      reason: `repository ${o.repo} is frozen by ${o.freeze.frozenBy}: ${o.freeze.reason} (orch repo unfreeze ${o.repo})`,
    };
  if (o.limit === null) return { open: true };
  if (o.ahead.length > 0)
    return {
      open: false,
      reason: `serial gate of ${o.repo}: ${o.ahead.map((w) => w.workItemId).join(', ')} filed earlier and waiting`,
    };
  if (o.holders.length >= o.limit) {
    const busy = o.holders.map((h) => `${h.workItemId} (${h.stage}, ${h.state})`).join(', ');
    return {
      open: false,
      reason: `serial gate of ${o.repo}: ${busy} in progress (${o.limit} at a time)`,
    };
  }
  return { open: true };
}

/** The gate as the pipeline asks it, inside the transaction that would move the item. */
export class SerialGate {
  readonly repo: SerialGateRepo;
  readonly policy: SerialGatePolicy;

  constructor(repo: SerialGateRepo, policy: SerialGatePolicy = DEFAULT_SERIAL_GATE_POLICY) {
    this.repo = repo;
    this.policy = policy;
  }

  /** Locks the repository's gate for this transaction and decides for `task`. */
  async decide(q: Queryable, task: Task, limit: number | null): Promise<GateDecision> {
    let pending: TaskDependency[] = [];
    let cycle: string[] | null = null;
    if (this.policy.deps) {
      const mine = await this.repo.dependenciesOf(q, task.id);
      pending = mine.filter((d) => d.state !== 'done');
      if (pending.length > 0) cycle = dependencyCycle(task.id, await this.repo.dependencies(q));
    }
    if (!this.policy.enabled)
      return decideGate({
        repo: task.repo,
        limit: null,
        holders: [],
        freeze: null,
        ahead: [],
        pending,
        cycle,
      });
    await this.repo.lock(q, task.repo);
    // One after the other: a transaction is one connection.
    const holders = await this.repo.holders(q, task.repo);
    const freeze = await this.repo.activeFreeze(q, task.repo);
    const waiting = await this.repo.waiting(q, task.repo);
    // Items filed earlier go first, unless they wait for a dependency rather than for the gate.
    const ahead: WaitingItem[] = [];
    for (const w of waiting.filter((x) => x.taskId < task.id)) {
      const held =
        this.policy.deps &&
        (await this.repo.dependenciesOf(q, w.taskId)).some((d) => d.state !== 'done');
      if (!held) ahead.push(w);
    }
    return decideGate({ repo: task.repo, limit, holders, freeze, ahead, pending, cycle });
  }
}

/**
 * A repository name given by a person (freeze, coverage baseline) must be one a project uses: a
 * typo (`Trails` for `trails`) would otherwise freeze nothing and say it did. Throws
 * REPO_NOT_FOUND naming the known ones.
 */
export function assertKnownRepo(projects: readonly { repo: string }[], repo: string): void {
  const known = [...new Set(projects.map((p) => p.repo))].sort();
  if (!known.includes(repo))
    throw new OrchError(
      'REPO_NOT_FOUND',
      `no project uses repository "${repo}" (known: ${known.join(', ') || 'none'})`,
    );
}

/** What `freeze` / `unfreeze` (CLI and HTTP) need: the gate, the pipeline to start items, a notifier. */
export interface FreezeDeps {
  /** The configured projects: only their repositories can be frozen. */
  projects: { all(): readonly { repo: string }[] };
  serialGate: SerialGate;
  pipeline: { openSerialGates(repo?: string): Promise<number> };
  notifier: Notifier;
  clock: Clock;
  log: Logger;
}

/** Freezes a repository by hand: nothing new passes analysis there until it is unfrozen. */
export async function freezeRepo(
  d: FreezeDeps,
  repo: string,
  o: { reason: string; by: string },
): Promise<{ ok: true; repo: string; frozen: true; created: boolean; reason: string; by: string }> {
  assertKnownRepo(d.projects.all(), repo);
  const { created, freeze } = await d.serialGate.repo.freeze(repo, { ...o, nowMs: d.clock.now() });
  if (created)
    await safeNotify(
      d.notifier,
      { type: 'repo_freeze', repo, frozen: true, by: o.by, reason: o.reason },
      d.log,
    );
  return { ok: true, repo, frozen: true, created, reason: freeze.reason, by: freeze.frozenBy };
}

/**
 * Clears a repository's freeze (spec: `POST /serial-gate/unfreeze?repo=`, idempotent, alert when
 * something was cleared) and starts the items that waited for it, oldest filed first.
 */
export async function unfreezeRepo(
  d: FreezeDeps,
  repo: string,
  by: string,
): Promise<{ ok: true; repo: string; cleared: number; frozen: false; started: number }> {
  const cleared = await d.serialGate.repo.unfreeze(repo, { by, nowMs: d.clock.now() });
  if (cleared > 0)
    await safeNotify(
      d.notifier,
      {
        type: 'repo_freeze',
        repo,
        frozen: false,
        by,
        reason: 'Waiting items start in filing order.',
      },
      d.log,
    );
  const started = await d.pipeline.openSerialGates(repo);
  return { ok: true, repo, cleared, frozen: false, started };
}

/** The `serial_gate` block of /queue: per repository its limit, holders, waiting items, freeze. */
export async function serialGateSnapshot(
  gate: SerialGate,
  db: Queryable,
  projects: readonly { repo: string; serial?: number }[],
): Promise<{
  enabled: boolean;
  repos: {
    repo: string;
    limit: number | null;
    active: GateHolder[];
    waiting: WaitingItem[];
    frozen: RepoFreeze | null;
  }[];
}> {
  const [waiting, freezes] = await Promise.all([gate.repo.waiting(db), gate.repo.freezes()]);
  const limits = new Map<string, number | null>();
  for (const p of projects) if (p.serial !== undefined) limits.set(p.repo, p.serial);
  const repos = new Set([
    ...limits.keys(),
    ...waiting.map((w) => w.repo),
    ...freezes.map((f) => f.repo),
  ]);
  const out = [];
  for (const repo of [...repos].sort())
    out.push({
      repo,
      limit: limits.get(repo) ?? null,
      active: await gate.repo.holders(db, repo),
      waiting: waiting.filter((w) => w.repo === repo),
      frozen: freezes.find((f) => f.repo === repo) ?? null,
    });
  return { enabled: gate.policy.enabled, repos: out };
}

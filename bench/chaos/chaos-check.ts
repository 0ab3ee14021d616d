import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Runtime } from '../../src/runtime.js';

export interface ChaosChecks {
  tasks: number;
  done: number;
  blocked: { workItemId: string; reason: string | null }[];
  cancelled: number;
  /** Tasks not done, blocked or cancelled at the end (must be none). */
  unfinished: string[];
  /** Jobs still queued or running at the end (must be none: nothing lost). */
  liveJobs: number;
  agentRuns: number;
  ledgerEntries: number;
  /** Ledger `jobId:attempt` keys seen more than once (must be none). */
  duplicateAttempts: string[];
  /** PRs merged more than once into main (must be none), and done tasks never merged. */
  doubleMerges: string[];
  unmergedDone: string[];
  /** A stage transition repeated without a rollback in between (must be none). */
  duplicateAdvances: string[];
  ok: boolean;
}

/** Events that start a new pass through the stages (a repeat transition after them is legitimate). */
const NEW_PASS = new Set(['rollback', 'rejected', 'answered']);

/**
 * The chaos invariants. "Twice" is defined per side effect:
 * - an agent attempt: the sim agent appends `{jobId, attempt}` to the ledger when it starts; a
 *   job re-run after a kill is claimed again, which counts a new attempt — so a duplicate is the
 *   same (jobId, attempt) appearing twice, i.e. one claim executed by two processes;
 * - a merge: at most one `Merge #N` commit per PR on main, and exactly one for a done task;
 * - a stage advance: the same `from → to` transition twice within one pass (between rollbacks).
 */
export async function checkChaos(
  rt: Runtime,
  o: { ledgerPath: string; repo: string },
): Promise<ChaosChecks> {
  const tasks = await rt.tasks.list({ limit: 100_000 });
  const counts = await rt.admin.counts();
  const ledger = readLedger(o.ledgerPath);
  const seen = tally(ledger.map((e) => `${e.jobId}:${e.attempt}`));
  const merges = mergeCounts(rt.forge.cloneUrl(o.repo));
  const duplicateAdvances: string[] = [];
  const unmergedDone: string[] = [];
  for (const t of tasks) {
    duplicateAdvances.push(...repeatedTransitions(t.workItemId, await rt.tasks.events(t.id)));
    if (t.state === 'done' && (t.prNumber === null || merges.get(String(t.prNumber)) !== 1))
      unmergedDone.push(t.workItemId);
  }
  const runs = await rt.db.get<{ n: number }>('select count(*) as n from agent_runs');
  const c: Omit<ChaosChecks, 'ok'> = {
    tasks: tasks.length,
    done: tasks.filter((t) => t.state === 'done').length,
    blocked: tasks
      .filter((t) => t.state === 'blocked')
      .map((t) => ({ workItemId: t.workItemId, reason: t.lastError })),
    cancelled: tasks.filter((t) => t.state === 'cancelled').length,
    unfinished: tasks
      .filter((t) => !['done', 'blocked', 'cancelled'].includes(t.state))
      .map((t) => `${t.workItemId} ${t.stage}/${t.state}`),
    liveJobs: counts.byStatus.queued + counts.byStatus.running,
    agentRuns: Number(runs?.n ?? 0),
    ledgerEntries: ledger.length,
    duplicateAttempts: [...seen].filter(([, n]) => n > 1).map(([k]) => k),
    doubleMerges: [...merges].filter(([, n]) => n > 1).map(([pr]) => `PR #${pr}`),
    unmergedDone,
    duplicateAdvances,
  };
  const ok =
    c.unfinished.length === 0 &&
    c.liveJobs === 0 &&
    c.duplicateAttempts.length === 0 &&
    c.doubleMerges.length === 0 &&
    c.unmergedDone.length === 0 &&
    c.duplicateAdvances.length === 0 &&
    c.blocked.every((b) => b.reason);
  return { ...c, ok };
}

function tally(keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

function readLedger(path: string): { jobId: number; attempt: number }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { jobId: number; attempt: number });
}

/** `Merge #N:` commits on main of the bare repository, by PR number. */
function mergeCounts(bareRepo: string): Map<string, number> {
  const log = execFileSync('git', ['log', '--format=%s', 'main'], {
    cwd: bareRepo,
    encoding: 'utf8',
  });
  return tally([...log.matchAll(/^Merge #(\d+):/gm)].map((m) => m[1]!));
}

/** Stage transitions repeated within one pass (a rollback, rejection or answer starts a pass). */
function repeatedTransitions(
  workItemId: string,
  events: readonly { type: string; message: string }[],
): string[] {
  const out: string[] = [];
  let pass = new Set<string>();
  for (const e of events) {
    if (NEW_PASS.has(e.type)) pass = new Set();
    if (e.type !== 'stage_changed') continue;
    if (pass.has(e.message)) out.push(`${workItemId}: ${e.message}`);
    pass.add(e.message);
  }
  return out;
}

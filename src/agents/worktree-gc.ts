/**
 * Worktree garbage collection (issue 17): every task gets a git worktree, and nothing removed
 * them — users of comparable tools report 190–220 GB of leaked worktrees. At start-up and then
 * every `intervalMs`, the worktrees of done or cancelled items untouched for `retentionMs` are
 * removed with their local branch (the branch stays on the forge, so the dashboard and a
 * re-opened item recreate the worktree on demand). An item with a queued or running job (a
 * post-deploy probe, a late re-check) is never touched. Each pass also measures what is left
 * (count, bytes, oldest) for the `worktrees` block of /queue. The project's `before_remove` hook
 * runs before each removal (in WorktreeManager); its failure is logged and the removal goes on.
 */
import { lstat, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Task } from '../pipeline/task.js';
import type { WorktreeManager } from './worktrees.js';

export interface WorktreeGcDeps {
  worktrees: WorktreeManager;
  /** Finished, idle tasks of these repositories last changed before `cutoffMs` (TaskStore). */
  finishedIdle: (repos: readonly string[], cutoffMs: number) => Promise<Task[]>;
  /** The clone URL of a task's repository (its project's forge), or null for an unknown project. */
  cloneUrl: (task: Task) => string | null;
  clock: Clock;
  log: Logger;
  enabled: boolean;
  retentionMs: number;
  intervalMs: number;
}

export interface WorktreeUsage {
  count: number;
  bytes: number;
  /** The least recently modified worktree's mtime (epoch ms), or null when there is none. */
  oldestMs: number | null;
  measuredAtMs: number;
}

export interface GcPass {
  removed: { workItemId: string; path: string; bytes: number }[];
  errors: { workItemId: string; error: string }[];
}

/** Bytes under `path` (files and symlinks themselves, not what links point to). */
export async function diskBytes(path: string): Promise<number> {
  let total = 0;
  const stack = [path];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) stack.push(p);
      else
        total += await lstat(p).then(
          (s) => s.size,
          () => 0,
        );
    }
  }
  return total;
}

/** The worktrees on disk: `<worktreesDir>/<repo>/<branch>`. */
async function listWorktrees(root: string): Promise<{ repo: string; path: string }[]> {
  const out: { repo: string; path: string }[] = [];
  const repos = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const r of repos) {
    if (!r.isDirectory()) continue;
    const branches = await readdir(join(root, r.name), { withFileTypes: true }).catch(() => []);
    for (const b of branches)
      if (b.isDirectory()) out.push({ repo: r.name, path: join(root, r.name, b.name) });
  }
  return out;
}

export class WorktreeGc {
  readonly #d: WorktreeGcDeps;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<GcPass> | null = null;
  #usage: WorktreeUsage | null = null;
  #lastRunMs: number | null = null;
  #removedTotal = 0;
  #bytesFreedTotal = 0;
  #lastRemoved: GcPass['removed'] = [];

  constructor(deps: WorktreeGcDeps) {
    this.#d = deps;
  }

  /** One pass: remove what is due, then measure what is left. Concurrent calls share a pass. */
  runOnce(): Promise<GcPass> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #pass(): Promise<GcPass> {
    const d = this.#d;
    const pass: GcPass = { removed: [], errors: [] };
    if (d.enabled) {
      const onDisk = await listWorktrees(d.worktrees.worktreesDir);
      const repos = [...new Set(onDisk.map((w) => w.repo))];
      const due = await d.finishedIdle(repos, d.clock.now() - d.retentionMs);
      for (const task of due) {
        const url = d.cloneUrl(task);
        if (url === null) continue;
        try {
          // Throws WORKTREE_PATH_OUTSIDE_ROOT for a branch that names no path under the root.
          const path = d.worktrees.worktreePath(url, task.branch);
          if (!existsSync(path)) continue;
          const bytes = await diskBytes(path);
          const hookContext = { workItemId: task.workItemId, stage: task.stage };
          if (await d.worktrees.removeFinished(url, task.branch, { hookContext }))
            pass.removed.push({ workItemId: task.workItemId, path, bytes });
        } catch (err) {
          pass.errors.push({ workItemId: task.workItemId, error: (err as Error).message });
        }
      }
      this.#removedTotal += pass.removed.length;
      this.#bytesFreedTotal += pass.removed.reduce((n, r) => n + r.bytes, 0);
      if (pass.removed.length > 0) this.#lastRemoved = pass.removed.slice(-10);
      if (pass.removed.length + pass.errors.length > 0)
        d.log.info(
          { removed: pass.removed.length, errors: pass.errors },
          'worktree gc: removed the worktrees of finished items',
        );
    }
    this.#usage = await this.measure();
    this.#lastRunMs = d.clock.now();
    return pass;
  }

  /** Count, bytes and the oldest of the worktrees on disk now. */
  async measure(): Promise<WorktreeUsage> {
    const all = await listWorktrees(this.#d.worktrees.worktreesDir);
    let bytes = 0;
    let oldestMs: number | null = null;
    for (const w of all) {
      bytes += await diskBytes(w.path);
      const mtime = await lstat(w.path).then(
        (s) => s.mtimeMs,
        () => null,
      );
      if (mtime !== null && (oldestMs === null || mtime < oldestMs)) oldestMs = Math.floor(mtime);
    }
    return { count: all.length, bytes, oldestMs, measuredAtMs: this.#d.clock.now() };
  }

  /** Runs a pass now (start-up) and then every interval; a failing pass is logged, never thrown. */
  start(): void {
    if (this.#timer) return;
    const tick = () =>
      void this.runOnce().catch((err: unknown) =>
        this.#d.log.warn({ err }, 'worktree gc: pass failed'),
      );
    tick();
    this.#timer = setInterval(tick, this.#d.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => undefined);
  }

  /** The `worktrees` block of /queue (figures from the last pass). */
  status() {
    return {
      enabled: this.#d.enabled,
      retention_s: this.#d.retentionMs / 1000,
      interval_s: this.#d.intervalMs / 1000,
      count: this.#usage?.count ?? null,
      bytes: this.#usage?.bytes ?? null,
      oldest_ms: this.#usage?.oldestMs ?? null,
      measured_at_ms: this.#usage?.measuredAtMs ?? null,
      last_run_ms: this.#lastRunMs,
      removed_total: this.#removedTotal,
      bytes_freed_total: this.#bytesFreedTotal,
      last_removed: this.#lastRemoved,
    };
  }
}

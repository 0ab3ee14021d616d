import { resolve } from 'node:path';
import type { WorktreeManager } from './agents/worktrees.js';
import { WorktreeGc } from './agents/worktree-gc.js';
import type { Clock } from './clock.js';
import type { Config } from './config/config.js';
import { parseRepoList } from './config/repo-list.js';
import { DiskMonitor } from './housekeeping/disk-monitor.js';
import { checkOwnership, type OwnershipReport } from './housekeeping/fs-ownership.js';
import { safeNotify, type Notifier } from './integrations/notify/notifier.js';
import type { Logger } from './log.js';
import type { ProjectRegistry } from './pipeline/project.js';
import type { TaskStore } from './store/tasks/task-store.js';

export interface HousekeepingDeps {
  config: Config;
  reposDir: string;
  worktreesDir: string;
  worktrees: WorktreeManager;
  tasks: TaskStore;
  projects: ProjectRegistry;
  notifier: Notifier;
  clock: Clock;
  log: Logger;
}

/**
 * The runtime's housekeeping (wired by runtime.ts): the disk monitor, the start-up check that
 * Orch owns the files under its data directories, and the garbage collector of finished items'
 * worktrees. Nested roots (repos and worktrees inside the data directory) are walked once.
 */
export function createHousekeeping(d: HousekeepingDeps) {
  const { config, notifier, clock, log } = d;
  const ownRoots = [config.dataDir, d.reposDir, d.worktreesDir]
    .map((p) => resolve(p))
    .filter(
      (p, i, all) => !all.some((o, j) => j !== i && (p === o ? j < i : p.startsWith(`${o}/`))),
    );
  const diskMonitor = new DiskMonitor({
    paths: config.env.ORCH_DISK_MONITOR_PATHS
      ? parseRepoList(config.env.ORCH_DISK_MONITOR_PATHS)
      : ownRoots,
    alertPercent: config.env.ORCH_DISK_ALERT_PERCENT,
    intervalMs: config.env.ORCH_DISK_MONITOR_INTERVAL_S * 1000,
    enabled: config.env.ORCH_DISK_MONITOR_ENABLED,
    notifier,
    clock,
    log,
  });
  let ownership: OwnershipReport = {
    enabled: config.env.ORCH_FS_OWNERSHIP_CHECK,
    uid: process.getuid?.() ?? null,
    checkedAtMs: null,
    scanned: 0,
    truncated: false,
    foreign: 0,
    examples: [],
    fix: null,
  };
  /** The start-up ownership check: logged and notified when something is foreign. */
  const checkFsOwnership = async () => {
    if (!config.env.ORCH_FS_OWNERSHIP_CHECK || !process.getuid || !process.getgid) return;
    ownership = await checkOwnership({
      roots: ownRoots,
      uid: process.getuid(),
      gid: process.getgid(),
      nowMs: clock.now(),
    });
    if (ownership.foreign > 0) {
      log.warn({ ownership }, 'files under the data directories are not owned by Orch');
      await safeNotify(
        notifier,
        {
          type: 'fs_ownership',
          count: ownership.foreign,
          examples: ownership.examples.map((e) => e.path),
          fix: ownership.fix ?? '',
        },
        log,
      );
    }
  };
  const worktreeGc = new WorktreeGc({
    worktrees: d.worktrees,
    finishedIdle: (repos, cutoffMs) => d.tasks.finishedIdle(repos, cutoffMs),
    cloneUrl: (task) => {
      const project = d.projects.all().find((p) => p.key === task.projectKey);
      return project ? project.forge.cloneUrl(task.repo) : null;
    },
    clock,
    log,
    enabled: config.env.ORCH_WORKTREE_GC_ENABLED,
    retentionMs: config.env.ORCH_WORKTREE_RETENTION_S * 1000,
    intervalMs: config.env.ORCH_WORKTREE_GC_INTERVAL_S * 1000,
  });
  return {
    diskMonitor,
    worktreeGc,
    checkFsOwnership,
    /** The start-up ownership check's report (the `fs_ownership` block). */
    ownership: () => ownership,
  };
}

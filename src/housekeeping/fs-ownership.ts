/**
 * Ownership check at start-up (reference ORCH-057): a `docker exec` as root or a `sudo git pull`
 * in the repos directory leaves files Orch's user cannot write, and the next agent run fails with
 * a permission error deep inside git. At start-up Orch walks its data, repos and worktrees
 * directories (bounded: at most `maxEntries` entries) and reports files not owned by its user,
 * with the command that fixes them. Read-only: it changes nothing.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface OwnershipReport {
  enabled: boolean;
  uid: number | null;
  checkedAtMs: number | null;
  scanned: number;
  /** True when the walk stopped at `maxEntries`: more files exist than were checked. */
  truncated: boolean;
  foreign: number;
  /** The first few foreign paths with their owner uid. */
  examples: { path: string; uid: number }[];
  /** The command that gives everything back to Orch's user, when something is foreign. */
  fix: string | null;
}

export async function checkOwnership(o: {
  roots: readonly string[];
  uid: number;
  gid: number;
  nowMs: number;
  maxEntries?: number;
}): Promise<OwnershipReport> {
  const max = o.maxEntries ?? 20_000;
  const examples: { path: string; uid: number }[] = [];
  const foreignRoots = new Set<string>();
  let scanned = 0;
  let foreign = 0;
  let truncated = false;
  for (const root of o.roots) {
    const stack = [root];
    while (stack.length > 0) {
      if (scanned >= max) {
        truncated = true;
        break;
      }
      const path = stack.pop()!;
      const st = await lstat(path).catch(() => null);
      if (!st) continue;
      scanned++;
      if (st.uid !== o.uid) {
        foreign++;
        foreignRoots.add(root);
        if (examples.length < 5) examples.push({ path, uid: st.uid });
      }
      if (st.isDirectory()) {
        const names = await readdir(path).catch(() => [] as string[]);
        for (const n of names) stack.push(join(path, n));
      }
    }
  }
  return {
    enabled: true,
    uid: o.uid,
    checkedAtMs: o.nowMs,
    scanned,
    truncated,
    foreign,
    examples,
    fix:
      foreign > 0
        ? `sudo chown -R ${o.uid}:${o.gid} ${[...foreignRoots].map((r) => JSON.stringify(r)).join(' ')}`
        : null,
  };
}

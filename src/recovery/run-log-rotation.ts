import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface LogFile {
  name: string;
  mtimeMs: number;
}

/**
 * Which run logs to delete (pure): everything older than `keepDays`, and beyond the `keepMax`
 * newest. 0 disables a limit.
 */
export function logsToPrune(
  files: readonly LogFile[],
  o: { nowMs: number; keepDays: number; keepMax: number },
): string[] {
  const newestFirst = [...files].sort(
    (a, b) => b.mtimeMs - a.mtimeMs || (a.name < b.name ? 1 : -1),
  );
  const cutoff = o.keepDays > 0 ? o.nowMs - o.keepDays * 86_400_000 : -Infinity;
  return newestFirst
    .filter((f, i) => f.mtimeMs < cutoff || (o.keepMax > 0 && i >= o.keepMax))
    .map((f) => f.name);
}

/** Deletes old `*.log` files in `dir` (the run logs); a missing dir is nothing to do. */
export function pruneRunLogs(
  dir: string,
  o: { nowMs: number; keepDays: number; keepMax: number },
): number {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.log'));
  } catch {
    return 0;
  }
  const files: LogFile[] = [];
  for (const name of names) {
    try {
      files.push({ name, mtimeMs: statSync(join(dir, name)).mtimeMs });
    } catch {
      // vanished meanwhile
    }
  }
  const doomed = logsToPrune(files, o);
  for (const name of doomed) rmSync(join(dir, name), { force: true });
  return doomed.length;
}

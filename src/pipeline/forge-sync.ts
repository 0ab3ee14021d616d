import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { git, gitMaybe } from '../git/git.js';
import type { Logger } from '../log.js';

/** What fast-forwarding the forge's base branch from the user's repository did. */
export type ForgeSyncOutcome =
  | { kind: 'synced' }
  | { kind: 'not_fast_forward'; reason: string }
  | { kind: 'failed'; reason: string };

/**
 * Fast-forwards the local forge's `baseBranch` (a bare repository) from the same branch of `from`
 * (`forge.pushTo`), so the user's own commits (a `.orch/workflow.md` edit, any work) reach the
 * forge. Never forced: when both moved, git refuses and the forge is left as it is (the next
 * push-back merges them, mergeUserBranch). Never throws.
 */
export async function syncForgeBase(o: {
  forgeRepo: string;
  from: string;
  baseBranch: string;
  timeoutMs?: number;
}): Promise<ForgeSyncOutcome> {
  const ref = `refs/heads/${o.baseBranch}`;
  try {
    // Not --quiet: it also silences git's "[rejected] … (non-fast-forward)", the only sign that
    // tells branches that both moved from a fetch that failed (exit code 1 for both).
    await git(['fetch', '--no-progress', o.from, `${ref}:${ref}`], {
      cwd: o.forgeRepo,
      timeoutMs: o.timeoutMs ?? 120_000,
    });
    return { kind: 'synced' };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return /non-fast-forward|\[rejected\]/i.test(reason)
      ? { kind: 'not_fast_forward', reason }
      : { kind: 'failed', reason };
  }
}

/** syncForgeBase, logged: debug when the branches diverged (expected), warn otherwise. */
export async function syncForgeBaseLogged(
  o: { forgeRepo: string; from: string; baseBranch: string; project?: string },
  log: Logger,
): Promise<ForgeSyncOutcome> {
  const r = await syncForgeBase(o);
  const fields = { project: o.project, from: o.from, baseBranch: o.baseBranch };
  if (r.kind === 'not_fast_forward')
    log.debug({ ...fields, err: r.reason }, 'forge sync: branches diverged, forge left as is');
  else if (r.kind === 'failed') log.warn({ ...fields, err: r.reason }, 'forge sync failed');
  return r;
}

/** What merging the user's base branch into the forge's did. */
export type MergeUserOutcome =
  | { kind: 'merged'; sha: string }
  | { kind: 'conflict'; files: string[] }
  | { kind: 'failed'; reason: string };

/**
 * Merges the user's `baseBranch` (in `from`) into the forge's, in a temporary clone of the forge
 * (`git merge --no-ff`, Orch's identity), and pushes the merge to the forge's base branch. A
 * conflict is aborted and reported with the conflicting files; neither repository is changed then.
 * The temporary clone is always removed.
 */
export async function mergeUserBranch(o: {
  forgeRepo: string;
  from: string;
  baseBranch: string;
  timeoutMs?: number;
}): Promise<MergeUserOutcome> {
  const tmp = mkdtempSync(join(tmpdir(), 'orch-pushback-merge-'));
  const timeoutMs = o.timeoutMs ?? 120_000;
  try {
    const opts = { cwd: tmp, timeoutMs };
    await git(['clone', '--quiet', '--branch', o.baseBranch, o.forgeRepo, tmp], opts);
    await git(['fetch', '--quiet', o.from, o.baseBranch], opts);
    const merged = await gitMaybe(['merge', '--no-ff', '--no-edit', 'FETCH_HEAD'], opts);
    if (merged === null) {
      const listed = await gitMaybe(['diff', '--name-only', '--diff-filter=U'], opts);
      await gitMaybe(['merge', '--abort'], opts);
      return { kind: 'conflict', files: (listed ?? '').split('\n').filter(Boolean) };
    }
    const ref = `refs/heads/${o.baseBranch}`;
    await git(['push', '--quiet', 'origin', `HEAD:${ref}`], opts);
    return { kind: 'merged', sha: await git(['rev-parse', 'HEAD'], opts) };
  } catch (err) {
    return { kind: 'failed', reason: err instanceof Error ? err.message : String(err) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

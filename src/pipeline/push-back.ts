import { isAbsolute } from 'node:path';
import { assertNever } from '../errors.js';
import { git } from '../git/git.js';
import type { Logger } from '../log.js';
import { mergeUserBranch, syncForgeBaseLogged } from './forge-sync.js';
import type { PushBackPayload } from './effects.js';
import type { RecordEvent } from './engine.js';

/** What pushing a done item's base branch back to the user's repository did. */
export type PushBackOutcome =
  | { kind: 'pushed'; sha: string }
  | { kind: 'refused'; why: PushRefusal; reason: string; hint: string; files?: string[] };

/**
 * Why git refused: the branch is checked out there with changes, the branch moved, both moved and
 * Orch's merge of them conflicts (`files`), or other.
 */
export type PushRefusal = 'checked_out' | 'diverged' | 'conflict' | 'failed';

/**
 * A target given as a path (absolute, `./`, `../`, `~`, or a bare relative name), not a URL
 * (`scheme://…`) or an scp-like `user@host:path`. Pure.
 */
export function isLocalPath(target: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return false;
  if (isAbsolute(target) || /^\.{1,2}(\/|$)|^~/.test(target)) return true;
  return !/^[^/]*:/.test(target);
}

/**
 * Classifies a refused push by git's words (pure) and says what the user can run instead. A
 * checked-out branch with changes and a branch that moved on both resolve the same way: pull the
 * forge's base branch into the repository (`--no-rebase`: git ≥ 2.27 refuses a plain pull of
 * divergent branches without a reconcile option), then push the result to the forge.
 */
export function pushRefusal(
  gitMessage: string,
  o: { forgeRepo: string; to: string; baseBranch: string },
): { why: PushRefusal; hint: string } {
  const pull = isLocalPath(o.to)
    ? `git -C ${o.to} pull --no-rebase ${o.forgeRepo} ${o.baseBranch} && ` +
      `git -C ${o.to} push ${o.forgeRepo} ${o.baseBranch}`
    : `git -C ${o.forgeRepo} push ${o.to} ${o.baseBranch}:${o.baseBranch}`;
  if (
    /checked out|unstaged changes|uncommitted|working (directory|tree)|index has/i.test(gitMessage)
  )
    return { why: 'checked_out', hint: pull };
  if (/non-fast-forward|fetch first|\[rejected\]/i.test(gitMessage))
    return { why: 'diverged', hint: pull };
  return { why: 'failed', hint: pull };
}

/**
 * Pushes the forge's `baseBranch` to the same branch of `to`. A local non-bare target is pushed
 * with `receive.denyCurrentBranch=updateInstead` on its side (for this push only, its config is not
 * changed): git updates its checked-out branch and working tree when the tree is clean and refuses
 * when it has changes, so nothing of the user's is ever overwritten. Never a force push.
 */
export async function pushBaseBranch(o: {
  forgeRepo: string;
  to: string;
  baseBranch: string;
  timeoutMs?: number;
}): Promise<PushBackOutcome> {
  const ref = `refs/heads/${o.baseBranch}`;
  const receivePack = isLocalPath(o.to)
    ? ['--receive-pack=git -c receive.denyCurrentBranch=updateInstead receive-pack']
    : [];
  try {
    await git(['push', '--quiet', ...receivePack, o.to, `${ref}:${ref}`], {
      cwd: o.forgeRepo,
      timeoutMs: o.timeoutMs ?? 120_000,
    });
    return { kind: 'pushed', sha: await git(['rev-parse', ref], { cwd: o.forgeRepo }) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { kind: 'refused', reason, ...pushRefusal(reason, o) };
  }
}

/**
 * Pushes back with the user's own commits taken in: first fast-forwards the forge from `to`
 * (syncForgeBase); if the push is still refused because `to` has commits the forge lacks (both
 * moved), merges them in the forge (mergeUserBranch) and pushes again, now a fast-forward. A
 * conflicting merge is refused as `conflict` with the files and the commands to run; neither
 * repository is changed then.
 */
export async function pushBackMerging(
  o: { forgeRepo: string; to: string; baseBranch: string },
  log: Logger,
): Promise<PushBackOutcome> {
  await syncForgeBaseLogged({ forgeRepo: o.forgeRepo, from: o.to, baseBranch: o.baseBranch }, log);
  const first = await pushBaseBranch(o);
  if (first.kind === 'pushed' || first.why !== 'diverged') return first;
  const m = await mergeUserBranch({ forgeRepo: o.forgeRepo, from: o.to, baseBranch: o.baseBranch });
  switch (m.kind) {
    case 'merged':
      return pushBaseBranch(o);
    case 'conflict': {
      const hint = isLocalPath(o.to)
        ? `git -C ${o.to} pull --no-rebase ${o.forgeRepo} ${o.baseBranch}, resolve, commit, ` +
          `then git -C ${o.to} push ${o.forgeRepo} ${o.baseBranch}`
        : `in a clone of ${o.to}: git pull --no-rebase ${o.forgeRepo} ${o.baseBranch}, resolve, ` +
          `commit, then git push ${o.forgeRepo} ${o.baseBranch} and git push origin ${o.baseBranch}`;
      const reason = `merge conflict in ${m.files.join(', ')}`;
      return { kind: 'refused', why: 'conflict', reason, hint, files: m.files };
    }
    case 'failed':
      return { ...first, reason: `${first.reason}; merging failed: ${m.reason}` };
    default:
      return assertNever(m, 'merge outcome');
  }
}

const REFUSAL_TEXT: Record<PushRefusal, string> = {
  checked_out: 'it is checked out there with uncommitted changes',
  diverged: 'it has commits the forge does not have',
  conflict: "its commits and the forge's conflict",
  failed: 'the push failed',
};

/**
 * The outbox's `push_back` delivery: pushes, then records the outcome on the item's timeline. A
 * refusal is a `push_back_failed` entry with the command to run, a tracker comment and a
 * `pipeline_warning` notification, and a warning in the log; the item stays done. Only a failure
 * to record throws (the outbox retries the row; a repeated push is harmless).
 */
export function pushBackDeliverer(deps: {
  forgeRepo: (repo: string) => string;
  record: (taskId: number, event: RecordEvent) => Promise<void>;
  log: Logger;
}) {
  return async (p: PushBackPayload, taskId: number): Promise<void> => {
    const forgeRepo = deps.forgeRepo(p.repo);
    const r = await pushBackMerging({ forgeRepo, to: p.to, baseBranch: p.baseBranch }, deps.log);
    if (r.kind === 'pushed') {
      await deps.record(taskId, {
        type: 'pushed_back',
        message: `pushed ${p.baseBranch} (${r.sha.slice(0, 12)}) to ${p.to}`,
        detail: { to: p.to, baseBranch: p.baseBranch, sha: r.sha },
      });
      return;
    }
    const files = r.files ? ` (${r.files.join(', ')})` : '';
    const message =
      `could not push ${p.baseBranch} to ${p.to}: ${REFUSAL_TEXT[r.why]}${files}; ` +
      `the merge is in ${forgeRepo}, run: ${r.hint}`;
    deps.log.warn({ taskId, err: r.reason, to: p.to }, message);
    await deps.record(taskId, {
      type: 'push_back_failed',
      message,
      detail: {
        to: p.to,
        baseBranch: p.baseBranch,
        why: r.why,
        error: r.reason,
        hint: r.hint,
        ...(r.files && { files: r.files }),
      },
      effects: [
        { kind: 'comment', author: 'orch', body: `⚠️ ${message}` },
        { kind: 'notify', event: { type: 'pipeline_warning', message } },
      ],
    });
  };
}

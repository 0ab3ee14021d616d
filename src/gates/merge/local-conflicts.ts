import { childBaseEnv } from '../../config/child-env.js';
import { runChildProcess } from '../../process/child-process.js';
import { git } from '../../git/git.js';

/**
 * Files that conflict when `HEAD` is merged into `origin/<base>`, computed in the worktree
 * without touching it (`git merge-tree --write-tree`, git ≥ 2.38; exit 1 = conflicts, the
 * conflicted paths follow the tree id). Empty when the merge is clean. Used to tell a real
 * conflict from a forge whose mergeability check has not run yet.
 */
export async function localConflicts(worktree: string, baseBranch: string): Promise<string[]> {
  await git(['fetch', '--quiet', 'origin', baseBranch], { cwd: worktree });
  const args = [
    'merge-tree',
    '--write-tree',
    '--name-only',
    '--no-messages',
    `origin/${baseBranch}`,
    'HEAD',
  ];
  const r = await runChildProcess({
    argv: ['git', ...args],
    cwd: worktree,
    env: childBaseEnv(),
    output: { kind: 'capture', maxBytes: 16 << 20 },
    timeoutMs: 60_000,
  });
  if (r.exitCode === 0) return [];
  if (r.exitCode !== 1)
    throw new Error(`git merge-tree failed: ${r.stderr || String(r.spawnError?.message)}`);
  const lines = r.stdout
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  return [...new Set(lines.filter((l) => l !== ''))];
}

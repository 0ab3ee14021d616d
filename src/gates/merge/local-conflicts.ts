import { execFile } from 'node:child_process';
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
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd: worktree, timeout: 60_000 }, (err, stdout, stderr) => {
      if (!err) return resolve([]);
      if (err.code !== 1) return reject(new Error(`git merge-tree failed: ${String(stderr)}`));
      const lines = String(stdout)
        .split('\n')
        .slice(1)
        .map((l) => l.trim());
      resolve([...new Set(lines.filter((l) => l !== ''))]);
    });
  });
}

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { WorktreeManager } from '../agents/worktrees.js';
import { git, gitMaybe } from '../git/git.js';
import type { Workspace } from './engine.js';
import type { Project } from './project.js';
import type { Task } from './task.js';

/**
 * The task checkouts the pipeline and the agents share: the runner's worktree manager decides
 * the path (`<worktrees>/<repo>/<branch>`), so gates read exactly what the agent wrote.
 */
export class GitWorkspace implements Workspace {
  readonly #worktrees: WorktreeManager;

  constructor(worktrees: WorktreeManager) {
    this.#worktrees = worktrees;
  }

  /**
   * The task's worktree, created (from a fresh fetch) if it is missing. An existing one is used
   * as it is: the engine reads what the agent wrote there, and the gates that compare against
   * the base branch (security scan, catch-up) fetch it themselves.
   */
  async ensure(task: Task, project: Project): Promise<string> {
    const info = await this.#worktrees.ensure(project.forge.cloneUrl(task.repo), task.branch, {
      fetch: 'if-new',
      hookContext: { workItemId: task.workItemId, stage: task.stage },
    });
    return info.path;
  }

  headSha(worktree: string): Promise<string | null> {
    return gitMaybe(['rev-parse', 'HEAD'], { cwd: worktree });
  }

  /**
   * Commits everything the agent changed (task files under .orch/ are excluded by the worktree
   * manager) and pushes the branch.
   */
  async commitAndPush(worktree: string, branch: string, message: string): Promise<void> {
    await git(['add', '-A'], { cwd: worktree });
    const staged = await gitMaybe(['diff', '--cached', '--quiet'], { cwd: worktree });
    if (staged === null)
      await git(['commit', '--quiet', '--no-verify', '-m', message], { cwd: worktree });
    // Task branches belong to Orch; an agent may have rewritten one (e.g. to purge a leaked
    // secret from its history), so push with a lease rather than fast-forward only.
    await git(['push', '--quiet', '--force-with-lease', 'origin', `HEAD:refs/heads/${branch}`], {
      cwd: worktree,
    });
  }

  /** Writes a file into the task's worktree (intake's 00-business-request.md). */
  async writeFile(worktree: string, relPath: string, text: string): Promise<void> {
    const path = join(worktree, relPath);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  }
}

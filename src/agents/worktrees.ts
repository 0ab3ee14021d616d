import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { OrchError } from '../errors.js';
import { git as runGit, gitMaybe } from '../git/git.js';
import { hookError, noHooks, type HookContext, type WorkspaceHooks } from './workspace-hooks.js';

const GIT_TIMEOUT_MS = 60_000;

/**
 * Git worktrees for agent runs (spec §1 row 20): every repo is cloned once under `reposDir` (from
 * a forge URL or a local path, never used in place) and fetched before use; every task branch
 * gets one worktree under `worktreesDir/<repo>/<branch>`. Errors carry a code and a hint:
 * REPO_NOT_FOUND, REPO_NOT_A_GIT_REPO, GIT_PERMISSION_DENIED, WORKDIR_UNUSABLE,
 * WORKTREE_BRANCH_MISMATCH, WORKTREE_PATH_CONFLICT, WORKTREE_DIRTY, GIT_FAILED,
 * WORKTREE_PATH_OUTSIDE_ROOT, WORKSPACE_HOOK_FAILED.
 *
 * Workspace hooks (./workspace-hooks.ts) run here, inside the repository's lock, so no caller is
 * handed a worktree whose `after_create` is still running: `after_create` when `ensure` creates a
 * worktree (whoever calls it: intake, the engine, the runner), `before_remove` before `remove` /
 * `removeFinished` delete one.
 */
export interface WorktreeInfo {
  repoName: string;
  repoPath: string;
  path: string;
  branch: string;
  created: boolean;
}

export class WorktreeManager {
  readonly reposDir: string;
  readonly worktreesDir: string;
  /** The projects' workspace hooks; the runner runs `before_run` / `after_run` through it too. */
  readonly hooks: WorkspaceHooks;

  /** Git operations on one clone are serialized in-process (clone/fetch/worktree add race). */
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(options: { reposDir: string; worktreesDir: string; hooks?: WorkspaceHooks }) {
    this.reposDir = resolve(options.reposDir);
    this.worktreesDir = resolve(options.worktreesDir);
    this.hooks = options.hooks ?? noHooks;
  }

  /** The clone directory name of a repo reference: last path segment without `.git`. */
  static repoName(repo: string): string {
    const trimmed = repo.replace(/[/\\]+$/, '').replace(/\.git$/, '');
    const name = basename(trimmed.replace(/^.*:/, '')).replace(/[^A-Za-z0-9._-]/g, '_');
    if (name === '' || name === '.' || name === '..') {
      throw new OrchError('REPO_NOT_FOUND', `cannot derive a repository name from "${repo}"`);
    }
    return name;
  }

  /**
   * `<worktreesDir>/<repo>/<branch>`, the branch's `/` and other characters outside
   * `[A-Za-z0-9._-]` replaced by `__`. Always a directory exactly two levels below
   * `worktreesDir`: a name that would resolve elsewhere (`.`, `..`, empty) is refused with
   * WORKTREE_PATH_OUTSIDE_ROOT, whoever asks (`ensure`, the GC, the dashboard).
   */
  worktreePath(repo: string, branch: string): string {
    const segment = branch.replace(/[^A-Za-z0-9._-]/g, '__');
    const path = join(this.worktreesDir, WorktreeManager.repoName(repo), segment);
    const confined =
      segment !== '' &&
      segment !== '.' &&
      segment !== '..' &&
      path.startsWith(this.worktreesDir + sep) &&
      dirname(dirname(path)) === this.worktreesDir;
    if (!confined) {
      throw new OrchError(
        'WORKTREE_PATH_OUTSIDE_ROOT',
        `branch "${branch}" gives no worktree path inside ${this.worktreesDir}`,
      );
    }
    return path;
  }

  #locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.#locks.set(key, settled);
    void settled.then(() => {
      if (this.#locks.get(key) === settled) this.#locks.delete(key);
    });
    return next;
  }

  /** Clones the repo if needed, else fetches it; returns the clone path. */
  ensureRepo(repo: string): Promise<string> {
    const key = WorktreeManager.repoName(repo);
    return this.#locked(key, () => this.#ensureRepo(repo));
  }

  async #ensureRepo(repo: string): Promise<string> {
    const repoPath = join(this.reposDir, WorktreeManager.repoName(repo));
    mkdirOrThrow(this.reposDir);
    if (existsSync(join(repoPath, '.git'))) {
      await git(['fetch', '--prune', 'origin'], repoPath);
      return repoPath;
    }
    if (existsSync(repoPath)) {
      throw new OrchError('REPO_NOT_A_GIT_REPO', `${repoPath} exists but is not a git clone`, {
        details: { hint: `move or delete ${repoPath}; Orch will clone it again` },
      });
    }
    const source = isUrl(repo) ? repo : localSource(repo);
    // Clone beside the target and rename: another process never sees a half-made clone.
    const tmp = `${repoPath}.tmp-${process.pid}-${Date.now()}`;
    try {
      await git(['clone', '--no-checkout', source, tmp], this.reposDir);
      // Task files live in .orch/ inside worktrees; keep them out of commits.
      appendFileSync(join(tmp, '.git', 'info', 'exclude'), '\n.orch/\n');
      renameSync(tmp, repoPath);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (existsSync(join(repoPath, '.git'))) return repoPath; // another process won the race
      throw err;
    }
    return repoPath;
  }

  /**
   * Creates the branch's worktree, or reuses it. New branches start from the default branch.
   * The clone is fetched first, so a new worktree starts from the forge's latest commit and an
   * agent sees fresh `origin/*` refs; `fetch: 'if-new'` skips the fetch when the worktree is
   * already there (the pipeline's gates read the files the agent just wrote, and the gates that
   * compare against the base branch fetch it themselves).
   */
  async ensure(
    repo: string,
    branch: string,
    options: { fetch?: 'always' | 'if-new'; hookContext?: Omit<HookContext, 'worktree'> } = {},
  ): Promise<WorktreeInfo> {
    await validBranch(branch);
    return this.#locked(WorktreeManager.repoName(repo), async () => {
      const info = await this.#ensure(repo, branch, options.fetch ?? 'always');
      if (info.created) await this.#afterCreate(repo, info, options.hookContext ?? {});
      return info;
    });
  }

  /**
   * A failed `after_create` removes the new worktree again (the branch stays), so the next
   * `ensure` creates it afresh and runs the hook again, and throws WORKSPACE_HOOK_FAILED.
   */
  async #afterCreate(
    repo: string,
    info: WorktreeInfo,
    ctx: Omit<HookContext, 'worktree'>,
  ): Promise<void> {
    const r = await this.hooks.run('after_create', repo, { ...ctx, worktree: info.path });
    if (r.kind !== 'failed') return;
    await git(['worktree', 'remove', '--force', info.path], info.repoPath).catch(() => undefined);
    rmSync(info.path, { recursive: true, force: true });
    await gitOk(['worktree', 'prune'], info.repoPath);
    throw hookError(r);
  }

  async #ensure(repo: string, branch: string, fetch: 'always' | 'if-new'): Promise<WorktreeInfo> {
    const path = this.worktreePath(repo, branch);
    const repoName = WorktreeManager.repoName(repo);
    if (fetch === 'if-new' && existsSync(path)) {
      const repoPath = join(this.reposDir, repoName);
      await this.#assertReusable(path, branch);
      return { repoName, repoPath, path, branch, created: false };
    }
    const repoPath = await this.#ensureRepo(repo);
    const info = { repoName, repoPath, path, branch };
    if (existsSync(path)) {
      await this.#assertReusable(path, branch);
      return { ...info, created: false };
    }
    mkdirOrThrow(join(this.worktreesDir, info.repoName));
    await git(['worktree', 'prune'], repoPath);
    const remote = await gitOk(
      ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}`],
      repoPath,
    );
    const local = await gitOk(
      ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`],
      repoPath,
    );
    if (local) await git(['worktree', 'add', path, branch], repoPath);
    else if (remote)
      await git(['worktree', 'add', '-b', branch, path, `origin/${branch}`], repoPath);
    else await git(['worktree', 'add', '-b', branch, path, await defaultStart(repoPath)], repoPath);
    return { ...info, created: true };
  }

  /**
   * Removes a worktree; refuses one with uncommitted changes unless `force`. `before_remove` runs
   * first (its failure is logged by the hooks and the removal goes on).
   */
  remove(repo: string, branch: string, options: RemoveOptions = {}): Promise<boolean> {
    return this.#locked(WorktreeManager.repoName(repo), () => this.#remove(repo, branch, options));
  }

  async #remove(repo: string, branch: string, options: RemoveOptions): Promise<boolean> {
    const path = this.worktreePath(repo, branch);
    const repoPath = join(this.reposDir, WorktreeManager.repoName(repo));
    if (!existsSync(path)) return false;
    if (!options.force && (await isDirty(path))) {
      throw new OrchError('WORKTREE_DIRTY', `worktree ${path} has uncommitted changes`, {
        details: { hint: 'commit or discard the changes, or remove with force' },
      });
    }
    await this.hooks.run('before_remove', repo, { ...options.hookContext, worktree: path });
    await git(['worktree', 'remove', '--force', path], repoPath);
    await git(['worktree', 'prune'], repoPath);
    return true;
  }

  /**
   * Garbage collection: removes the branch's worktree (uncommitted files included: only called
   * for finished items) and the clone's local branch. The branch stays on the forge. Returns
   * whether a worktree was there.
   */
  removeFinished(
    repo: string,
    branch: string,
    options: Pick<RemoveOptions, 'hookContext'> = {},
  ): Promise<boolean> {
    return this.#locked(WorktreeManager.repoName(repo), async () => {
      const removed = await this.#remove(repo, branch, { ...options, force: true });
      const repoPath = join(this.reposDir, WorktreeManager.repoName(repo));
      if (existsSync(join(repoPath, '.git'))) await gitOk(['branch', '-D', branch], repoPath);
      return removed;
    });
  }

  async #assertReusable(path: string, branch: string): Promise<void> {
    // One git call in the usual case; the two below only to name what is wrong.
    const both = await gitOk(['rev-parse', '--is-inside-work-tree', '--abbrev-ref', 'HEAD'], path);
    const [isInside, checkedOut] = (both ?? '').split('\n').map((l) => l.trim());
    if (isInside === 'true' && checkedOut === branch && existsSync(join(path, '.git'))) return;
    const inside = await gitOk(['rev-parse', '--is-inside-work-tree'], path);
    if (!inside || !existsSync(join(path, '.git'))) {
      throw new OrchError('WORKTREE_PATH_CONFLICT', `${path} exists but is not a git worktree`, {
        details: { hint: `delete ${path}; Orch will recreate the worktree` },
      });
    }
    const head = (await git(['rev-parse', '--abbrev-ref', 'HEAD'], path)).trim();
    if (head !== branch) {
      throw new OrchError(
        'WORKTREE_BRANCH_MISMATCH',
        `worktree ${path} has ${head} checked out, expected ${branch}`,
        {
          details: { hint: `run: git -C ${path} checkout ${branch}` },
        },
      );
    }
  }
}

interface RemoveOptions {
  force?: boolean;
  /** What `before_remove` is told (the GC: the item and its stage). */
  hookContext?: Omit<HookContext, 'worktree'>;
}

function isUrl(repo: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) || /^[^/\s]+@[^:\s]+:/.test(repo);
}

function localSource(repo: string): string {
  const abs = resolve(repo);
  if (!existsSync(abs)) {
    throw new OrchError('REPO_NOT_FOUND', `repository ${abs} does not exist`, {
      details: { hint: 'give a forge URL or the path of an existing git repository' },
    });
  }
  if (!existsSync(join(abs, '.git')) && !existsSync(join(abs, 'HEAD'))) {
    throw new OrchError('REPO_NOT_A_GIT_REPO', `${abs} is not a git repository`, {
      details: { hint: `run: git -C ${abs} init, or point the project at the right directory` },
    });
  }
  return abs;
}

function mkdirOrThrow(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw permissionError(dir, err);
    throw new OrchError('WORKDIR_UNUSABLE', `cannot use ${dir} as a directory`, {
      cause: err,
      details: {
        hint: `check ORCH_REPOS_DIR / ORCH_WORKTREES_DIR; ${dir} must be a writable directory`,
      },
    });
  }
}

function permissionError(path: string, cause: unknown): OrchError {
  return new OrchError('GIT_PERMISSION_DENIED', `cannot write ${path}`, {
    cause,
    details: { hint: `fix ownership: sudo chown -R $(id -u):$(id -g) ${path}` },
  });
}

/** Names `git check-ref-format` accepted: the answer depends on the name alone. */
const validBranches = new Set<string>();
const VALID_BRANCHES_MAX = 10_000;

async function validBranch(branch: string): Promise<void> {
  if (validBranches.has(branch)) return;
  if (!(await gitOk(['check-ref-format', '--branch', branch], process.cwd()))) {
    throw new OrchError('GIT_FAILED', `"${branch}" is not a valid branch name`);
  }
  if (validBranches.size >= VALID_BRANCHES_MAX) validBranches.clear();
  validBranches.add(branch);
}

async function defaultStart(repoPath: string): Promise<string> {
  const head = await gitOk(['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'], repoPath);
  if (head) return head.trim().replace('refs/remotes/', '');
  for (const b of ['origin/main', 'origin/master']) {
    if (await gitOk(['rev-parse', '--verify', '--quiet', b], repoPath)) return b;
  }
  throw new OrchError('GIT_FAILED', `cannot find the default branch of ${repoPath}`, {
    details: { hint: 'the repository needs at least one commit on its default branch' },
  });
}

async function isDirty(path: string): Promise<boolean> {
  return (await git(['status', '--porcelain'], path)).trim() !== '';
}

/** git in `cwd`; a failure is an OrchError classified by src/git/git.ts. */
function git(args: readonly string[], cwd: string): Promise<string> {
  return runGit(args, { cwd, timeoutMs: GIT_TIMEOUT_MS });
}

/** git output, `'ok'` for a success without output, null for a failure (probes). */
async function gitOk(args: readonly string[], cwd: string): Promise<string | null> {
  const out = await gitMaybe(args, { cwd, timeoutMs: GIT_TIMEOUT_MS });
  return out === null ? null : out || 'ok';
}

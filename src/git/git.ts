import { childBaseEnv } from '../config/child-env.js';
import { OrchError } from '../errors.js';
import { runChildProcess, type ChildExit } from '../process/child-process.js';
import { gitAuthEnv, isGitNetworkCommand, refreshGitCredentials } from './git-auth.js';

export interface GitOptions {
  cwd: string;
  timeoutMs?: number;
  /** git's base environment; default `childBaseEnv()` (Orch's own secrets removed). */
  env?: Readonly<Record<string, string>>;
  /** Return stdout as git wrote it (file contents, patches); default: trimmed. */
  raw?: boolean;
}

/** git's stdout is kept whole (`git show`, `git log`); past this the command fails. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * A task's clone and its worktrees share one ref store: a `fetch` in the clone and a `push` or
 * `fetch` in a worktree can both update `refs/remotes/origin/<branch>` at the same moment, and the
 * loser fails with "cannot lock ref" (seen with 8 items in flight in bench:pipeline: the item was
 * Blocked). Both commands are idempotent, so they are tried again after a short pause.
 */
const REF_LOCK_RE = /cannot lock ref|unable to create '[^']*\.lock'/i;
const REF_LOCK_RETRY_MS = [25, 100, 250];

/**
 * Runs one git command through the child-process helper and returns its trimmed stdout. A failure
 * (non-zero exit, timeout, too much output, no git) throws OrchError GIT_FAILED with git's stderr
 * (which never contains our secrets: credentials are not put on command lines). A network command
 * (clone, fetch, push, …) gets the registered forge credentials through its environment only
 * (src/git/git-auth.ts), refreshed first. A `fetch` or `push` that lost a race for a ref lock is
 * tried again (REF_LOCK_RETRY_MS).
 */
export async function git(args: readonly string[], options: GitOptions): Promise<string> {
  const retriable = args[0] === 'fetch' || args[0] === 'push';
  const network = isGitNetworkCommand(args);
  for (let attempt = 0; ; attempt++) {
    if (network) await refreshGitCredentials();
    const r = await gitOnce(args, options, network ? gitAuthEnv() : {});
    if (r.exitCode === 0 && r.killReason === null) return options.raw ? r.stdout : r.stdout.trim();
    const pause = REF_LOCK_RETRY_MS[attempt];
    if (retriable && pause !== undefined && isRefLockRace(r)) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      continue;
    }
    const why = failure(r);
    const stderr = r.stderr.trim();
    // A timeout or a failed start says so first; an ordinary failure is git's own words.
    const detail =
      r.exitCode === null || r.killReason ? `${why}${stderr ? `: ${stderr}` : ''}` : stderr || why;
    throw gitError(args, options.cwd, detail, new Error(`git ${args[0] ?? ''}: ${why}`));
  }
}

function isRefLockRace(r: ChildExit): boolean {
  return (
    r.exitCode !== null &&
    r.killReason === null &&
    REF_LOCK_RE.test(r.stderr) &&
    !/permission denied|read-only file system/i.test(r.stderr)
  );
}

function gitOnce(
  args: readonly string[],
  options: GitOptions,
  auth: Readonly<Record<string, string>>,
): Promise<ChildExit> {
  return runChildProcess({
    argv: ['git', ...args],
    cwd: options.cwd,
    env: {
      ...(options.env ?? childBaseEnv()),
      ...auth,
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Orch',
      GIT_AUTHOR_EMAIL: 'orch@localhost',
      GIT_COMMITTER_NAME: 'Orch',
      GIT_COMMITTER_EMAIL: 'orch@localhost',
    },
    output: { kind: 'capture', maxBytes: MAX_OUTPUT_BYTES },
    timeoutMs: options.timeoutMs ?? 60_000,
  });
}

function failure(r: ChildExit): string {
  if (r.spawnError) return `could not start git: ${r.spawnError.message}`;
  if (r.killReason === 'timeout') return 'timed out';
  if (r.killReason === 'overflow') return `output over ${MAX_OUTPUT_BYTES} bytes`;
  return r.signal ? `killed by ${r.signal}` : `exit code ${String(r.exitCode)}`;
}

/**
 * Classifies a git failure by its stderr: unwritable paths (GIT_PERMISSION_DENIED, with the
 * chown that fixes them — reference incident 16), not a repository (REPO_NOT_A_GIT_REPO), or
 * anything else (GIT_FAILED).
 */
export function gitError(
  args: readonly string[],
  cwd: string,
  stderr: string,
  cause: unknown,
): OrchError {
  const what = `git ${args[0] ?? ''}`;
  const lockRace = REF_LOCK_RE.test(stderr) && /file exists|is at .* but expected/i.test(stderr);
  if (!lockRace && /permission denied|unable to create|insufficient permission/i.test(stderr)) {
    return new OrchError('GIT_PERMISSION_DENIED', `${what}: cannot write ${cwd}`, {
      cause,
      details: { hint: `fix ownership: sudo chown -R $(id -u):$(id -g) ${cwd}` },
    });
  }
  if (/not a git repository|does not appear to be a git repository/i.test(stderr)) {
    return new OrchError('REPO_NOT_A_GIT_REPO', `${what}: ${stderr.slice(0, 300)}`, { cause });
  }
  return new OrchError('GIT_FAILED', `${what} failed: ${stderr.slice(0, 300)}`, {
    cause,
    details: { args: args.slice(0, 3), cwd },
  });
}

/** git, but a failing command yields null instead of throwing (for probes like rev-parse). */
export async function gitMaybe(
  args: readonly string[],
  options: GitOptions,
): Promise<string | null> {
  try {
    return await git(args, options);
  } catch {
    return null;
  }
}

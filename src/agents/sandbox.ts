import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { OrchError } from '../errors.js';

/** How an agent process is isolated: not at all, or in a bubblewrap sandbox (docs/operations.md). */
export const SANDBOX_KINDS = ['none', 'bubblewrap'] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];

export interface BubblewrapOptions {
  /** The agent's worktree: the only writable project directory, and the working directory. */
  worktree: string;
  /** The git directory the worktree's `.git` file points into (objects, refs): writable. */
  gitCommonDir: string | null;
  /** The agent's home inside the sandbox: an empty tmpfs (nothing of the host user's home). */
  home: string;
  /** Directories replaced by an empty tmpfs: Orch's data dir, repos, worktrees, the DB's dir. */
  hiddenDirs: readonly string[];
  bwrap?: string;
}

/**
 * Pure: the bubblewrap argv that runs `argv` with the system read-only, its own /tmp, /proc
 * (own pid namespace), /dev and empty home, Orch's directories hidden, and only the worktree and
 * its git directory writable. The network stays shared (agents call their model APIs). No
 * `--new-session`: the runner kills the agent by process group, which must include it.
 */
export function bubblewrapArgv(argv: readonly string[], o: BubblewrapOptions): string[] {
  const out = [o.bwrap ?? 'bwrap', '--die-with-parent', '--unshare-all', '--share-net'];
  out.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp');
  for (const dir of o.hiddenDirs) if (existsSync(dir)) out.push('--tmpfs', dir);
  out.push('--tmpfs', o.home, '--setenv', 'HOME', o.home, '--setenv', 'TMPDIR', '/tmp');
  if (o.gitCommonDir) out.push('--bind', o.gitCommonDir, o.gitCommonDir);
  out.push('--bind', o.worktree, o.worktree, '--chdir', o.worktree, '--', ...argv);
  return out;
}

/** The git common directory of a worktree (absolute), or null outside git. */
export function gitCommonDir(worktree: string): string | null {
  try {
    const dir = execFileSync('git', ['rev-parse', '--git-common-dir'], {
      cwd: worktree,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return isAbsolute(dir) ? dir : resolve(worktree, dir);
  } catch {
    return null;
  }
}

/** The agent's (empty) home inside the sandbox, on the sandbox's own /tmp. */
export const SANDBOX_HOME = '/tmp/home';

const probes = new Map<string, string | null>();

/**
 * Whether bubblewrap can build a sandbox here: null when it can, else why not (missing binary,
 * no user namespaces, a seccomp policy…). Probed once per binary with the options the runs use.
 */
export function bubblewrapProblem(bwrap = 'bwrap'): string | null {
  const cached = probes.get(bwrap);
  if (cached !== undefined) return cached;
  const argv = bubblewrapArgv(['true'], {
    worktree: '/',
    gitCommonDir: null,
    home: SANDBOX_HOME,
    hiddenDirs: [],
    bwrap,
  });
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  let problem: string | null = null;
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    problem = missing
      ? `${bwrap} is not installed (Debian: apt-get install bubblewrap)`
      : r.error.message;
  } else if (r.status !== 0) {
    problem = `${bwrap} cannot create a sandbox here (user namespaces disabled?): ${(r.stderr || '').trim() || `exit ${r.status}`}`;
  }
  probes.set(bwrap, problem);
  return problem;
}

/** Throws SANDBOX_UNAVAILABLE (the run fails with this reason) when bubblewrap cannot run. */
export function assertBubblewrap(bwrap = 'bwrap'): void {
  const problem = bubblewrapProblem(bwrap);
  if (problem !== null) {
    throw new OrchError('SANDBOX_UNAVAILABLE', `sandbox: bubblewrap is unavailable: ${problem}`);
  }
}

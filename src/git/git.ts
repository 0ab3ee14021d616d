import { execFile } from 'node:child_process';
import { OrchError } from '../errors.js';

export interface GitOptions {
  cwd: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs one git command and returns its trimmed stdout. A failure throws OrchError GIT_FAILED with
 * git's stderr (which never contains our secrets: credentials are not put on command lines).
 */
export function git(args: readonly string[], options: GitOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      {
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        env: {
          ...(options.env ?? process.env),
          GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: 'Orch',
          GIT_AUTHOR_EMAIL: 'orch@localhost',
          GIT_COMMITTER_NAME: 'Orch',
          GIT_COMMITTER_EMAIL: 'orch@localhost',
        },
      },
      (err, stdout, stderr) => {
        if (err) reject(gitError(args, options.cwd, String(stderr).trim() || err.message, err));
        else resolve(String(stdout).trim());
      },
    );
  });
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
  if (/permission denied|unable to create|insufficient permission/i.test(stderr)) {
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

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
        if (err) {
          reject(
            new OrchError(
              'GIT_FAILED',
              `git ${args[0] ?? ''} failed: ${String(stderr).trim() || err.message}`,
              {
                cause: err,
                details: { args: args.slice(0, 3), cwd: options.cwd },
              },
            ),
          );
        } else resolve(String(stdout).trim());
      },
    );
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

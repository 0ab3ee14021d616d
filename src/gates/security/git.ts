import { childBaseEnv } from '../../config/child-env.js';
import { assertNever } from '../../errors.js';
import { gitAuthEnv, isGitNetworkCommand, refreshGitCredentials } from '../../git/git-auth.js';
import { outputTail, runCommand, type RunOutcome } from './process-runner.js';

/** The git binary; git is a hard dependency of Orch, so it is looked up on the inherited PATH. */
const GIT = 'git';
/** `git fetch` and other bookkeeping calls (spec §7.6: 60 s, so a hung fetch never wedges). */
export const GIT_TIMEOUT_MS = 60_000;

export type GitResult = { ok: true; stdout: string } | { ok: false; detail: string };

export function describeOutcome(what: string, o: RunOutcome, timeoutMs: number): string {
  switch (o.kind) {
    case 'exit':
      return `${what} rc=${o.rc}: ${outputTail(o)}`;
    case 'signal':
      return `${what} killed by ${o.signal}: ${outputTail(o)}`;
    case 'timeout':
      return `${what} timeout after ${Math.round(timeoutMs / 1000)}s`;
    case 'not-found':
      return `${what} binary not found`;
    case 'overflow':
      return `${what} output too large`;
    case 'spawn-error':
      return `${what} error: ${o.message}`;
    default:
      return assertNever(o, 'run outcome');
  }
}

/**
 * Runs `git -C <dir> …args`; anything but rc 0 is `{ ok: false }` with a short detail. A fetch
 * gets the forge credentials in its environment only (src/git/git-auth.ts).
 */
export async function git(
  dir: string,
  args: readonly string[],
  timeoutMs = GIT_TIMEOUT_MS,
): Promise<GitResult> {
  const network = isGitNetworkCommand(args);
  if (network) await refreshGitCredentials();
  const o = await runCommand([GIT, '-C', dir, ...args], {
    cwd: dir,
    timeoutMs,
    env: { ...childBaseEnv(), ...(network ? gitAuthEnv() : {}) },
  });
  if (o.kind === 'exit' && o.rc === 0) return { ok: true, stdout: o.stdout };
  // Only stderr goes into the detail: stdout of `git log -p` holds raw patch text (secrets).
  const safe =
    o.kind === 'exit' || o.kind === 'signal' || o.kind === 'timeout' ? { ...o, stdout: '' } : o;
  const sub = args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? '';
  return { ok: false, detail: describeOutcome(`git ${sub}`, safe, timeoutMs) };
}

/** The commit a ref names, or null when it does not resolve. */
export async function resolveCommit(dir: string, ref: string): Promise<string | null> {
  const r = await git(dir, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return r.ok ? r.stdout.trim() : null;
}

/** A file's content at a ref, or null when the ref has no such file. */
export async function showFileAt(dir: string, ref: string, path: string): Promise<string | null> {
  const r = await git(dir, ['show', `${ref}:${path}`]);
  return r.ok ? r.stdout : null;
}

/**
 * Best-effort `git fetch <remote> <branch>` when `targetRef` is `<remote>/<branch>` for a
 * configured remote. Returns a warning when the fetch failed: a stale target can only widen the
 * scanned range (a false positive, never a false negative — spec §6.6, G-5).
 */
export async function fetchTarget(dir: string, targetRef: string): Promise<string | null> {
  const slash = targetRef.indexOf('/');
  if (slash <= 0) return null;
  const remotes = await git(dir, ['remote']);
  const remote = targetRef.slice(0, slash);
  if (!remotes.ok || !remotes.stdout.split('\n').includes(remote)) return null;
  const r = await git(dir, ['fetch', '--quiet', remote, targetRef.slice(slash + 1)]);
  return r.ok ? null : `fetch of ${targetRef} failed (scanning against the local ref): ${r.detail}`;
}

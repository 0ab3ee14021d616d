/**
 * HTTP credentials for Orch's OWN git network commands (issue 20): a token never goes into a
 * clone URL, so it is neither in a clone's `.git/config` (which agents read from their
 * worktrees) nor on a command line, and a rotated token (a GitHub App's installation token lasts
 * one hour) is used from the next fetch on. Each credential is handed to git through environment
 * only config (`GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n`, git ≥ 2.31):
 * `http.<urlPrefix>.extraHeader = Authorization: Basic base64(<user>:<token>)`, which git sends
 * only to URLs under that prefix. Only src/git/git.ts adds this environment, and only for
 * network commands; agents, hooks and test commands get `childBaseEnv()` / `agentBaseEnv()`,
 * which name no GIT_CONFIG_* variable. See docs/decisions.md.
 */
export interface GitHttpCredential {
  /** The current token, synchronously (null: none yet; git then goes without). */
  token(): string | null;
  /** Makes `token()` current (an App's installation token fetched or refreshed). */
  refresh?(): Promise<void>;
  /** Basic auth user name; GitHub: `x-access-token`. */
  username: string;
}

/** Git commands that talk to a remote, and so get the credentials. */
const NETWORK_COMMANDS = new Set(['clone', 'fetch', 'pull', 'push', 'ls-remote']);

const credentials = new Map<string, GitHttpCredential>();

/** Pure: `https://host/path/` — a URL prefix as git's `http.<url>.*` config matches it. */
export function gitUrlPrefix(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/*$/, '/')}`;
}

/**
 * Registers the credential for every URL under `urlPrefix` (replacing an earlier one for the
 * same prefix); returns the function that removes it again.
 */
export function registerGitCredential(urlPrefix: string, cred: GitHttpCredential): () => void {
  const key = gitUrlPrefix(urlPrefix);
  credentials.set(key, cred);
  return () => {
    if (credentials.get(key) === cred) credentials.delete(key);
  };
}

/** Whether `git <args>` talks to a remote. Pure. */
export function isGitNetworkCommand(args: readonly string[]): boolean {
  return NETWORK_COMMANDS.has(args[0] ?? '');
}

/** Refreshes every credential before a network command; a failed refresh keeps the old token. */
export async function refreshGitCredentials(): Promise<void> {
  await Promise.all(
    [...credentials.values()].map(async (c) => {
      try {
        await c.refresh?.();
      } catch {
        // keep the cached token: git then fails with the forge's 401, and the step is retried
      }
    }),
  );
}

/** Pure: the `Authorization` header value git sends for a credential. */
export function basicAuthorization(username: string, token: string): string {
  return `Basic ${Buffer.from(`${username}:${token}`).toString('base64')}`;
}

/**
 * The environment that gives a network git command the registered credentials, plus
 * `core.hooksPath=/dev/null`: a hook an agent wrote into the shared `.git/hooks` (`pre-push`)
 * never runs inside a process that holds a token. Empty when nothing is registered.
 */
export function gitAuthEnv(): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [prefix, cred] of credentials) {
    const token = cred.token();
    if (token === null || token === '') continue;
    entries.push([
      `http.${prefix}.extraHeader`,
      `Authorization: ${basicAuthorization(cred.username, token)}`,
    ]);
  }
  if (entries.length === 0) return {};
  entries.push(['core.hooksPath', '/dev/null']);
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

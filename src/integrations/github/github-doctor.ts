import { asObject, asString, pick } from '../webhooks/loose-json.js';
import type { GithubClient } from './github-client.js';

export interface GithubCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** What Orch does on each repository, and the GitHub App permission each needs. */
const APP_NEEDS = [
  ['contents', 'write', 'push branches'],
  ['pull_requests', 'write', 'open and merge pull requests'],
  ['issues', 'write', 'comment on and label issues'],
  ['statuses', 'write', 'post commit statuses'],
] as const;

const LEVEL: Readonly<Record<string, number>> = { read: 1, write: 2, admin: 3 };

/** App permissions (`installation.permissions`) below what Orch needs, in words. Pure. */
export function missingAppPermissions(permissions: unknown): string[] {
  const p = asObject(permissions) ?? {};
  return APP_NEEDS.filter(
    ([key, level]) => (LEVEL[asString(p[key]) ?? ''] ?? 0) < LEVEL[level]!,
  ).map(([key, level, why]) => `${key}: ${level} (to ${why})`);
}

/** A classic token's `x-oauth-scopes` lacks `repo` (or `public_repo`). Null for fine-grained tokens. */
export function missingScopes(scopesHeader: string | null): string | null {
  if (scopesHeader === null) return null;
  const scopes = scopesHeader.split(',').map((s) => s.trim());
  return scopes.includes('repo') || scopes.includes('public_repo')
    ? null
    : `the token's scopes (${scopesHeader || 'none'}) lack "repo" (or "public_repo" for public repositories)`;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * `orch doctor` for GitHub: the credentials work (`GET /user` for a token, `GET /app` for an
 * App), a classic token has the `repo` scope, and on each repository Orch may push, open and
 * merge pull requests, write issues and commit statuses — what is missing said in words. A
 * fine-grained token's own permissions cannot be read: its user's repository role is checked.
 */
export async function checkGithub(
  client: GithubClient,
  o: { repos: readonly string[] },
): Promise<GithubCheck[]> {
  const out: GithubCheck[] = [];
  const app = client.auth.kind === 'app';
  let scopes: string | null = null;
  try {
    const res = await client.request('GET', app ? '/app' : '/user');
    const who = app
      ? `App ${asString(pick(res.data, 'slug')) ?? '?'}`
      : asString(pick(res.data, 'login'));
    scopes = app ? null : res.headers.get('x-oauth-scopes');
    out.push({ name: 'github auth', ok: true, detail: `authenticated as ${who ?? '?'}` });
  } catch (err) {
    out.push({ name: 'github auth', ok: false, detail: errText(err) });
    return out;
  }
  if (!app) {
    const missing = missingScopes(scopes);
    out.push({
      name: 'github token scopes',
      ok: missing === null,
      detail:
        missing ??
        (scopes === null ? 'fine-grained token: scopes not listed' : `scopes: ${scopes}`),
    });
  }
  for (const repo of o.repos) out.push(await checkRepo(client, repo, app));
  return out;
}

async function checkRepo(client: GithubClient, repo: string, app: boolean): Promise<GithubCheck> {
  const name = `github repo ${repo}`;
  try {
    if (app) {
      const res = await client.request('GET', `/repos/${repo}/installation`);
      const missing = missingAppPermissions(pick(res.data, 'permissions'));
      return {
        name,
        ok: missing.length === 0,
        detail:
          missing.length === 0
            ? 'App installed with the permissions Orch needs'
            : `the App needs ${missing.join(', ')}`,
      };
    }
    const res = await client.request('GET', `/repos/${repo}`);
    const perms = asObject(pick(res.data, 'permissions'));
    const push = perms?.push === true || perms?.maintain === true || perms?.admin === true;
    return {
      name,
      ok: push,
      detail: push
        ? 'write access (fine-grained tokens also need Contents, Issues, Pull requests and Commit statuses: read and write)'
        : `the token's user has no write (push) access: Orch cannot push, merge, label issues or post statuses`,
    };
  } catch (err) {
    return { name, ok: false, detail: errText(err) };
  }
}

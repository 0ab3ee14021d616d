import type { IntegrationSettings } from '../config/integrations.js';
import { githubRepos, usesGithub, type ProjectConfig } from '../config/projects.js';
import type { GithubClient } from '../integrations/github/github-client.js';
import { checkGithub } from '../integrations/github/github-doctor.js';
import type { DoctorCheck } from './doctor-checks.js';

/**
 * `orch doctor` for the projects on GitHub: without credentials, one failing line; else the
 * credentials, a classic token's scopes and, per repository, what Orch may do there (in words,
 * src/integrations/github/github-doctor.ts). Skipped when no project uses GitHub.
 */
export async function checkGithubProjects(
  settings: IntegrationSettings['github'],
  client: GithubClient | null,
  projects: readonly ProjectConfig[],
): Promise<DoctorCheck[]> {
  const on = projects.filter(usesGithub);
  if (on.length === 0)
    return [{ name: 'github', status: 'skip', detail: 'no project uses GitHub' }];
  if (!settings || !client) {
    const keys = on.map((p) => p.key).join(', ');
    return [
      {
        name: 'github',
        status: 'fail',
        detail:
          `projects ${keys} use GitHub but neither ORCH_GITHUB_TOKEN nor ORCH_GITHUB_APP_ID ` +
          'with ORCH_GITHUB_APP_PRIVATE_KEY (or _FILE) is set',
      },
    ];
  }
  const repos = [...new Set(on.flatMap(githubRepos))];
  try {
    const checks = await checkGithub(client, { repos });
    return checks.map((c) => ({ name: c.name, status: c.ok ? 'ok' : 'fail', detail: c.detail }));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return [{ name: 'github', status: 'fail', detail }];
  }
}

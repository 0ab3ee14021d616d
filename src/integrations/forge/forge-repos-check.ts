import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectConfig } from '../../config/projects.js';
import { OrchError } from '../../errors.js';

/** One project's repository as seen at start-up. `skipped`: not checked here (Gitea: doctor). */
export interface ProjectRepoCheck {
  key: string;
  repo: string;
  status: 'ok' | 'missing' | 'skipped';
  detail: string;
}

/** The local forge's bare repository of a repository name. */
export function localForgeRepoPath(dataDir: string, repo: string): string {
  return join(dataDir, 'forge', `${repo}.git`);
}

/**
 * Whether every local-forge project's bare repository `<data dir>/forge/<repo>.git` exists (a
 * missing one fails the first agent job with REPO_NOT_FOUND), with how to create it. Gitea
 * repositories are checked by `orch doctor` over the API, not here.
 */
export function checkProjectRepos(
  projects: readonly ProjectConfig[],
  dataDir: string,
): ProjectRepoCheck[] {
  return projects.map((p): ProjectRepoCheck => {
    if (p.forge.kind !== 'local')
      return { key: p.key, repo: p.repo, status: 'skipped', detail: 'Gitea (see orch doctor)' };
    const bare = localForgeRepoPath(dataDir, p.repo);
    if (existsSync(join(bare, 'HEAD')))
      return { key: p.key, repo: p.repo, status: 'ok', detail: bare };
    const source = p.forge.pushTo ?? '<your repository>';
    return {
      key: p.key,
      repo: p.repo,
      status: 'missing',
      detail:
        `project ${p.key}: the local forge has no repository ${bare}; seed it with ` +
        `\`git clone --bare ${source} ${bare}\` (or remove the project and run ` +
        `\`orch project add ${p.key} --repo ${source}\`)`,
    };
  });
}

/** Start-up check of `orch serve`: FORGE_REPO_MISSING naming every project without its repository. */
export function assertProjectReposReachable(
  projects: readonly ProjectConfig[],
  dataDir: string,
): void {
  const missing = checkProjectRepos(projects, dataDir).filter((c) => c.status === 'missing');
  if (missing.length === 0) return;
  throw new OrchError('FORGE_REPO_MISSING', missing.map((m) => m.detail).join('\n'), {
    details: { projects: missing.map((m) => m.key) },
  });
}

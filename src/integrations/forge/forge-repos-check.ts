import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectConfig } from '../../config/projects.js';
import { OrchError } from '../../errors.js';
import { isLocalPath } from '../../pipeline/push-back.js';

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

/** Where a local-forge project's done items are pushed back (`forge.pushTo`), as seen now. */
export interface PushTargetCheck {
  key: string;
  status: 'ok' | 'missing';
  detail: string;
}

/**
 * Every local path a project pushes its done items back to (`forge.pushTo`) is a git repository
 * (a working tree or a bare one). A URL is not checked here (the push says). Pure but for the
 * file system.
 */
export function checkPushTargets(projects: readonly ProjectConfig[]): PushTargetCheck[] {
  return projects.flatMap((p): PushTargetCheck[] => {
    if (p.forge.kind !== 'local' || !p.forge.pushTo || !isLocalPath(p.forge.pushTo)) return [];
    const to = p.forge.pushTo;
    if (existsSync(join(to, '.git')) || existsSync(join(to, 'HEAD')))
      return [
        { key: p.key, status: 'ok', detail: `project ${p.key}: done items are pushed to ${to}` },
      ];
    return [
      {
        key: p.key,
        status: 'missing',
        detail: `project ${p.key}: forge.pushTo ${to} is not a git repository, so done items cannot be pushed back (fix the path in orch.config.yaml)`,
      },
    ];
  });
}

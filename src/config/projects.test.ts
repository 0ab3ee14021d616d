import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isOrchError } from '../errors.js';
import type { Forge } from '../integrations/forge/forge.js';
import type { Tracker } from '../integrations/tracker/tracker.js';
import { buildProjects } from '../pipeline/build-projects.js';
import { parseProjects } from './projects.js';

const YAML = `
projects:
  - key: ET
    repo: et-app
    tracker:
      kind: plane
      workspace: acme
      projectId: 59e3be42-87ec-4950-99a3-ae639cf2b089
      states: { in_progress: In Progress, in_review: In Review, needs_input: Needs Input, blocked: Blocked, done: Done }
      approvers: [ann]
    forge: { kind: gitea, owner: acme, repo: et-app }
  - prefix: LOC
    repo: local-app
`;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isOrchError(err) ? err.code : 'NOT_ORCH_ERROR';
  }
  return undefined;
}

const GITHUB_YAML = `
projects:
  - key: GH
    repo: trails
    tracker: { kind: github, repo: acme/Trails, approvers: [ann] }
    forge: { kind: github, repo: acme/Trails, mergeMethod: squash }
`;

describe('GitHub projects', () => {
  it('accepts kind github with its options and defaults, and finds the project by owner/name', () => {
    const reg = parseProjects((parse(GITHUB_YAML) as { projects: unknown }).projects);
    const gh = reg.byGithubRepo('ACME/trails');
    expect(gh?.tracker).toEqual({
      kind: 'github',
      repo: 'acme/Trails',
      label: 'orch',
      approvers: ['ann'],
    });
    expect(gh?.forge).toEqual({
      kind: 'github',
      repo: 'acme/Trails',
      baseBranch: 'main',
      mergeMethod: 'squash',
    });
  });

  it('rejects a repo that is not owner/name, an unknown merge method and unknown keys', () => {
    const bad = (forge: unknown) => () => parseProjects([{ key: 'GH', repo: 'trails', forge }]);
    expect(codeOf(bad({ kind: 'github', repo: 'trails' }))).toBe('CONFIG_INVALID');
    expect(codeOf(bad({ kind: 'github', repo: 'a/b', mergeMethod: 'fast' }))).toBe(
      'CONFIG_INVALID',
    );
    expect(codeOf(bad({ kind: 'github', repo: 'a/b', owner: 'a' }))).toBe('CONFIG_INVALID');
  });

  it('refuses to start a GitHub project without a token or App credentials', () => {
    const reg = parseProjects((parse(GITHUB_YAML) as { projects: unknown }).projects);
    const local = {} as Forge & Tracker;
    const parts = { localForge: local, localTracker: local, plane: null, gitea: null };
    expect(codeOf(() => buildProjects(reg, { ...parts, github: null }))).toBe(
      'GITHUB_AUTH_MISSING',
    );
    const made: string[] = [];
    const [project] = buildProjects(reg, {
      ...parts,
      github: {
        tracker: (c) => (made.push(`tracker ${c.repo} ${c.label}`), local),
        forge: (c) => (made.push(`forge ${c.repo} ${c.mergeMethod ?? '-'}`), local),
      },
    });
    expect(made).toEqual(['tracker acme/Trails orch', 'forge acme/Trails squash']);
    expect(project).toMatchObject({ trackerProjectId: 'acme/Trails', approvers: ['ann'] });
  });
});

describe('parseProjects', () => {
  it('parses Plane/Gitea and all-local projects with defaults, and looks them up', () => {
    const reg = parseProjects((parse(YAML) as { projects: unknown }).projects);
    expect(reg.projects).toHaveLength(2);
    const et = reg.byPlaneProject('59e3be42-87ec-4950-99a3-ae639cf2b089');
    expect(et?.key).toBe('ET');
    expect(et?.forge).toEqual({ kind: 'gitea', owner: 'acme', repo: 'et-app', baseBranch: 'main' });
    expect(reg.byGiteaRepo('ACME/ET-APP')?.key).toBe('ET');
    const loc = reg.byKey('loc');
    expect(loc?.tracker).toEqual({ kind: 'local', approvers: [] });
    expect(loc?.forge).toEqual({ kind: 'local', baseBranch: 'main' });
    expect(reg.byRepo('local-app')?.key).toBe('LOC');
    expect(reg.byPlaneProject('nope')).toBeUndefined();
  });

  it('treats a missing projects list as empty', () => {
    expect(parseProjects(undefined).projects).toEqual([]);
  });

  it('rejects bad keys, missing Plane states and duplicates with CONFIG_INVALID', () => {
    expect(codeOf(() => parseProjects([{ key: 'et', repo: 'a' }]))).toBe('CONFIG_INVALID');
    expect(
      codeOf(() =>
        parseProjects([
          { key: 'ET', repo: 'a', tracker: { kind: 'plane', workspace: 'w', projectId: 'p' } },
        ]),
      ),
    ).toBe('CONFIG_INVALID');
    expect(
      codeOf(() =>
        parseProjects([
          { key: 'ET', repo: 'a' },
          { key: 'ET', repo: 'b' },
        ]),
      ),
    ).toBe('CONFIG_INVALID');
    expect(codeOf(() => parseProjects([{ key: 'ET', repo: 'a', forge: { kind: 'github' } }]))).toBe(
      'CONFIG_INVALID',
    );
  });

  it('reads a post-deploy monitor with its defaults; autoRollback needs a rollback command', () => {
    const reg = parseProjects([
      { key: 'PD', repo: 'pd', postDeploy: { url: 'http://prod.example/health' } },
    ]);
    expect(reg.byKey('PD')?.postDeploy).toEqual({
      url: 'http://prod.example/health',
      status: 200,
      checks: 30,
      windowS: 900,
      timeoutS: 10,
      maxFailures: 2,
      rollbackTimeoutS: 600,
      autoRollback: false,
    });
    const rollbackless = { url: 'http://prod.example/health', autoRollback: true };
    expect(codeOf(() => parseProjects([{ key: 'PD', repo: 'pd', postDeploy: rollbackless }]))).toBe(
      'CONFIG_INVALID',
    );
    const unknownKey = { url: 'http://prod.example/health', window: 60 };
    expect(codeOf(() => parseProjects([{ key: 'PD', repo: 'pd', postDeploy: unknownKey }]))).toBe(
      'CONFIG_INVALID',
    );
  });
});

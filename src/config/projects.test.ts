import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isOrchError } from '../errors.js';
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

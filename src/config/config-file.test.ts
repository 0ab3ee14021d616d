import { describe, expect, it } from 'vitest';
import { isOrchError } from '../errors.js';
import { parseConfigFile } from './config-file.js';
import { parseProjects } from './projects.js';

/** The CONFIG_INVALID message's problem lines (one per problem), or a failure marker. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (!isOrchError(err, 'CONFIG_INVALID')) throw err;
    return err.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  return ['(accepted)'];
}

const project = { key: 'ET', repo: 'trails' };

describe('orch.config.yaml: unknown keys', () => {
  it('names an unknown top-level section and the known ones', () => {
    expect(problems(() => parseConfigFile({ forge: { path: '/srv/repo.git' } }))).toEqual([
      '(top level): unknown key "forge" (valid: agents, projects, budget)',
    ]);
  });

  it('names an unknown key of a project, in the user’s terms, with the valid ones', () => {
    const lines = problems(() =>
      parseConfigFile({ projects: [project, { ...project, repos: 'x' }] }),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^projects\[1\]: unknown key "repos" \(valid: key, prefix, repo, /);
  });

  it('takes the valid keys of a forge or tracker from its kind', () => {
    const localForge = { ...project, forge: { kind: 'local', path: '/srv/trails.git' } };
    expect(problems(() => parseConfigFile({ projects: [localForge] }))).toEqual([
      'projects[0].forge: unknown key "path" (valid: kind, baseBranch, pushTo)',
    ]);
    const gitea = { ...project, forge: { kind: 'gitea', owner: 'acme', repo: 'trails', url: 'x' } };
    expect(problems(() => parseProjects([gitea]))).toEqual([
      'projects[0].forge: unknown key "url" (valid: kind, owner, repo, baseBranch)',
    ]);
    const tracker = { ...project, tracker: { kind: 'local', approver: ['ann'] } };
    expect(problems(() => parseProjects([tracker]))).toEqual([
      'projects[0].tracker: unknown key "approver" (valid: kind, approvers)',
    ]);
  });

  it('names unknown keys deep inside a project: deploy, pipeline stages', () => {
    const deep = {
      ...project,
      deploy: { staging: { command: ['./deploy.sh'], health: { url: 'http://s/h', code: 200 } } },
      pipeline: { stages: [{ name: 'development', worker: 'developer', gate: null, gates: [] }] },
    };
    expect(problems(() => parseConfigFile({ projects: [deep] }))).toEqual([
      'projects[0].deploy.staging.health: unknown key "code" (valid: url, status, body, retries, intervalS, timeoutS)',
      'projects[0].pipeline.stages[0]: unknown key "gates" (valid: name, worker, gate, edgeGates)',
    ]);
  });

  it('names unknown keys of agent profiles and of the agents section, one line each', () => {
    const lines = problems(() =>
      parseConfigFile({
        agents: { default: {}, roles: { developer: { adapter: 'codex', modle: 'o3', timout: 5 } } },
      }),
    );
    expect(lines).toHaveLength(3);
    expect(lines).toContain('agents: unknown key "default" (valid: defaults, roles)');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^agents\.roles\.developer: unknown key "modle" \(valid: adapter, command, .*model/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^agents\.roles\.developer: unknown key "timout" \(valid: .*timeoutS/),
    );
  });

  it('accepts a config with both sections and fills the project defaults', () => {
    const file = parseConfigFile({
      agents: { defaults: { adapter: 'scripted' } },
      projects: [project],
    });
    expect(file.projects[0]).toMatchObject({
      key: 'ET',
      forge: { kind: 'local', baseBranch: 'main' },
    });
    // The runtime parses the section again to build its lookups: the result is accepted as is.
    expect(parseProjects(file.projects).byKey('ET')?.repo).toBe('trails');
  });
});

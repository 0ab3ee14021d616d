import { describe, expect, it } from 'vitest';
import { AgentProfiles } from '../agents/agents-config.js';
import { parseConfigFile } from '../config/config-file.js';
import { parseEnv } from '../config/env.js';
import { isOrchError } from '../errors.js';
import { atCap, concurrencyView, hasCaps, NO_CAPS } from './concurrency-caps.js';

const caps = { perRole: { developer: 2, tester: 1 }, perProject: { ET: 1 } };

/** The CONFIG_INVALID problem lines of a config, or `['(accepted)']`. */
function problems(raw: unknown): string[] {
  try {
    parseConfigFile(raw);
  } catch (err) {
    if (!isOrchError(err, 'CONFIG_INVALID')) throw err;
    return err.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  return ['(accepted)'];
}

describe('concurrency caps', () => {
  it('reports the roles and projects whose running jobs reached their cap', () => {
    expect(atCap(caps, [])).toEqual({ kinds: [], projects: [] });
    const slots = [
      { kind: 'developer', project: 'ET' },
      { kind: 'developer', project: null },
      { kind: 'tester', project: 'OPS' },
    ];
    expect(atCap(caps, slots)).toEqual({ kinds: ['developer', 'tester'], projects: ['ET'] });
    expect(atCap(caps, slots.slice(1, 2))).toEqual({ kinds: [], projects: [] });
  });

  it('has caps only when a role or project sets one', () => {
    expect(hasCaps(NO_CAPS)).toBe(false);
    expect(hasCaps({ perRole: {}, perProject: { ET: 3 } })).toBe(true);
  });

  it('shows every capped or running role and project with its cap and running count', () => {
    const view = concurrencyView(caps, 4, [{ kind: 'reviewer', project: 'ET' }]);
    expect(view).toEqual({
      max: 4,
      running: 1,
      per_role: {
        developer: { cap: 2, running: 0 },
        reviewer: { cap: null, running: 1 },
        tester: { cap: 1, running: 0 },
      },
      per_project: { ET: { cap: 1, running: 1 } },
    });
  });

  it('takes a role cap from the role, else from the agents defaults', () => {
    const file = parseConfigFile({
      agents: { defaults: { maxConcurrent: 3 }, roles: { developer: { maxConcurrent: 1 } } },
    });
    const roleCaps = new AgentProfiles(file.agents, parseEnv({})).roleCaps();
    expect(roleCaps).toMatchObject({ developer: 1, reviewer: 3, analyst: 3 });
    expect(new AgentProfiles(parseConfigFile({}).agents, parseEnv({})).roleCaps()).toEqual({});
  });

  it('accepts projects[].maxConcurrent and rejects a misspelt key or a cap below 1', () => {
    const project = { key: 'ET', repo: 'trails' };
    expect(problems({ projects: [{ ...project, maxConcurrent: 2 }] })).toEqual(['(accepted)']);
    expect(problems({ projects: [{ ...project, maxConcurrency: 2 }] })).toEqual([
      expect.stringMatching(
        /^projects\[0\]: unknown key "maxConcurrency" \(valid: .*maxConcurrent/,
      ),
    ]);
    expect(problems({ projects: [{ ...project, maxConcurrent: 0 }] })).toEqual([
      expect.stringMatching(/^projects\[0\]\.maxConcurrent: /),
    ]);
    expect(problems({ projects: [{ ...project, maxConcurrent: 1.5 }] })).toHaveLength(1);
  });

  it('rejects a role cap below 1 and a misspelt role cap key', () => {
    expect(problems({ agents: { roles: { developer: { maxConcurrent: 0 } } } })).toEqual([
      expect.stringMatching(/^agents\.roles\.developer\.maxConcurrent: /),
    ]);
    expect(problems({ agents: { defaults: { maxConcurrent: -1 } } })).toHaveLength(1);
    expect(problems({ agents: { roles: { developer: { maxConcurrency: 2 } } } })).toEqual([
      expect.stringMatching(
        /^agents\.roles\.developer: unknown key "maxConcurrency" \(valid: .*maxConcurrent/,
      ),
    ]);
  });
});

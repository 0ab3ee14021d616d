import { describe, expect, it } from 'vitest';
import { isOrchError } from '../errors.js';
import { resolveBudget } from './budget.js';
import { parseConfigFile } from './config-file.js';
import { parseProjects } from './projects.js';

function invalid(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isOrchError(err, 'CONFIG_INVALID')) return err.message;
    throw err;
  }
  return '(accepted)';
}

const project = { key: 'ET', repo: 'trails' };

describe('budget config', () => {
  it('parses a global budget and a project budget', () => {
    const file = parseConfigFile({
      budget: { perRunUsd: 0.5, perItemUsd: 5, perDayUsd: 50 },
      projects: [{ ...project, budget: { perItemUsd: 2 } }],
    });
    expect(file.budget).toEqual({ perRunUsd: 0.5, perItemUsd: 5, perDayUsd: 50 });
    expect(file.projects[0]!.budget).toEqual({ perItemUsd: 2 });
    expect(parseConfigFile({}).budget).toBeUndefined();
  });

  it('rejects an unknown budget key, naming it and the valid ones', () => {
    expect(invalid(() => parseConfigFile({ budget: { perTaskUsd: 1 } }))).toContain(
      'budget: unknown key "perTaskUsd" (valid: perRunUsd, perItemUsd, perDayUsd)',
    );
    const msg = invalid(() => parseProjects([{ ...project, budget: { daily: 3 } }]));
    expect(msg).toContain('projects[0].budget: unknown key "daily"');
  });

  it('rejects a limit that is not a positive number', () => {
    for (const bad of [0, -1, '5'])
      expect(invalid(() => parseConfigFile({ budget: { perItemUsd: bad } }))).toMatch(
        /budget\.perItemUsd/,
      );
  });

  it('lets each limit a project sets win over the global one and inherits the rest', () => {
    const file = parseConfigFile({
      budget: { perRunUsd: 0.5, perItemUsd: 5, perDayUsd: 50 },
      projects: [{ ...project, budget: { perItemUsd: 2, perDayUsd: 10 } }],
    });
    expect(resolveBudget(file.budget, file.projects[0]!.budget)).toEqual({
      perRunUsd: 0.5,
      perItemUsd: 2,
      perDayUsd: 10,
    });
    expect(resolveBudget(undefined, undefined)).toEqual({});
    expect(resolveBudget({ perDayUsd: 1 }, undefined)).toEqual({ perDayUsd: 1 });
  });
});

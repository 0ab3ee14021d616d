import { describe, expect, it } from 'vitest';
import { parseEnv } from '../config/env.js';
import { isOrchError } from '../errors.js';
import { parseConfigFile } from '../config/config-file.js';
import {
  AgentProfiles,
  PIPELINE_ROLES,
  agentsSectionSchema,
  parseTimeoutOverrides,
} from './agents-config.js';

describe('agents config', () => {
  it('works with no file at all: every pipeline role runs Claude Code with the env defaults', () => {
    const profiles = new AgentProfiles(parseConfigFile({}).agents, parseEnv({}));
    expect(profiles.kinds()).toEqual([...PIPELINE_ROLES]);
    expect(profiles.get('developer')).toMatchObject({
      adapter: 'claude-code',
      command: undefined,
      timeoutMs: 1_800_000,
      idleTimeoutMs: 600_000,
      killGraceMs: 20_000,
      exitGraceMs: 30_000,
      permissionMode: 'acceptEdits',
    });
  });

  it('layers role over defaults over env, and adds configured tool kinds', () => {
    const section = agentsSectionSchema.parse({
      defaults: { adapter: 'codex', timeoutS: 100, env: { A: '1' }, extraArgs: ['--x'] },
      roles: {
        reviewer: { timeoutS: 3600, env: { B: '2' }, extraArgs: ['--y'] },
        semgrep: { adapter: 'command', command: ['semgrep', '{worktree}'] },
      },
    });
    const p = new AgentProfiles(section, parseEnv({}));
    expect(p.get('reviewer')).toMatchObject({
      adapter: 'codex',
      timeoutMs: 3_600_000,
      env: { A: '1', B: '2' },
      extraArgs: ['--x', '--y'],
    });
    expect(p.get('tester').timeoutMs).toBe(100_000);
    expect(p.kinds()).toContain('semgrep');
  });

  it('applies ORCH_AGENT_TIMEOUT_OVERRIDES_JSON per role; a malformed value keeps the default with a warning', () => {
    const env = parseEnv({
      ORCH_AGENT_TIMEOUT_OVERRIDES_JSON: '{"reviewer": 3600, "architect": "soon"}',
    });
    const p = new AgentProfiles(agentsSectionSchema.parse({}), env);
    expect(p.get('reviewer').timeoutMs).toBe(3_600_000);
    expect(p.get('architect').timeoutMs).toBe(1_800_000);
    expect(p.warnings).toEqual([expect.stringContaining('architect')]);
    const broken = new AgentProfiles(
      agentsSectionSchema.parse({}),
      parseEnv({ ORCH_AGENT_TIMEOUT_OVERRIDES_JSON: '{reviewer: 1' }),
    );
    expect(broken.get('reviewer').timeoutMs).toBe(1_800_000);
    expect(broken.warnings).toHaveLength(1);
  });

  it('parses override JSON strictly', () => {
    const warnings: string[] = [];
    expect(parseTimeoutOverrides('[1]', (w) => warnings.push(w)).size).toBe(0);
    expect(parseTimeoutOverrides('{"a": -1, "b": 2}', (w) => warnings.push(w))).toEqual(
      new Map([['b', 2]]),
    );
    expect(warnings).toHaveLength(2);
  });

  it('rejects unknown adapters and fields with CONFIG_INVALID', () => {
    for (const bad of [
      { agents: { defaults: { adapter: 'gpt' } } },
      { agents: { roles: { dev: { timeout: 5 } } } },
    ]) {
      let err: unknown;
      try {
        parseConfigFile(bad);
      } catch (e) {
        err = e;
      }
      expect(isOrchError(err, 'CONFIG_INVALID')).toBe(true);
    }
  });
});

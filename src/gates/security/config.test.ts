import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../config/env.js';
import { isOrchError } from '../../errors.js';
import {
  DEFAULT_SECURITY_GATE_CONFIG,
  parseAuditCommands,
  securityGateApplies,
  securityGateConfigFromEnv,
} from './config.js';

describe('security gate config', () => {
  it('defaults: enabled, every repo, HIGH, 300 s, fail-open, secrets block, baseline on', () => {
    const c = securityGateConfigFromEnv(parseEnv({}), '/usr/bin');
    expect(c).toEqual({ ...DEFAULT_SECURITY_GATE_CONFIG, searchPath: '/usr/bin' });
  });

  it('reads every ORCH_SECURITY_* key', () => {
    const c = securityGateConfigFromEnv(
      parseEnv({
        ORCH_SECURITY_GATE_ENABLED: 'false',
        ORCH_SECURITY_GATE_REPOS: ' Enduro-Trails, foo ,',
        ORCH_SECURITY_DEP_BLOCK_SEVERITY: ' moderate ',
        ORCH_SECURITY_SCAN_TIMEOUT_S: '30',
        ORCH_SECURITY_DEP_AUDIT_FAIL_CLOSED: 'true',
        ORCH_SECURITY_SECRETS_BLOCK: 'false',
        ORCH_SECURITY_DEP_BASELINE: 'false',
        ORCH_SECURITY_SECRET_SCANNER: 'builtin',
        ORCH_SECURITY_AUDIT_COMMANDS_JSON: '{"npm":["npm","audit","--json"],"osv-scanner":null}',
      }),
      '',
    );
    expect(c).toMatchObject({
      enabled: false,
      repos: ['enduro-trails', 'foo'],
      depBlockSeverity: 'MEDIUM',
      scanTimeoutMs: 30_000,
      depAuditFailClosed: true,
      secretsBlock: false,
      depBaseline: false,
      secretScanner: 'builtin',
      auditCommands: { npm: ['npm', 'audit', '--json'], 'osv-scanner': null },
    });
  });

  it('rejects a misspelt threshold and bad audit commands at startup', () => {
    expect(() => parseEnv({ ORCH_SECURITY_DEP_BLOCK_SEVERITY: 'severe' })).toThrow(
      /SECURITY_DEP_BLOCK_SEVERITY/,
    );
    for (const bad of ['not json', '{"npm":"npm audit"}', '{"cargo":["cargo","audit"]}']) {
      let err: unknown;
      try {
        parseAuditCommands(bad);
      } catch (e) {
        err = e;
      }
      expect(isOrchError(err, 'CONFIG_INVALID'), bad).toBe(true);
    }
  });

  it('scope matrix: empty scope = every repo; an explicit list is exact; disabled = none', () => {
    const on = DEFAULT_SECURITY_GATE_CONFIG;
    const listed = { ...on, repos: ['enduro-trails', 'foo'] };
    const off = { ...on, enabled: false };
    expect(securityGateApplies('orchestrator', on)).toBe(true);
    expect(securityGateApplies('enduro-trails', on)).toBe(true);
    expect(securityGateApplies('orchestrator', listed)).toBe(false);
    expect(securityGateApplies(' Enduro-Trails ', listed)).toBe(true);
    expect(securityGateApplies('orchestrator', off)).toBe(false);
    expect(securityGateApplies('enduro-trails', { ...listed, enabled: false })).toBe(false);
  });
});

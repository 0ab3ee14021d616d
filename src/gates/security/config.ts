import { z } from 'zod';
import type { OrchEnv } from '../../config/env.js';
import { OrchError } from '../../errors.js';
import { AUDITOR_NAMES, type AuditCommands } from './auditors.js';
import type { SecretScannerChoice } from './secret-scan.js';
import { normalizeThreshold } from './severity.js';
import type { BlockThreshold } from './types.js';

/** Everything the gate needs to know, frozen at startup (docs/config.md "## Security gate"). */
export interface SecurityGateConfig {
  /** Global kill-switch: false = the pipeline behaves as if the gate did not exist. */
  readonly enabled: boolean;
  /** Lower-cased repo names the gate runs for; empty = every repo. */
  readonly repos: readonly string[];
  readonly depBlockSeverity: BlockThreshold;
  /** Per external scanner call (gitleaks, each auditor, the built-in `git log`). */
  readonly scanTimeoutMs: number;
  readonly depAuditFailClosed: boolean;
  readonly secretsBlock: boolean;
  /** Findings also present on the target branch do not block. */
  readonly depBaseline: boolean;
  readonly secretScanner: SecretScannerChoice;
  /** PATH used to find gitleaks and the audit tools (the runtime passes its own PATH). */
  readonly searchPath: string;
  readonly auditCommands: AuditCommands;
}

export const DEFAULT_SECURITY_GATE_CONFIG: SecurityGateConfig = Object.freeze({
  enabled: true,
  repos: [],
  depBlockSeverity: 'HIGH',
  scanTimeoutMs: 300_000,
  depAuditFailClosed: false,
  secretsBlock: true,
  depBaseline: true,
  secretScanner: 'auto',
  searchPath: '',
  auditCommands: {},
});

const auditCommandsSchema = z.partialRecord(
  z.enum(AUDITOR_NAMES),
  z.array(z.string().min(1)).min(1).nullable(),
);

/** Parses `ORCH_SECURITY_AUDIT_COMMANDS_JSON`; a bad value is a startup error (CONFIG_INVALID). */
export function parseAuditCommands(json: string): AuditCommands {
  if (json.trim() === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new OrchError('CONFIG_INVALID', 'ORCH_SECURITY_AUDIT_COMMANDS_JSON is not JSON', {
      cause: err,
    });
  }
  const parsed = auditCommandsSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OrchError(
      'CONFIG_INVALID',
      'ORCH_SECURITY_AUDIT_COMMANDS_JSON: expected auditor → argv',
      {
        details: { issues: parsed.error.issues.map((i) => i.message) },
      },
    );
  }
  return parsed.data;
}

/** Splits the repos CSV: trimmed, lower-cased, empties dropped. */
export function parseRepoScope(csv: string): string[] {
  return csv
    .split(',')
    .map((r) => r.trim().toLowerCase())
    .filter((r) => r !== '');
}

/** Builds the gate's config from the parsed environment and the process PATH. */
export function securityGateConfigFromEnv(env: OrchEnv, searchPath: string): SecurityGateConfig {
  return Object.freeze({
    enabled: env.ORCH_SECURITY_GATE_ENABLED,
    repos: Object.freeze(parseRepoScope(env.ORCH_SECURITY_GATE_REPOS)),
    depBlockSeverity: normalizeThreshold(env.ORCH_SECURITY_DEP_BLOCK_SEVERITY),
    scanTimeoutMs: env.ORCH_SECURITY_SCAN_TIMEOUT_S * 1000,
    depAuditFailClosed: env.ORCH_SECURITY_DEP_AUDIT_FAIL_CLOSED,
    secretsBlock: env.ORCH_SECURITY_SECRETS_BLOCK,
    depBaseline: env.ORCH_SECURITY_DEP_BASELINE,
    secretScanner: env.ORCH_SECURITY_SECRET_SCANNER,
    searchPath,
    auditCommands: parseAuditCommands(env.ORCH_SECURITY_AUDIT_COMMANDS_JSON),
  });
}

/**
 * Whether the gate runs for `repo` (spec §4.1, with one deliberate change): disabled → false;
 * a non-empty scope → membership, case-insensitive and trimmed; an empty scope → every repo
 * (the reference limited an empty scope to the self-hosting repo). Pure, never throws.
 */
export function securityGateApplies(repo: string, config: SecurityGateConfig): boolean {
  if (!config.enabled) return false;
  if (config.repos.length === 0) return true;
  return config.repos.includes(repo.trim().toLowerCase());
}

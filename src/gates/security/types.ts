/** Dependency-advisory severities after normalisation; UNKNOWN never blocks (spec §7.4). */
export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Severities a threshold may name (UNKNOWN is deliberately not one). */
export const BLOCK_THRESHOLDS = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type BlockThreshold = (typeof BLOCK_THRESHOLDS)[number];

/** One secret, already masked: the raw value never leaves the scanner that found it. */
export interface SecretFinding {
  readonly file: string;
  readonly rule: string;
  readonly line: number;
  /** `abcd…yz`, or `****` for values of 8 characters or fewer. */
  readonly match: string;
}

export const SECRET_SCAN_STATUSES = ['clean', 'found', 'error'] as const;
export type SecretScanStatus = (typeof SECRET_SCAN_STATUSES)[number];

/** `error` means "could not prove there is no secret": it is a FAIL whatever the config says. */
export interface SecretScanResult {
  readonly status: SecretScanStatus;
  readonly findings: readonly SecretFinding[];
  readonly detail: string;
  readonly scanner: 'gitleaks' | 'builtin';
}

export interface DepFinding {
  readonly package: string;
  readonly version: string;
  /** Advisory id (GHSA, CVE, OSV or tool-specific id); with `package`, the baseline key. */
  readonly id: string;
  readonly severity: Severity;
  readonly fix: string;
  /** The auditor that reported it (`npm`, `pnpm`, `yarn`, `osv-scanner`, `pip-audit`). */
  readonly source: string;
  /** Set when the same (package, id) is also reported on the target branch. */
  readonly baseline?: boolean;
}

/** `degraded` = the audit could not run or the feed was unreachable: a warning unless fail-closed. */
export interface DepAuditResult {
  readonly status: 'ok' | 'degraded';
  readonly findings: readonly DepFinding[];
  readonly detail: string;
}

/**
 * The security gate (issue #7 parts 1–4): the pipeline calls `securityGateApplies` for the
 * scope / kill-switch and `runSecurityGate` on the deploy-staging → deploy edge, before the
 * merge gate. Everything else here is exported for tests and for the merge gate's reuse.
 */
export {
  DEFAULT_SECURITY_GATE_CONFIG,
  parseAuditCommands,
  securityGateApplies,
  securityGateConfigFromEnv,
  type SecurityGateConfig,
} from './config.js';
export {
  runSecurityGate,
  type RunSecurityGateOptions,
  type SecurityGateEvidence,
  type SecurityGateResult,
} from './security-gate.js';
export { extractSecurityFindings, parseSecurityStatus, securityReportRelPath } from './report.js';
export { maskSecret } from './mask.js';
export { AUDITOR_NAMES, DEFAULT_AUDIT_COMMANDS, type AuditorName } from './auditors.js';
export type { DepFinding, SecretFinding, Severity } from './types.js';

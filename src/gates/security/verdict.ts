import { classifySeverity } from './severity.js';
import type { DepAuditResult, DepFinding, SecretFinding, SecretScanResult } from './types.js';

export interface VerdictOptions {
  readonly secretsBlock: boolean;
  readonly depBlockSeverity: string;
  readonly depFailClosed: boolean;
}

/** Everything the report renders; `securityStatus` is what the frontmatter will say. */
export interface VerdictFields {
  readonly securityStatus: 'PASS' | 'FAIL';
  readonly secretsFound: number;
  readonly secretScanError: boolean;
  readonly depsBlocking: number;
  readonly depsWarning: number;
  readonly depsAuditDegraded: boolean;
  readonly reason: string;
  readonly secretFindings: readonly SecretFinding[];
  readonly blockingFindings: readonly DepFinding[];
  readonly warningFindings: readonly DepFinding[];
}

const secretText = (f: SecretFinding) => `${f.rule} in ${f.file}:${f.line}`;
const depText = (f: DepFinding) => `${f.package} ${f.version} ${f.id} (${f.severity})`;

/**
 * The gate's decision table (spec §7.4), pure. FAIL when the secret scan errored (always, even with
 * `secretsBlock` off), when a secret was found and secrets block, when any dependency finding is at
 * or above the threshold, or when the dep audit degraded and fail-closed is set. A finding marked
 * `baseline` (already present on the target branch) is a warning whatever its severity.
 */
export function computeVerdict(
  secret: SecretScanResult,
  dep: DepAuditResult,
  opts: VerdictOptions,
): VerdictFields {
  const secretScanError = secret.status === 'error';
  const secretFindings = secret.status === 'found' ? secret.findings : [];
  const depsAuditDegraded = dep.status === 'degraded';
  const blocking: DepFinding[] = [];
  const warning: DepFinding[] = [];
  for (const f of dep.findings) {
    const cls = f.baseline ? 'warning' : classifySeverity(f.severity, opts.depBlockSeverity);
    (cls === 'block' ? blocking : warning).push(f);
  }
  const reasons: string[] = [];
  if (secretScanError) reasons.push(`secret scan error (fail-closed): ${secret.detail}`);
  if (opts.secretsBlock && secretFindings.length > 0) {
    reasons.push(
      `${secretFindings.length} secret(s): ${secretFindings.map(secretText).join(', ')}`,
    );
  }
  if (blocking.length > 0) {
    reasons.push(`${blocking.length} blocking CVE(s): ${blocking.map(depText).join(', ')}`);
  }
  if (depsAuditDegraded && opts.depFailClosed) {
    reasons.push(`dep-audit feed unavailable (fail-closed): ${dep.detail}`);
  }
  const degradedNote = depsAuditDegraded ? ' (dep-audit degraded — warning only)' : '';
  return {
    securityStatus: reasons.length > 0 ? 'FAIL' : 'PASS',
    secretsFound: secretFindings.length,
    secretScanError,
    depsBlocking: blocking.length,
    depsWarning: warning.length,
    depsAuditDegraded,
    reason:
      reasons.length > 0
        ? reasons.join('; ')
        : `clean: ${secretFindings.length} secrets, ${blocking.length} blocking CVE(s)${degradedNote}`,
    secretFindings,
    blockingFindings: blocking,
    warningFindings: warning,
  };
}

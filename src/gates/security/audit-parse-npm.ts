import {
  asArray,
  asString,
  ghsaFromUrl,
  isObject,
  mergeByAdvisory,
  tryJson,
  unique,
  type AuditParse,
  type Json,
} from './audit-parse.js';
import { normalizeSeverity, severityFromCvssScore } from './severity.js';
import type { DepFinding, Severity } from './types.js';

/** Advisory severity, falling back to its CVSS score when the label is missing or unknown. */
export function advisorySeverity(adv: Json): Severity {
  const sev = normalizeSeverity(adv.severity);
  if (sev !== 'UNKNOWN') return sev;
  const cvss = isObject(adv.cvss) ? adv.cvss : {};
  return typeof cvss.score === 'number' ? severityFromCvssScore(cvss.score) : 'UNKNOWN';
}

function fixText(fixAvailable: unknown): string {
  if (fixAvailable === true) return 'available (npm audit fix)';
  if (!isObject(fixAvailable)) return '';
  const major = fixAvailable.isSemVerMajor === true ? ' (semver-major)' : '';
  return `${asString(fixAvailable.name)}@${asString(fixAvailable.version)}${major}`;
}

/** Installed versions of lockfile nodes (`packages["node_modules/x"].version`, lockfile v2/v3). */
function nodeVersions(nodes: unknown, lockfile: Json | undefined): string {
  const packages = lockfile && isObject(lockfile.packages) ? lockfile.packages : {};
  const versions = asArray(nodes).map((n) => {
    const entry = packages[asString(n)];
    return isObject(entry) ? asString(entry.version) : '';
  });
  return unique(versions).join(', ') || '?';
}

/** npm ≥ 7 (`auditReportVersion: 2`): one finding per advisory object in `via`. */
function parseV2(vulns: Json, lockfile: Json | undefined, source: string): DepFinding[] {
  const out: DepFinding[] = [];
  for (const [name, entry] of Object.entries(vulns)) {
    if (!isObject(entry)) continue;
    for (const via of asArray(entry.via)) {
      // String `via` entries name the dependency that carries the advisory: reported there.
      if (!isObject(via)) continue;
      out.push({
        package: asString(via.name) || name,
        version: nodeVersions(entry.nodes, lockfile),
        id: ghsaFromUrl(via.url) || asString(via.source) || '?',
        severity: advisorySeverity(via),
        fix: fixText(entry.fixAvailable),
        source,
      });
    }
  }
  return mergeByAdvisory(out);
}

/** npm 6 / pnpm shape: `advisories{id: {module_name, severity, findings[{version}], …}}`. */
export function parseAdvisories(advisories: Json, source: string): DepFinding[] {
  const out: DepFinding[] = [];
  for (const [key, adv] of Object.entries(advisories)) {
    if (!isObject(adv)) continue;
    const versions = asArray(adv.findings).map((f) => (isObject(f) ? asString(f.version) : ''));
    const patched = asString(adv.patched_versions);
    out.push({
      package: asString(adv.module_name) || '?',
      version: unique(versions).join(', ') || '?',
      id:
        asString(adv.github_advisory_id) ||
        ghsaFromUrl(adv.url) ||
        asString(asArray(adv.cves)[0]) ||
        key,
      severity: advisorySeverity(adv),
      fix: patched === '<0.0.0' ? '' : patched,
      source,
    });
  }
  return mergeByAdvisory(out);
}

/**
 * Parses `npm audit --json` (v7+ and v6) and `pnpm audit --json` output (pure). A top-level
 * `error` object (ENOLOCK, EAI_AGAIN, registry errors) or anything unrecognisable is `degraded`.
 */
export function parseNpmAudit(text: string, source: string, lockfileText?: string): AuditParse {
  const data = tryJson(text);
  if (!isObject(data)) return { kind: 'degraded', detail: `${source} audit output is not JSON` };
  if (isObject(data.error)) {
    const e = data.error;
    const what = [asString(e.code), asString(e.summary) || asString(e.message)].filter(Boolean);
    return { kind: 'degraded', detail: `${source} audit error: ${what.join(' ').slice(0, 200)}` };
  }
  if (isObject(data.vulnerabilities)) {
    const lock = lockfileText === undefined ? undefined : tryJson(lockfileText);
    return {
      kind: 'ok',
      findings: parseV2(data.vulnerabilities, isObject(lock) ? lock : undefined, source),
    };
  }
  if (isObject(data.advisories))
    return { kind: 'ok', findings: parseAdvisories(data.advisories, source) };
  return { kind: 'degraded', detail: `${source} audit output not recognised` };
}

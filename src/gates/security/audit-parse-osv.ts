import { asArray, asString, isObject, tryJson, type AuditParse, type Json } from './audit-parse.js';
import { normalizeSeverity } from './severity.js';
import type { DepFinding, Severity } from './types.js';

function fixedVersions(vuln: Json, pkg: string): string[] {
  const out: string[] = [];
  for (const aff of asArray(vuln.affected)) {
    if (!isObject(aff) || (isObject(aff.package) && asString(aff.package.name) !== pkg)) continue;
    for (const range of asArray(aff.ranges)) {
      for (const ev of isObject(range) ? asArray(range.events) : []) {
        if (isObject(ev) && asString(ev.fixed)) out.push(asString(ev.fixed));
      }
    }
  }
  return [...new Set(out)];
}

function osvSeverity(group: Json, vulns: Json[]): Severity {
  const fromGroup = normalizeSeverity(asString(group.max_severity));
  if (fromGroup !== 'UNKNOWN') return fromGroup;
  for (const v of vulns) {
    const db = isObject(v.database_specific) ? v.database_specific : {};
    const sev = normalizeSeverity(db.severity);
    if (sev !== 'UNKNOWN') return sev;
  }
  return 'UNKNOWN';
}

function packageFindings(entry: Json, source: string): DepFinding[] {
  const pkg = isObject(entry.package) ? entry.package : {};
  const name = asString(pkg.name) || '?';
  const vulns = asArray(entry.vulnerabilities).filter(isObject);
  const groups = asArray(entry.groups).filter(isObject);
  // Without groups every vulnerability is its own group.
  const effective = groups.length > 0 ? groups : vulns.map((v) => ({ ids: [v.id] }));
  return effective.map((g) => {
    const ids = asArray(g.ids).map(asString).filter(Boolean);
    const members = vulns.filter((v) => ids.includes(asString(v.id)));
    return {
      package: name,
      version: asString(pkg.version) || '?',
      id: ids[0] ?? '?',
      severity: osvSeverity(g, members),
      fix: members.flatMap((v) => fixedVersions(v, name)).join(', '),
      source,
    };
  });
}

/** `osv-scanner --format json`: `results[].packages[]`, one finding per alias group (pure). */
export function parseOsvScannerReport(text: string, source = 'osv-scanner'): AuditParse {
  const data = tryJson(text);
  if (!isObject(data)) return { kind: 'degraded', detail: `${source} output is not JSON` };
  const findings: DepFinding[] = [];
  for (const result of asArray(data.results)) {
    for (const entry of isObject(result) ? asArray(result.packages) : []) {
      if (isObject(entry)) findings.push(...packageFindings(entry, source));
    }
  }
  return { kind: 'ok', findings };
}

/** pip-audit's severity lookup (spec §7.3), then normalised. */
export function extractPipSeverity(vuln: Json): Severity {
  const raw = vuln.severity;
  if (typeof raw === 'string' && raw.trim() !== '') return normalizeSeverity(raw);
  if (Array.isArray(raw) && raw.length > 0) {
    const first: unknown = raw[0];
    const val = isObject(first) ? first.severity || first.score || first.type : first;
    if (typeof val === 'string' || typeof val === 'number') return normalizeSeverity(val);
  }
  return 'UNKNOWN';
}

/** `pip-audit -f json` (spec §7.3), tolerant and pure: garbage gives no findings. */
export function parsePipAuditReport(text: string, source = 'pip-audit'): DepFinding[] {
  const data = tryJson(text || '{}');
  let deps: unknown[] = [];
  if (isObject(data)) {
    deps = asArray('dependencies' in data ? data.dependencies : data.vulnerabilities);
  } else if (Array.isArray(data)) deps = data as unknown[];
  const out: DepFinding[] = [];
  for (const dep of deps.filter(isObject)) {
    const vulns = 'vulns' in dep ? dep.vulns : dep.vulnerabilities;
    for (const v of asArray(vulns).filter(isObject)) {
      const fix = v.fix_versions || v.fixed_in || [];
      const aliases = asArray(v.aliases);
      out.push({
        package: asString(dep.name) || asString(dep.package) || '?',
        version: asString(dep.version) || '?',
        id: asString(v.id) || asString(aliases[0]) || '?',
        severity: extractPipSeverity(v),
        fix: Array.isArray(fix) ? fix.map(asString).join(', ') : asString(fix),
        source,
      });
    }
  }
  return out;
}

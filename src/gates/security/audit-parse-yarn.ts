import {
  asArray,
  asString,
  ghsaFromUrl,
  isObject,
  mergeByAdvisory,
  tryJson,
  unique,
  type AuditParse,
} from './audit-parse.js';
import { parseAdvisories } from './audit-parse-npm.js';
import { normalizeSeverity } from './severity.js';
import type { DepFinding } from './types.js';

const jsonLines = (text: string): unknown[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map(tryJson);

/**
 * yarn classic `yarn audit --json`: NDJSON; `auditAdvisory` lines carry an npm-6 advisory (one
 * line per dependency path, merged here); an `error` line means the audit did not happen.
 */
export function parseYarnClassicAudit(text: string, source = 'yarn'): AuditParse {
  const lines = jsonLines(text);
  if (!lines.some(isObject))
    return { kind: 'degraded', detail: `${source} audit output is not JSON` };
  const findings: DepFinding[] = [];
  for (const line of lines) {
    if (!isObject(line)) continue;
    if (line.type === 'error') {
      return {
        kind: 'degraded',
        detail: `${source} audit error: ${asString(line.data).slice(0, 200)}`,
      };
    }
    if (line.type !== 'auditAdvisory' || !isObject(line.data) || !isObject(line.data.advisory))
      continue;
    const adv = line.data.advisory;
    findings.push(...parseAdvisories({ [asString(adv.id) || '?']: adv }, source));
  }
  return { kind: 'ok', findings: mergeByAdvisory(findings) };
}

/**
 * yarn berry `yarn npm audit --json`: yarn 3 prints an npm-6 `advisories` object, yarn 4 prints
 * NDJSON `{value: <package>, children: {ID, URL, Severity, "Tree Versions", …}}`.
 */
export function parseYarnBerryAudit(text: string, source = 'yarn'): AuditParse {
  const whole = tryJson(text);
  if (isObject(whole) && isObject(whole.advisories)) {
    return { kind: 'ok', findings: parseAdvisories(whole.advisories, source) };
  }
  const lines = jsonLines(text);
  if (text.trim() !== '' && !lines.some(isObject)) {
    return { kind: 'degraded', detail: `${source} audit output is not JSON` };
  }
  const findings: DepFinding[] = [];
  for (const line of lines) {
    if (!isObject(line) || !isObject(line.children)) continue;
    const c = line.children;
    const versions = asArray(c['Tree Versions']).map(asString);
    findings.push({
      package: asString(line.value) || '?',
      version: unique(versions).join(', ') || '?',
      id: ghsaFromUrl(c.URL) || asString(c.ID) || '?',
      severity: normalizeSeverity(c.Severity),
      fix: '',
      source,
    });
  }
  return { kind: 'ok', findings: mergeByAdvisory(findings) };
}

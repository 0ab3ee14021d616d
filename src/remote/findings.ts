/** Normalizes scanner findings to one typed shape (spec §11 next step 4). Pure. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  title: string;
  severity: Severity;
  description: string;
  assets: string[];
  tags: string[];
}

const SEVERITY_ALIASES: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  crit: 'critical',
  blocker: 'critical',
  high: 'high',
  error: 'high',
  major: 'high',
  medium: 'medium',
  moderate: 'medium',
  med: 'medium',
  warning: 'medium',
  low: 'low',
  minor: 'low',
  note: 'low',
  info: 'info',
  informational: 'info',
  information: 'info',
  none: 'info',
};

/** Maps free-form severities ("Moderate", "ERROR", "3") to the six levels; anything else: unknown. */
export function normalizeSeverity(raw: unknown): Severity {
  if (typeof raw === 'number' && Number.isFinite(raw)) {
    // CVSS-like scores: 9+ critical, 7+ high, 4+ medium, >0 low, 0 info.
    if (raw >= 9) return 'critical';
    if (raw >= 7) return 'high';
    if (raw >= 4) return 'medium';
    return raw > 0 ? 'low' : 'info';
  }
  if (typeof raw !== 'string') return 'unknown';
  return SEVERITY_ALIASES[raw.trim().toLowerCase()] ?? 'unknown';
}

function text(value: unknown, max: number): string | undefined {
  if (typeof value === 'string' && value.trim().length > 0) return value.trim().slice(0, max);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function list(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  const out = items.map((v) => text(v, 500)).filter((v): v is string => v !== undefined);
  return [...new Set(out)].slice(0, 100);
}

function first(raw: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const k of keys) if (raw[k] !== undefined && raw[k] !== null) return raw[k];
  return undefined;
}

/**
 * One finding from whatever a scanner sent: title from title|name|rule_id|check_id, severity
 * from severity|level|risk|impact, description from description|message|details, assets from
 * assets|asset|url|path|location|file, tags from tags|labels|cwe.
 */
export function normalizeFinding(raw: Record<string, unknown>): Finding {
  return {
    title:
      text(first(raw, ['title', 'name', 'rule_id', 'check_id', 'id']), 500) ?? 'untitled finding',
    severity: normalizeSeverity(first(raw, ['severity', 'level', 'risk', 'impact'])),
    description: text(first(raw, ['description', 'message', 'details', 'desc']), 20_000) ?? '',
    assets: list(first(raw, ['assets', 'asset', 'url', 'path', 'location', 'file'])),
    tags: list(first(raw, ['tags', 'labels', 'cwe'])),
  };
}

import type { BlockThreshold, Severity } from './types.js';

const RANK = { LOW: 1, MEDIUM: 2, HIGH: 3, CRITICAL: 4 } as const satisfies Record<
  BlockThreshold,
  number
>;

function isThreshold(s: string): s is BlockThreshold {
  return Object.hasOwn(RANK, s);
}

/** CVSS v3 qualitative scale: ≥ 9 CRITICAL, ≥ 7 HIGH, ≥ 4 MEDIUM, > 0 LOW, otherwise UNKNOWN. */
export function severityFromCvssScore(score: number): Severity {
  if (!Number.isFinite(score) || score <= 0) return 'UNKNOWN';
  if (score >= 9) return 'CRITICAL';
  if (score >= 7) return 'HIGH';
  if (score >= 4) return 'MEDIUM';
  return 'LOW';
}

/**
 * Maps a tool's severity to LOW|MEDIUM|HIGH|CRITICAL|UNKNOWN (spec §11.3): npm's `moderate` is
 * MEDIUM, `info` and anything unrecognised (including CVSS vector strings) is UNKNOWN, and a bare
 * numeric score is bucketed on the CVSS scale.
 */
export function normalizeSeverity(raw: unknown): Severity {
  if (typeof raw === 'number') return severityFromCvssScore(raw);
  if (typeof raw !== 'string') return 'UNKNOWN';
  const s = raw.trim().toUpperCase();
  if (s === 'MODERATE') return 'MEDIUM';
  if (isThreshold(s)) return s;
  if (/^\d+(\.\d+)?$/.test(s)) return severityFromCvssScore(Number(s));
  return 'UNKNOWN';
}

/** A configured threshold, trimmed and upper-cased; `MODERATE` is MEDIUM, anything else HIGH (G-14). */
export function normalizeThreshold(raw: string | null | undefined): BlockThreshold {
  const s = (raw ?? '').trim().toUpperCase();
  if (s === 'MODERATE') return 'MEDIUM';
  return isThreshold(s) ? s : 'HIGH';
}

/**
 * `block` when the severity is at or above the threshold; UNKNOWN or unrecognised severities are
 * always `warning` (deliberate anti-loop compromise, spec §7.4).
 */
export function classifySeverity(
  severity: string | null | undefined,
  threshold: string | null | undefined,
): 'block' | 'warning' {
  const sev = (severity ?? '').trim().toUpperCase();
  if (!isThreshold(sev)) return 'warning';
  return RANK[sev] >= RANK[normalizeThreshold(threshold)] ? 'block' : 'warning';
}

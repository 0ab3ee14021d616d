import type { DepFinding } from './types.js';

/** What an audit tool's output says: findings, or why the audit did not happen. */
export type AuditParse =
  { kind: 'ok'; findings: DepFinding[] } | { kind: 'degraded'; detail: string };

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);

export const asString = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';

/** `JSON.parse` that returns `undefined` instead of throwing. */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The GHSA id in an advisory URL (`https://github.com/advisories/GHSA-xxxx-xxxx-xxxx`). */
export function ghsaFromUrl(url: unknown): string {
  const m = /\b(GHSA(?:-[23456789cfghjmpqrvwx]{4}){3})\b/i.exec(asString(url));
  return m?.[1] ?? '';
}

export const unique = (xs: readonly string[]): string[] => [...new Set(xs.filter((x) => x !== ''))];

/** Merges findings with the same (package, id, source), unioning their versions. */
export function mergeByAdvisory(findings: readonly DepFinding[]): DepFinding[] {
  const byKey = new Map<string, DepFinding>();
  for (const f of findings) {
    const key = `${f.source}\u0000${f.package}\u0000${f.id}`;
    const prev = byKey.get(key);
    if (!prev) byKey.set(key, f);
    else {
      const version = unique([...prev.version.split(', '), ...f.version.split(', ')]).join(', ');
      byKey.set(key, { ...prev, version });
    }
  }
  return [...byKey.values()];
}

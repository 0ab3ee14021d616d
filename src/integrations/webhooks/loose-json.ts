/**
 * Tolerant readers for third-party JSON (webhook payloads, API replies). Unknown fields are
 * ignored, wrong types read as null — a payload shape we did not foresee never throws. Plane's
 * documentation samples carry the Python repr `"None"` for null; it reads as null here.
 */
export type JsonObject = Readonly<Record<string, unknown>>;

export function asObject(value: unknown): JsonObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : null;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value === '' || value === 'None') return null;
  return value;
}

export function asNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return null;
}

export function asBoolean(value: unknown): boolean {
  return value === true;
}

/** Follows a path of keys through nested objects; null as soon as a step is missing. */
export function pick(value: unknown, ...path: string[]): unknown {
  let cur: unknown = value;
  for (const key of path) {
    const o = asObject(cur);
    if (!o) return null;
    cur = o[key];
  }
  return cur;
}

/** Crude HTML → text for comment bodies (Plane sends `comment_html`). */
export function htmlToText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|li|h[1-6])>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

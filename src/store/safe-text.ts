/**
 * NUL bytes (PostgreSQL `text` refuses them: a 500 and, mid-transaction, a job left running) and
 * lone UTF-16 surrogates (not encodable as UTF-8: mangled on the way to the store and the logs).
 * Checked at every edge that writes text: HTTP schemas (src/http/schemas.ts) and webhook intake.
 */
const UNSAFE_TEXT_RE = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Pure: whether a string can be stored and logged as is on both stores. */
export function isSafeText(s: string): boolean {
  return !UNSAFE_TEXT_RE.test(s);
}

/**
 * Pure: `s` made safe text for text Orch writes itself from a source it does not control (a
 * command's stderr): NUL bytes and lone surrogates each become U+FFFD.
 */
export function toSafeText(s: string): string {
  return s.replace(new RegExp(UNSAFE_TEXT_RE.source, 'g'), '\ufffd');
}

/** Pure: whether every string (and object key) inside a JSON value is safe text. */
export function isSafeJson(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return isSafeText(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth > 64) return false;
  if (Array.isArray(value)) return value.every((v) => isSafeJson(v, depth + 1));
  return Object.entries(value).every(([k, v]) => isSafeText(k) && isSafeJson(v, depth + 1));
}

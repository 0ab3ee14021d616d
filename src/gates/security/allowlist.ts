/**
 * The subset of `.gitleaks.toml` the built-in scanner honours: the global `[allowlist]` table
 * (gitleaks ≤ 8.18) and `[[allowlists]]` tables (newer 8.x), keys `paths` (regexes on the file
 * path) and `regexes` (regexes on the secret value, gitleaks' default `regexTarget`). Rule-level
 * allowlists belong to gitleaks' own rules and are ignored. Pure.
 */
export interface SecretAllowlist {
  readonly paths: readonly RegExp[];
  readonly regexes: readonly RegExp[];
}

export const EMPTY_ALLOWLIST: SecretAllowlist = { paths: [], regexes: [] };

export type AllowlistParse =
  { kind: 'ok'; allowlist: SecretAllowlist } | { kind: 'invalid'; detail: string };

/** Go RE2 → JS: a leading `(?i)` becomes the `i` flag; anything JS cannot compile is an error. */
export function compileGoRegex(source: string): RegExp {
  const m = /^\(\?([ims]+)\)/.exec(source);
  const flags = m ? [...new Set(m[1])].join('') : '';
  return new RegExp(m ? source.slice(m[0].length) : source, flags);
}

function readString(text: string, at: number): { value: string; end: number } | null {
  for (const q of ["'''", '"""', "'", '"']) {
    if (!text.startsWith(q, at)) continue;
    const close = text.indexOf(q, at + q.length);
    if (close < 0) return null;
    const raw = text.slice(at + q.length, close).replace(/^\n/, '');
    // Basic strings ("…") process escapes; literal strings ('…') are verbatim.
    const value = q.startsWith('"') ? raw.replace(/\\(["\\])/g, '$1') : raw;
    return { value, end: close + q.length };
  }
  return null;
}

/** Reads the string array that starts at `text[at] === '['`; null when malformed. */
function readStringArray(text: string, at: number): string[] | null {
  const values: string[] = [];
  let i = at + 1;
  while (i < text.length) {
    const ch = text[i] ?? '';
    if (/[\s,]/.test(ch)) i += 1;
    else if (ch === '#') i = text.indexOf('\n', i) < 0 ? text.length : text.indexOf('\n', i);
    else if (ch === ']') return values;
    else {
      const s = readString(text, i);
      if (!s) return null;
      values.push(s.value);
      i = s.end;
    }
  }
  return null;
}

/** Byte ranges of the allowlist tables: from their header to the next table header. */
function allowlistSections(toml: string): string[] {
  const headers = [...toml.matchAll(/^[ \t]*(\[\[?[^\]\n]+\]\]?)[ \t]*(?:#.*)?$/gm)];
  const out: string[] = [];
  headers.forEach((h, idx) => {
    const name = (h[1] ?? '').replace(/[[\]\s]/g, '');
    if (name !== 'allowlist' && name !== 'allowlists') return;
    const start = (h.index ?? 0) + h[0].length;
    const end = headers[idx + 1]?.index ?? toml.length;
    out.push(toml.slice(start, end));
  });
  return out;
}

function collect(section: string, key: string, into: string[]): boolean {
  for (const m of section.matchAll(new RegExp(`^[ \\t]*${key}[ \\t]*=[ \\t]*\\[`, 'gm'))) {
    const arr = readStringArray(section, (m.index ?? 0) + m[0].length - 1);
    if (!arr) return false;
    into.push(...arr);
  }
  return true;
}

/** Parses the allowlists of a `.gitleaks.toml`; a malformed array or regex is `invalid`. */
export function parseGitleaksAllowlist(toml: string): AllowlistParse {
  const paths: string[] = [];
  const regexes: string[] = [];
  for (const section of allowlistSections(toml)) {
    if (!collect(section, 'paths', paths) || !collect(section, 'regexes', regexes)) {
      return { kind: 'invalid', detail: 'malformed allowlist array in .gitleaks.toml' };
    }
  }
  try {
    return {
      kind: 'ok',
      allowlist: { paths: paths.map(compileGoRegex), regexes: regexes.map(compileGoRegex) },
    };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { kind: 'invalid', detail: `invalid allowlist regex in .gitleaks.toml: ${msg}` };
  }
}

/** A finding is dropped when its path or its secret value matches an allowlist regex. */
export function isAllowlisted(allowlist: SecretAllowlist, file: string, secret: string): boolean {
  return allowlist.paths.some((r) => r.test(file)) || allowlist.regexes.some((r) => r.test(secret));
}

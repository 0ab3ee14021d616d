import { parse } from 'yaml';

/**
 * YAML frontmatter: the only place machine verdicts are read from (never the prose). Pure.
 * A file must start with a `---` line, then YAML, then a closing `---` line.
 */
export type Frontmatter =
  | { kind: 'ok'; data: Record<string, unknown> }
  | { kind: 'missing'; reason: string }
  | { kind: 'broken'; reason: string };

const FENCE = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

export function parseFrontmatter(text: string): Frontmatter {
  const body = text.replace(/^\uFEFF/, '');
  const m = FENCE.exec(body);
  if (!m) return { kind: 'missing', reason: 'no YAML frontmatter block at the top of the file' };
  let data: unknown;
  try {
    data = parse(m[1] ?? '');
  } catch (err) {
    return {
      kind: 'broken',
      reason: `frontmatter is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    };
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { kind: 'broken', reason: 'frontmatter is not a mapping of fields' };
  }
  return { kind: 'ok', data: data as Record<string, unknown> };
}

export type Verdict =
  | { kind: 'positive'; value: string }
  | { kind: 'negative'; value: string }
  | { kind: 'invalid'; reason: string };

/** Words that turn a positive verdict around (`NOT APPROVED`, `NO PASS`): read as negative. */
const NEGATIONS: readonly string[] = ['NOT', 'NO', 'NEVER', 'CANNOT', 'NON'];

/**
 * Reads one verdict field. The value is split into tokens (letters and underscores, upper-cased);
 * a negative token or a negation (`NOT`, `NO`…) anywhere wins over positive ones; no known token
 * at all is invalid.
 */
export function readVerdict(
  fm: Frontmatter,
  field: string,
  tokens: { positive: readonly string[]; negative: readonly string[] },
): Verdict {
  if (fm.kind !== 'ok') return { kind: 'invalid', reason: fm.reason };
  const raw = fm.data[field];
  if (raw === undefined || raw === null)
    return { kind: 'invalid', reason: `frontmatter has no "${field}" field` };
  if (typeof raw !== 'string' && typeof raw !== 'boolean') {
    return { kind: 'invalid', reason: `"${field}" must be a single value` };
  }
  const value = String(raw).toUpperCase();
  const words = value.split(/[^A-Z_]+/).filter(Boolean);
  if (words.some((w) => tokens.negative.includes(w) || NEGATIONS.includes(w)))
    return { kind: 'negative', value };
  if (words.some((w) => tokens.positive.includes(w))) return { kind: 'positive', value };
  return { kind: 'invalid', reason: `unrecognized ${field}: ${value}` };
}

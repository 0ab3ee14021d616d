import { isAllowlisted, type SecretAllowlist } from './allowlist.js';
import { maskSecret } from './mask.js';
import type { AddedBlock } from './patch-parser.js';
import { detectSecrets, SECRET_RULES, type SecretRule } from './secret-rules.js';
import type { SecretFinding } from './types.js';

const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
const truthy = (...vs: unknown[]): unknown => vs.find((v) => Boolean(v));

/**
 * Parses a gitleaks JSON report (spec §6.4), tolerant and pure: invalid JSON, `null` or a
 * non-array is `[]`, non-object items are skipped, v8 PascalCase and older lower-case keys are
 * both read, and the secret is masked here.
 */
export function parseGitleaksReport(text: string): SecretFinding[] {
  let data: unknown;
  try {
    data = JSON.parse(text || '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(data)) return [];
  const out: SecretFinding[] = [];
  for (const item of data as unknown[]) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    const r = item as Record<string, unknown>;
    const line = Number(truthy(r.StartLine, r.startLine) ?? 0);
    out.push({
      file: str(truthy(r.File, r.file)) || '?',
      rule: str(truthy(r.RuleID, r.Description)) || 'secret',
      line: Number.isFinite(line) ? line : 0,
      match: maskSecret(str(truthy(r.Secret, r.Match))),
    });
  }
  return out;
}

function lineAt(block: AddedBlock, index: number): number {
  let n = 0;
  for (let i = 0; i < index && i < block.text.length; i += 1) if (block.text[i] === '\n') n += 1;
  return block.startLine + n;
}

/**
 * The built-in scanner's core (pure): runs the rules over each block of added lines, drops
 * allowlisted hits, masks the rest, and reports each (file, line, value) once even when several
 * commits add it.
 */
export function scanAddedBlocks(
  blocks: readonly AddedBlock[],
  allowlist: SecretAllowlist,
  rules: readonly SecretRule[] = SECRET_RULES,
): SecretFinding[] {
  const out: SecretFinding[] = [];
  const seen = new Set<string>();
  for (const block of blocks) {
    for (const hit of detectSecrets(block.text, rules)) {
      if (isAllowlisted(allowlist, block.file, hit.value)) continue;
      const line = lineAt(block, hit.index);
      const key = `${block.file}\u0000${line}\u0000${hit.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ file: block.file, rule: hit.rule, line, match: maskSecret(hit.value) });
    }
  }
  return out;
}

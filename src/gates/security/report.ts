import { parse as parseYaml } from 'yaml';
import type { DepFinding, SecretFinding } from './types.js';
import type { VerdictFields } from './verdict.js';

/** Where the report lives, relative to the task worktree (spec §8.1). */
export function securityReportRelPath(workItemId: string): string {
  return `docs/work-items/${workItemId}/17-security-report.md`;
}

/** Python's `s.split(sep, maxsplit)`: the remainder stays in the last part (spec §11.5). */
export function splitN(s: string, sep: string, maxSplit: number): string[] {
  const parts: string[] = [];
  let rest = s;
  while (parts.length < maxSplit) {
    const at = rest.indexOf(sep);
    if (at < 0) break;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + sep.length);
  }
  parts.push(rest);
  return parts;
}

const secretLine = (f: SecretFinding) =>
  `- \`${f.file}:${f.line}\` — ${f.rule} (match \`${f.match}\`)`;

function depLine(f: DepFinding, targetRef: string): string {
  const base = f.baseline ? ` (already on ${targetRef}, not blocking)` : '';
  return `- \`${f.package}==${f.version}\` — ${f.id} severity=${f.severity} fix=${f.fix || 'n/a'}${base}`;
}

const list = (lines: string[]) => (lines.length > 0 ? lines.join('\n') : '- None');

const HISTORY_HINT =
  '- Note: every commit in the range is scanned. Deleting a secret in a later commit does not ' +
  'remove it from history: rotate the secret and rewrite the branch (squash or rebase, then ' +
  'force-push).';

export interface ReportContext {
  readonly workItemId: string;
  readonly targetRef: string;
  readonly scanner: string;
  /** Extra lines under `## Notes` (baseline and degraded-audit details); none → no section. */
  readonly notes?: readonly string[];
}

/** Renders `17-security-report.md` (spec §8.2); every secret match in `fields` is already masked. */
export function renderSecurityReport(fields: VerdictFields, ctx: ReportContext): string {
  const secrets = fields.secretFindings.map(secretLine);
  if (secrets.length > 0) secrets.push(HISTORY_HINT);
  const notes = ctx.notes ?? [];
  const sections = [
    '---',
    `security_status: ${fields.securityStatus}`,
    `secrets_found: ${fields.secretsFound}`,
    `deps_blocking: ${fields.depsBlocking}`,
    `deps_warning: ${fields.depsWarning}`,
    `deps_audit_degraded: ${fields.depsAuditDegraded}`,
    '---',
    `# Security Report — ${ctx.workItemId}`,
    '',
    `Deterministic security gate: secret scan of \`${ctx.targetRef}..HEAD\` (${ctx.scanner}, offline) + ` +
      'dependency audit. The machine verdict is read ONLY from the frontmatter above.',
    '',
    '## Verdict',
    fields.reason,
    '',
    '## Secrets',
    list(secrets),
    '',
    '## Dependencies (blocking)',
    list(fields.blockingFindings.map((f) => depLine(f, ctx.targetRef))),
    '',
    '## Dependencies (warning)',
    list(fields.warningFindings.map((f) => depLine(f, ctx.targetRef))),
  ];
  if (notes.length > 0) sections.push('', '## Notes', ...notes.map((n) => `- ${n}`));
  return `${sections.join('\n')}\n`;
}

const scalarText = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined ? '' : (JSON.stringify(v) ?? '');

/**
 * Reads the machine verdict from the frontmatter only (spec §8.4). The content must start with
 * `---` exactly; broken YAML, a non-mapping, a missing or unrecognised `security_status` are all
 * FAIL (fail-closed). FAIL is checked before PASS; the value is case-insensitive.
 */
export function parseSecurityStatus(content: string): { passed: boolean; reason: string } {
  let status: string | null = null;
  if (content.startsWith('---')) {
    const parts = splitN(content, '---', 2);
    if (parts.length >= 3) {
      let fm: unknown;
      try {
        fm = parseYaml(parts[1] ?? '') ?? {};
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        return { passed: false, reason: `Invalid YAML frontmatter in security report: ${msg}` };
      }
      if (fm !== null && typeof fm === 'object' && !Array.isArray(fm)) {
        const raw = (fm as Record<string, unknown>).security_status;
        status = scalarText(raw).toUpperCase().trim();
      }
    }
  }
  if (status === 'FAIL') return { passed: false, reason: 'Security status: FAIL' };
  if (status === 'PASS') return { passed: true, reason: 'Security status: PASS' };
  return {
    passed: false,
    reason: `No machine-readable security_status in frontmatter (got: ${JSON.stringify(status)})`,
  };
}

const KEEP = ['## Verdict', '## Secrets', '## Dependencies (blocking)'];

/**
 * The verbatim findings for a developer rollback task (spec §8.5): the Verdict, Secrets and
 * Dependencies (blocking) sections, without frontmatter, title or warnings; at most 1500 chars.
 */
export function extractSecurityFindings(content: string, maxChars = 1500): string {
  const body = content.startsWith('---') ? (splitN(content, '---', 2)[2] ?? '') : content;
  const out: string[] = [];
  let keep = false;
  for (const line of body.split('\n')) {
    if (line.startsWith('## ')) keep = KEEP.some((k) => line.startsWith(k));
    if (keep) out.push(line);
  }
  return out.join('\n').trim().slice(0, maxChars);
}

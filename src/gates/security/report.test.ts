import { describe, expect, it } from 'vitest';
import { maskSecret } from './mask.js';
import {
  extractSecurityFindings,
  parseSecurityStatus,
  renderSecurityReport,
  splitN,
} from './report.js';
import type { DepFinding } from './types.js';
import { computeVerdict } from './verdict.js';

const dep = (pkg: string, id: string, severity: DepFinding['severity']): DepFinding => ({
  package: pkg,
  version: '2.0',
  id,
  severity,
  fix: '2.1',
  source: 'npm',
});
const fields = computeVerdict(
  {
    status: 'found',
    findings: [{ file: 'src/config.py', rule: 'aws-access-key-id', line: 12, match: 'AKIA…WR' }],
    detail: '',
    scanner: 'builtin',
  },
  {
    status: 'ok',
    findings: [dep('requests', 'CVE-X', 'HIGH'), dep('click', 'CVE-L', 'LOW')],
    detail: '',
  },
  { secretsBlock: true, depBlockSeverity: 'HIGH', depFailClosed: false },
);
const CTX = { workItemId: 'ORCH-022', targetRef: 'origin/main', scanner: 'gitleaks' };

describe('maskSecret', () => {
  it('keeps 4 leading and 2 trailing code points, and hides short values entirely', () => {
    expect(maskSecret('supersecretvalue')).toBe('supe…ue');
    expect(maskSecret('12345678')).toBe('****');
    expect(maskSecret('123456789')).toBe('1234…89');
    expect(maskSecret('  padded-secret-value  ')).toBe('padd…ue');
    expect(maskSecret('')).toBe('****');
    expect(maskSecret('🔑🔑🔑🔑abcdé€')).toBe('🔑🔑🔑🔑…é€');
  });
});

describe('security report', () => {
  it('TC-10: renders the frontmatter fields and both dependency lists', () => {
    const text = renderSecurityReport(fields, CTX);
    expect(
      text.startsWith('---\nsecurity_status: FAIL\nsecrets_found: 1\ndeps_blocking: 1\n'),
    ).toBe(true);
    expect(text).toContain(
      'deps_warning: 1\ndeps_audit_degraded: false\n---\n# Security Report — ORCH-022\n',
    );
    expect(text).toContain(
      '## Verdict\n1 secret(s): aws-access-key-id in src/config.py:12; 1 blocking CVE(s)',
    );
    expect(text).toContain(
      '## Secrets\n- `src/config.py:12` — aws-access-key-id (match `AKIA…WR`)\n',
    );
    expect(text).toContain(
      '## Dependencies (blocking)\n- `requests==2.0` — CVE-X severity=HIGH fix=2.1\n',
    );
    expect(text).toContain(
      '## Dependencies (warning)\n- `click==2.0` — CVE-L severity=LOW fix=2.1\n',
    );
    expect(text.endsWith('fix=2.1\n')).toBe(true);
    expect(parseSecurityStatus(text)).toEqual({ passed: false, reason: 'Security status: FAIL' });
  });

  it('writes "- None" for empty sections and a Notes section only when there are notes', () => {
    const clean = computeVerdict(
      { status: 'clean', findings: [], detail: '', scanner: 'builtin' },
      { status: 'ok', findings: [], detail: '' },
      { secretsBlock: true, depBlockSeverity: 'HIGH', depFailClosed: false },
    );
    const text = renderSecurityReport(clean, CTX);
    expect(text).toContain('## Secrets\n- None\n\n## Dependencies (blocking)\n- None\n');
    expect(text).not.toContain('## Notes');
    expect(renderSecurityReport(clean, { ...CTX, notes: ['baseline n/a'] })).toContain(
      '## Notes\n- baseline n/a\n',
    );
    expect(parseSecurityStatus(text).passed).toBe(true);
  });

  it('TC-08: reads the verdict only from the frontmatter, never from prose', () => {
    const pass =
      '---\nsecurity_status: PASS\nsecrets_found: 0\n---\n# Report\nThis build totally FAILED everything, FAIL FAIL.\n';
    expect(parseSecurityStatus(pass)).toEqual({ passed: true, reason: 'Security status: PASS' });
    const fail = '---\nsecurity_status: FAIL\n---\nEverything PASS, looks great!\n';
    expect(parseSecurityStatus(fail)).toEqual({ passed: false, reason: 'Security status: FAIL' });
    expect(parseSecurityStatus('---\nsecurity_status: pass\n---\n').passed).toBe(true);
  });

  it('TC-09: missing, broken or incomplete frontmatter fails closed', () => {
    const cases = [
      '# Just a body, no frontmatter\nPASS\n',
      '---\nother: 1\n---\nbody\n',
      '---\nsecurity_status: : : [bad\n---\nbody\n',
      '\n---\nsecurity_status: PASS\n---\n',
      '\uFEFF---\nsecurity_status: PASS\n---\n',
      '---\nsecurity_status: PASS\n',
      '---\n- a list\n---\n',
      '---\nsecurity_status: null\n---\n',
      '---\nsecurity_status: true\n---\n',
      '---\nsecurity_status: PASSED\n---\n',
      '',
    ];
    for (const text of cases) {
      const r = parseSecurityStatus(text);
      expect(r.passed, JSON.stringify(text)).toBe(false);
      expect(r.reason).not.toBe('');
    }
    expect(parseSecurityStatus('---\nsecurity_status: : : [bad\n---\n').reason).toMatch(
      /^Invalid YAML/,
    );
  });

  it('extracts Verdict, Secrets and blocking dependencies only, at most 1500 chars', () => {
    const text = renderSecurityReport(fields, CTX);
    const excerpt = extractSecurityFindings(text);
    expect(
      excerpt.startsWith('## Verdict\n1 secret(s): aws-access-key-id in src/config.py:12'),
    ).toBe(true);
    expect(excerpt).toContain('## Secrets\n- `src/config.py:12`');
    expect(excerpt).toContain('## Dependencies (blocking)\n- `requests==2.0`');
    expect(excerpt).not.toContain('CVE-L');
    expect(excerpt).not.toContain('security_status');
    expect(excerpt).not.toContain('# Security Report');
    expect(extractSecurityFindings(`---\na: 1\n---\n## Verdict\n${'x'.repeat(3000)}`)).toHaveLength(
      1500,
    );
    expect(extractSecurityFindings('')).toBe('');
  });

  it('splits like Python str.split with maxsplit, keeping the remainder', () => {
    expect(splitN('---\na\n---\nb---c', '---', 2)).toEqual(['', '\na\n', '\nb---c']);
    expect(splitN('abc', '---', 2)).toEqual(['abc']);
  });
});

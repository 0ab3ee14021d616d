import { describe, expect, it } from 'vitest';
import {
  extractFindings,
  extractReviewFindings,
  extractTestFailures,
  MAX_EXTRACT,
  stripFrontmatter,
} from './findings-extract.js';

const FRONT = '---\ntype: review\nwork_item_id: APP-7\nverdict: REQUEST_CHANGES\nversion: 2\n---\n';
const LONG_SUMMARY = `${'The change adds the export endpoint and its tests. '.repeat(40)}\n`;

describe('extractReviewFindings', () => {
  it('keeps P0/P1 sections verbatim, past a long summary, and drops P2/P3', () => {
    const review = `${FRONT}# Review APP-7

## Summary
${LONG_SUMMARY}
## Findings

### P0 — must fix
- \`exportCsv\` builds SQL by string concatenation (src/export.ts:41): use parameters.

### P1
- The 10 MB limit is not enforced; a large export runs the server out of memory.
  Stream the rows instead of building the file in memory.

### P2
- Rename \`doIt\` to something that says what it does.

### P3
- Typo in the README.
`;
    const out = extractReviewFindings(review);
    expect(LONG_SUMMARY.length + FRONT.length).toBeGreaterThan(1500);
    expect(out).toContain('### P0 — must fix');
    expect(out).toContain('use parameters.');
    expect(out).toContain('  Stream the rows instead of building the file in memory.');
    expect(out).not.toMatch(/doIt|Typo|export endpoint and its tests|verdict:/);
  });

  it('picks P0/P1 list items out of a flat findings list, with their continuation lines', () => {
    const review = `${FRONT}## Findings
- P3: trailing whitespace in two files.
- [P1] The retry loop never stops when the API answers 401.
    It must give up and surface the error.
- **P0** Secrets are logged at debug level (src/client.ts:12).
- P2: consider a smaller helper.
`;
    expect(extractReviewFindings(review)).toBe(
      [
        '- [P1] The retry loop never stops when the API answers 401.',
        '    It must give up and surface the error.',
        '- **P0** Secrets are logged at debug level (src/client.ts:12).',
      ].join('\n'),
    );
  });

  it('falls back to the Findings section when nothing is marked P0/P1', () => {
    const review = `${FRONT}## Summary\nNot ready.\n\n## Findings\n- add input validation\n- handle the empty list\n\n## Documentation\nOK.\n`;
    expect(extractReviewFindings(review)).toBe(
      '## Findings\n- add input validation\n- handle the empty list',
    );
  });

  it('bounds a runaway review and says where the rest is', () => {
    const review = `${FRONT}## P1\n${'x'.repeat(MAX_EXTRACT + 100)}\n`;
    const out = extractReviewFindings(review);
    expect(out.length).toBeLessThan(MAX_EXTRACT + 100);
    expect(out).toMatch(/…\(\d+ more characters in 12-review\.md\)$/);
  });
});

describe('extractTestFailures', () => {
  it('keeps the failures section and failure lines, not the passing ones', () => {
    const report = `---\ntype: test-report\nresult: FAIL\n---\n# Test report APP-7

## Results
✓ AC-1 exports a CSV
✗ AC-2 rejects an export over 10 MB
FAIL AC-3 streams rows (timeout after 5 s)
✓ AC-4 escapes quotes

## Notes
Environment: node 20.
`;
    expect(extractTestFailures(report)).toBe(
      '✗ AC-2 rejects an export over 10 MB\nFAIL AC-3 streams rows (timeout after 5 s)',
    );
    const withSection = `${report}\n## Failures\n### AC-2\nexpected 413, got 200\n`;
    expect(extractTestFailures(withSection)).toContain(
      '## Failures\n### AC-2\nexpected 413, got 200',
    );
  });

  it('hands over the whole body when no failure is marked', () => {
    expect(extractTestFailures('---\nresult: FAIL\n---\nThe suite did not start.\n')).toBe(
      'The suite did not start.',
    );
  });
});

describe('extractFindings', () => {
  it('routes by file and strips frontmatter from others', () => {
    expect(
      extractFindings('15-staging-log.md', '---\nstaging_status: FAIL\n---\nhealth 502\n'),
    ).toBe('health 502');
    expect(stripFrontmatter('no front matter')).toBe('no front matter');
  });
});

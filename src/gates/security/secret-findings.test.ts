import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMPTY_ALLOWLIST, isAllowlisted, parseGitleaksAllowlist } from './allowlist.js';
import { parseAddedBlocks } from './patch-parser.js';
import { parseGitleaksReport, scanAddedBlocks } from './secret-findings.js';
import { detectSecrets, looksLikeSecretValue } from './secret-rules.js';

const FIXTURES = resolve(import.meta.dirname, '../../../test/fixtures/scanners');
// Fake values are assembled at run time so this file holds no complete secret.
const j = (...parts: string[]) => parts.join('');
const SAMPLES: Record<string, string> = {
  'aws-access-key-id': `key = ${j('AKIA', 'Q3ZT7K2MNB5V4XWR')}`,
  'aws-secret-access-key': `aws_secret_access_key = ${j('wJalrXUtnFEMI/K7MDENG', 'bPxRfiCYq9T4mZ8kLp2')}`,
  'private-key': [
    j('-----BEGIN ', 'OPENSSH PRIVATE KEY-----'),
    'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
    j('-----END ', 'OPENSSH PRIVATE KEY-----'),
  ].join('\n'),
  'gcp-service-account-key': `"private_key_id": "${j('3f9a1c0d7e5b2a4c', '6d8e0f1a3b5c7d9e1f2a3b4c')}"`,
  'gcp-api-key': j('AIza', 'SyD4kL9pQ2mX7vN3bR8tW1zY6cF0hJ5gE2s'),
  'github-token': j('ghp_', 'R8mQ2xV7kL9pZ4wN6tY3bC1dF5gH0jK2sA7e'),
  'gitlab-token': j('glpat-', 'x7Kp2Lm9Qr4Tv8Wz1Nb3'),
  'slack-token': j('xoxb-', '2048613257-T7kP9qL2mN4vX8zR'),
  'npm-access-token': j('npm_', 'a8B3c9D2e7F1g6H4i0J5k2L8m3N7o1P9q4R6'),
  'anthropic-api-key': j('sk-ant-', 'api03-', 'Zx9'.repeat(30)),
  'openai-api-key': j('sk-', 'proj-', 'Qw3rTy7uIo9pAs2dFg4hJk6lZx8cVb1nM5qW0eR3tY7u'),
  'basic-auth-url': j('postgres://admin:', 'S3cr3tPassw0rd', '@db.internal:5432/app'),
  'generic-secret-assignment': `DB_PASSWORD=${j('Xk9#mQ2v', 'L8pZr4Tw')}`,
};

describe('built-in secret rules', () => {
  it.each(Object.entries(SAMPLES))('detects %s', (rule, text) => {
    const hits = detectSecrets(text);
    expect(hits.map((h) => h.rule)).toContain(rule);
  });

  it('detects quoted assignments in code and yaml-style lines', () => {
    expect(detectSecrets(`const apiKey = "${j('dfjksdjfs3294', 'dfjlsdaf213')}";`)).toHaveLength(1);
    expect(detectSecrets(`  client_secret: ${j('q8W2e', 'R7t6Y5u')}`)).toHaveLength(1);
  });

  it('ignores placeholders, references, types and low-entropy values', () => {
    const benign = [
      'password = process.env.DB_PASSWORD',
      'DB_PASSWORD=${DB_PASSWORD}',
      'password: string;',
      'secret: SecretType;',
      'token = "changeme-please"',
      'API_KEY=your-api-key-here-xxxxx',
      'PASSWORD=<your-password>',
      'password = "aaaaaaaaaaaa"',
      'postgres://user:${PGPASSWORD}@db:5432/app',
      '"integrity": "sha512-abc"',
    ];
    for (const line of benign) expect(detectSecrets(line), line).toEqual([]);
    expect(looksLikeSecretValue('hunter22')).toBe(false);
    expect(looksLikeSecretValue('plane_wh_x')).toBe(false);
    expect(looksLikeSecretValue(j('P@ssw0', 'rd123'))).toBe(true);
  });

  it('reports a value several rules match once', () => {
    const hits = detectSecrets(`AWS_ACCESS_KEY_ID=${j('AKIA', 'Q3ZT7K2MNB5V4XWR')}`);
    expect(hits.map((h) => h.rule)).toEqual(['aws-access-key-id']);
  });
});

describe('patch scanning', () => {
  const token = j('ghp_', 'R8mQ2xV7kL9pZ4wN6tY3bC1dF5gH0jK2sA7e');
  const patch = [
    '\u0000commit abc123',
    '',
    'diff --git a/src/x.ts b/src/x.ts',
    'index 1..2 100644',
    '--- a/src/x.ts',
    '+++ b/src/x.ts',
    '@@ -3,0 +4,2 @@',
    '+const a = 1;',
    `+const t = '${token}';`,
    '@@ -10 +12 @@',
    '-old',
    '+++ not a header inside a hunk',
    'diff --git a/gone.txt b/gone.txt',
    '--- a/gone.txt',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    `-${token}`,
  ].join('\n');

  it('keeps added lines with their new-file line numbers and skips deletions', () => {
    const blocks = parseAddedBlocks(patch);
    expect(blocks).toEqual([
      {
        file: 'src/x.ts',
        startLine: 4,
        text: `const a = 1;\nconst t = '${token}';`,
        commit: 'abc123',
      },
      { file: 'src/x.ts', startLine: 12, text: '++ not a header inside a hunk', commit: 'abc123' },
    ]);
  });

  it('reports file, line and rule with the value masked', () => {
    const findings = scanAddedBlocks(parseAddedBlocks(patch), EMPTY_ALLOWLIST);
    expect(findings).toEqual([
      { file: 'src/x.ts', rule: 'github-token', line: 5, match: 'ghp_…7e' },
    ]);
    expect(JSON.stringify(findings)).not.toContain(token);
  });
});

describe('gitleaks report parsing', () => {
  it('is tolerant: empty, garbage, null and non-arrays give no findings', () => {
    for (const text of ['', 'not json', '{}', 'null', '[1, "x", null]']) {
      expect(parseGitleaksReport(text), text).toEqual([]);
    }
  });

  it('reads file, rule and line and masks the secret', () => {
    const parsed = parseGitleaksReport(
      JSON.stringify([{ File: 'a.py', RuleID: 'key', StartLine: 3, Secret: 'supersecretvalue' }]),
    );
    expect(parsed).toEqual([{ file: 'a.py', rule: 'key', line: 3, match: 'supe…ue' }]);
  });

  it('parses the gitleaks 8 fixture and its legacy null report', () => {
    const many = parseGitleaksReport(
      readFileSync(`${FIXTURES}/gitleaks/gitleaks8_many.json`, 'utf8'),
    );
    expect(many.map((f) => `${f.rule} ${f.file}:${f.line} ${f.match}`)).toEqual([
      'aws-access-token /conf/aws.tf:2 secr…et',
      'aws-access-token /conf/aws.tf:2 secr…et',
      'RSA-PK conf/rsa.pk:57 ----…--',
      'generic-api-key tests/api.py:21 dfjk…13',
    ]);
    expect(
      parseGitleaksReport(readFileSync(`${FIXTURES}/gitleaks/no_findings.json`, 'utf8')),
    ).toEqual([]);
  });
});

describe('.gitleaks.toml allowlist', () => {
  const toml = [
    'title = "orchestrator gitleaks config"',
    '[extend]',
    'useDefault = true',
    '',
    '[allowlist]',
    'description = "Known-safe matches"',
    'paths = [',
    "  '''(^|/)\\.env\\.example$''',   # canon",
    "  '''(^|/)test/fixtures/''',",
    ']',
    'regexes = [',
    "  '''(?i)(changeme|dummy|example|placeholder|xxxxx+)''',",
    '  "(?i)<[a-z0-9_-]+>",',
    ']',
    '[[rules]]',
    'id = "custom"',
    "regex = '''x'''",
    "paths = ['''ignored-rule-level''']",
  ].join('\n');

  it('reads paths and regexes of the global allowlist and ignores rule tables', () => {
    const parsed = parseGitleaksAllowlist(toml);
    expect(parsed.kind).toBe('ok');
    if (parsed.kind !== 'ok') return;
    expect(parsed.allowlist.paths.map(String)).toEqual([
      '/(^|\\/)\\.env\\.example$/',
      '/(^|\\/)test\\/fixtures\\//',
    ]);
    expect(isAllowlisted(parsed.allowlist, 'config/.env.example', 'x')).toBe(true);
    expect(isAllowlisted(parsed.allowlist, 'src/a.ts', 'AKIA-EXAMPLE')).toBe(true);
    expect(isAllowlisted(parsed.allowlist, 'src/a.ts', '<token>')).toBe(true);
    expect(isAllowlisted(parsed.allowlist, 'src/a.ts', 'real-value')).toBe(false);
    expect(isAllowlisted(parsed.allowlist, 'ignored-rule-level', 'real-value')).toBe(false);
  });

  it('reads [[allowlists]] tables of newer gitleaks too', () => {
    const parsed = parseGitleaksAllowlist("[[allowlists]]\npaths = ['''^docs/''']\n");
    expect(parsed.kind === 'ok' && isAllowlisted(parsed.allowlist, 'docs/a.md', 'v')).toBe(true);
  });

  it('rejects a regex JavaScript cannot compile and an unterminated array', () => {
    expect(parseGitleaksAllowlist("[allowlist]\nregexes = ['''(?P<x>a)(''']\n").kind).toBe(
      'invalid',
    );
    expect(parseGitleaksAllowlist("[allowlist]\npaths = ['''a''',\n").kind).toBe('invalid');
  });
});

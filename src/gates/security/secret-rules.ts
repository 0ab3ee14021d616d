/**
 * Built-in secret detection rules, used when gitleaks is not on the PATH. They follow secretlint's
 * recommended preset (AWS, GCP, private keys, GitHub, GitLab, Slack, npm, OpenAI, Anthropic,
 * basic-auth URLs) plus a generic `password=`/`secret=` rule gated on entropy. Each rule's first
 * capture group (or the whole match) is the secret value; it is masked before it leaves the scan.
 */
export interface SecretRule {
  readonly id: string;
  readonly pattern: RegExp;
  /** Extra check on the captured value (placeholder filtering, entropy). */
  readonly accept?: (value: string) => boolean;
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const PLACEHOLDER =
  /^(?:\$|\{\{|%|<|\*+$|\.\.\.)|changeme|dummy|example|placeholder|redacted|xxxxx+|your[-_]?[a-z_-]*here/i;

/** `${…}`, `{{ … }}`, `$(…)`: a template or shell interpolation, not a literal value. */
const INTERPOLATION = /\$\{|\{\{|\$\(/;

/**
 * Generic values must look random: ≥ 10 characters, not a placeholder, reference or
 * interpolation, at least two character classes and ≥ 3.2 bits/char. Measured: `P@ssw0rd123`
 * 3.28 and `MyS3cretPass` 3.42 are caught; `plane_wh_x` 3.12 and `hunter2hunter2` 2.81 are not.
 */
export function looksLikeSecretValue(value: string): boolean {
  if (value.length < 10 || PLACEHOLDER.test(value) || CODE_REFERENCE.test(value)) return false;
  if (INTERPOLATION.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(value)).length;
  return classes >= 2 && shannonEntropy(value) >= 3.2;
}

/** `process.env.X`, `settings.db.password`, `os.environ`: code, not a value. */
const CODE_REFERENCE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;

const notPlaceholder = (v: string) => !PLACEHOLDER.test(v);

// Key names that name a credential; the value must be quoted or sit on an env/yaml-style line.
const KEY = String.raw`[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key)[A-Za-z0-9_-]*`;

export const SECRET_RULES: readonly SecretRule[] = [
  { id: 'aws-access-key-id', pattern: /\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/g },
  {
    id: 'aws-secret-access-key',
    pattern:
      /aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
  },
  {
    id: 'private-key',
    pattern:
      /-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----[\s\S]{64,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----/g,
  },
  { id: 'gcp-service-account-key', pattern: /"private_key_id"\s*:\s*"([a-f0-9]{40})"/g },
  { id: 'gcp-api-key', pattern: /\b(AIza[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])/g },
  { id: 'github-token', pattern: /\b((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})\b/g },
  { id: 'github-fine-grained-pat', pattern: /\b(github_pat_[A-Za-z0-9_]{82})\b/g },
  { id: 'gitlab-token', pattern: /\b(gl(?:pat|dt|rt|ptt)-[A-Za-z0-9_-]{20,})(?![A-Za-z0-9_-])/g },
  { id: 'slack-token', pattern: /\b(xox[abposr]-[0-9A-Za-z-]{10,})/g },
  {
    id: 'slack-webhook-url',
    pattern: /(https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+)/g,
  },
  { id: 'npm-access-token', pattern: /\b(npm_[A-Za-z0-9]{36})\b/g },
  {
    id: 'npmrc-auth-token',
    pattern: /_authToken\s*=\s*([^\s$'"]{8,})/g,
    accept: notPlaceholder,
  },
  { id: 'anthropic-api-key', pattern: /\b(sk-ant-[a-z]{3,5}\d{2}-[A-Za-z0-9_-]{80,})/g },
  {
    id: 'openai-api-key',
    pattern:
      /\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})(?![A-Za-z0-9_-])/g,
  },
  {
    id: 'basic-auth-url',
    pattern: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:/@'"`]+:([^\s/@'"`]{3,})@[a-z0-9.-]+/gi,
    accept: notPlaceholder,
  },
  {
    id: 'generic-secret-assignment',
    pattern: new RegExp(
      String.raw`\b${KEY}["']?\s*(?::|=|:=|=>)\s*["'\`]([^"'\`\s]{10,})["'\`]`,
      'gi',
    ),
    accept: looksLikeSecretValue,
  },
  {
    id: 'generic-secret-assignment',
    pattern: new RegExp(
      String.raw`^[ \t]*(?:export[ \t]+)?${KEY}[ \t]*[:=][ \t]*([^\s'"\`;,(){}[\]]{10,})(?:[ \t]+#.*)?[ \t]*$`,
      'gim',
    ),
    accept: looksLikeSecretValue,
  },
];

export interface RawSecretHit {
  readonly rule: string;
  /** Offset of the match in the scanned text (for the line number). */
  readonly index: number;
  /** The raw value: callers must mask it and drop it. */
  readonly value: string;
}

/** Runs every rule over `text` (pure); a value several rules match is reported once, first rule wins. */
export function detectSecrets(
  text: string,
  rules: readonly SecretRule[] = SECRET_RULES,
): RawSecretHit[] {
  const hits: RawSecretHit[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    for (const m of text.matchAll(rule.pattern)) {
      const value = m[1] ?? m[0];
      if (rule.accept && !rule.accept(value)) continue;
      const index = (m.index ?? 0) + Math.max(0, m[0].indexOf(value));
      if (seen.has(value)) continue;
      seen.add(value);
      hits.push({ rule: rule.id, index, value });
    }
  }
  return hits;
}

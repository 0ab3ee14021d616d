/** Masks every configured secret value in a text (captured test output, run logs, reports). */
export type SecretMasker = (text: string) => string;

/** The Orch settings whose values are secrets. */
export const SECRET_ENV_NAMES = [
  'ORCH_ADMIN_TOKEN',
  'ORCH_VIEWER_TOKEN',
  'ORCH_PLANE_API_TOKEN',
  'ORCH_PLANE_WEBHOOK_SECRET',
  'ORCH_GITEA_TOKEN',
  'ORCH_GITEA_WEBHOOK_SECRET',
  'ORCH_GITHUB_TOKEN',
  'ORCH_GITHUB_APP_PRIVATE_KEY',
  'ORCH_GITHUB_WEBHOOK_SECRET',
  'ORCH_TELEGRAM_BOT_TOKEN',
] as const;

/** Values shorter than this are not masked (they would mask ordinary words and numbers). */
export const MIN_SECRET_LENGTH = 6;

/** Pure: the password of a database URL (`postgres://u:pw@h/db` → `pw`), decoded and raw. */
export function dbUrlPasswords(url: string | undefined): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@/]*)@/i.exec(url ?? '');
  if (!m?.[1]) return [];
  let decoded = m[1];
  try {
    decoded = decodeURIComponent(m[1]);
  } catch {
    // keep the raw form only
  }
  return [...new Set([m[1], decoded])];
}

/**
 * Pure: the secret values of an Orch environment — the tokens and webhook secrets above, the
 * database password and, for a URL with a password, the whole URL.
 */
export function secretValues(env: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const name of SECRET_ENV_NAMES) {
    const v = env[name];
    if (typeof v === 'string') out.push(v);
  }
  // git's `Authorization: Basic` header for the token (src/git/git-auth.ts), should git quote it
  const github = env.ORCH_GITHUB_TOKEN;
  if (typeof github === 'string' && github !== '') {
    out.push(Buffer.from(`x-access-token:${github}`).toString('base64'));
  }
  const pem = env.ORCH_GITHUB_APP_PRIVATE_KEY;
  if (typeof pem === 'string') out.push(...pemSecretLines(pem));
  const dbUrl = typeof env.ORCH_DB_URL === 'string' ? env.ORCH_DB_URL : undefined;
  const passwords = dbUrlPasswords(dbUrl);
  if (passwords.length > 0 && dbUrl) out.push(dbUrl);
  out.push(...passwords);
  return out.filter((v) => v.length >= MIN_SECRET_LENGTH);
}

/**
 * Pure: the base64 lines of a PEM private key (real newlines or `\n` escapes), each masked on
 * its own: a key quoted in a log is often re-wrapped or cut, and any one line of it is secret.
 */
export function pemSecretLines(pem: string): string[] {
  return pem
    .replace(/\\n/g, '\n')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('-----'));
}

/** Masks nothing: the default where no secrets are configured (tests, tools). */
export const noMask: SecretMasker = (text) => text;

/**
 * Pure: `value` with the masker applied to every string inside it (object values and array
 * items, recursively); other values are kept. For structured payloads — notifications, timeline
 * details, outbox effects — whose JSON form would escape a secret's quotes or backslashes.
 */
export function maskDeep<T>(value: T, mask: SecretMasker): T {
  if (typeof value === 'string') return mask(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => maskDeep(v, mask)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, mask);
    return out as T;
  }
  return value;
}

/**
 * One masker for the process: replaces every occurrence of a secret value with `[masked]`.
 * Longest values first, so a URL is masked whole rather than around its password.
 */
export function secretMasker(values: readonly string[]): SecretMasker {
  const secrets = [...new Set(values.filter((v) => v.length >= MIN_SECRET_LENGTH))].sort(
    (a, b) => b.length - a.length,
  );
  if (secrets.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join('[masked]');
    return out;
  };
}

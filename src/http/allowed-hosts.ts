import { hostname, networkInterfaces } from 'node:os';

/** Always allowed: the loopback names (a browser on this machine). */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1'] as const;

const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '[::]', '']);

/** Pure: the host name of a Host header value (`a.b:8500` → `a.b`, `[::1]:80` → `::1`). */
export function hostName(value: string): string {
  const v = value.trim().toLowerCase();
  if (v.startsWith('[')) return v.slice(1, v.indexOf(']') === -1 ? undefined : v.indexOf(']'));
  const colon = v.indexOf(':');
  // Two or more colons without brackets: a bare IPv6 address.
  if (colon !== -1 && v.indexOf(':', colon + 1) !== -1) return v;
  return colon === -1 ? v : v.slice(0, colon);
}

/** Pure: whether a Host header names an allowed host (`*` in the list allows any). */
export function hostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  if (host === undefined || host === '') return false;
  return allowed.includes(hostName(host));
}

/** Pure: whether an Origin header (absent is fine: not a browser's cross-site request) is allowed. */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined || allowed.includes('*')) return true;
  try {
    return allowed.includes(hostName(new URL(origin).host));
  } catch {
    return false;
  }
}

/**
 * The Host allowlist: `ORCH_ALLOWED_HOSTS` (CSV of names, `*` for any) when set, else the
 * loopback names plus the bind address — and for a wildcard bind (0.0.0.0, ::) this machine's
 * host name and interface addresses.
 */
export function allowedHostsFor(env: { ORCH_ALLOWED_HOSTS?: string; ORCH_HOST: string }): string[] {
  const configured = (env.ORCH_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .map((h) => (h === '*' ? h : hostName(h)));
  if (configured.length > 0) return [...new Set(configured)];
  const out = new Set<string>(LOOPBACK_HOSTS);
  const bind = env.ORCH_HOST.trim().toLowerCase();
  if (!WILDCARD_BINDS.has(bind)) {
    out.add(hostName(bind));
    return [...out];
  }
  out.add(hostname().toLowerCase());
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) out.add(a.address.toLowerCase());
  }
  return [...out];
}

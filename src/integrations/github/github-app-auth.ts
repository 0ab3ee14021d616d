import { createPrivateKey, sign, type KeyObject } from 'node:crypto';

/** A GitHub App's JWT lives at most 10 minutes; iat is set 60 s back against clock drift. */
const JWT_BACKDATE_S = 60;
const JWT_LIFETIME_S = 540;
/** An installation token (1 h) is replaced when less than this is left of it. */
export const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

/** Reads a PEM private key once (PKCS#1 "RSA PRIVATE KEY", as GitHub issues them, or PKCS#8). */
export function appPrivateKey(pem: string): KeyObject {
  return createPrivateKey({ key: pem.replace(/\\n/g, '\n'), format: 'pem' });
}

/**
 * The RS256 JWT a GitHub App authenticates as itself with (`Authorization: Bearer <jwt>`):
 * `iss` = app id, `iat` = now − 60 s, `exp` = iat + 9 min (GitHub refuses more than 10 minutes).
 */
export function appJwt(appId: string, key: KeyObject, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000) - JWT_BACKDATE_S;
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify({ iat, exp: iat + JWT_LIFETIME_S, iss: appId }));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${base64url(signature)}`;
}

export interface InstallationToken {
  token: string;
  expiresAtMs: number;
}

/** True when a cached installation token must be replaced before use. Pure. */
export function needsRefresh(token: InstallationToken | undefined, nowMs: number): boolean {
  return token === undefined || token.expiresAtMs - nowMs < TOKEN_REFRESH_MARGIN_MS;
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { headerValue, type WebhookHeaders } from './headers.js';

export const WEBHOOK_SOURCES = ['plane', 'gitea', 'github'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

export type SignatureCheck =
  { kind: 'valid'; header: string } | { kind: 'missing' } | { kind: 'invalid'; header: string };

/**
 * Headers that may carry a signature, in the order they are tried, and the prefix their value
 * has. Plane: bare lower-case hex. Gitea: bare hex in `X-Gitea-Signature` (and its Gogs and
 * Forgejo twins), `sha256=<hex>` in `X-Hub-Signature-256`. GitHub: `sha256=<hex>` in
 * `X-Hub-Signature-256` only. The SHA-1 `X-Hub-Signature` is never accepted.
 */
const SIGNATURE_HEADERS: Record<WebhookSource, readonly { name: string; prefix: string }[]> = {
  plane: [{ name: 'x-plane-signature', prefix: '' }],
  gitea: [
    { name: 'x-gitea-signature', prefix: '' },
    { name: 'x-forgejo-signature', prefix: '' },
    { name: 'x-gogs-signature', prefix: '' },
    { name: 'x-hub-signature-256', prefix: 'sha256=' },
  ],
  github: [{ name: 'x-hub-signature-256', prefix: 'sha256=' }],
};

/** Lower-case hex HMAC-SHA256 of `body` keyed with the whole secret string (UTF-8). */
export function hmacSha256Hex(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Checks a webhook signature over the RAW body bytes — never over a re-serialisation: Plane
 * signs Python `json.dumps` output (`", "` separators, `\uXXXX` escapes) and Gitea signs its
 * pretty-printed JSON, and `JSON.stringify` reproduces neither. Pure; constant-time compare.
 * The first signature header present decides; a malformed value is `invalid`.
 */
export function verifySignature(input: {
  source: WebhookSource;
  headers: WebhookHeaders;
  rawBody: Buffer;
  secret: string;
}): SignatureCheck {
  const expected = Buffer.from(hmacSha256Hex(input.secret, input.rawBody), 'hex');
  for (const { name, prefix } of SIGNATURE_HEADERS[input.source]) {
    const value = headerValue(input.headers, name);
    if (value === null) continue;
    const hex = value.toLowerCase().startsWith(prefix) ? value.slice(prefix.length) : '';
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) return { kind: 'invalid', header: name };
    const given = Buffer.from(hex, 'hex');
    return timingSafeEqual(given, expected)
      ? { kind: 'valid', header: name }
      : { kind: 'invalid', header: name };
  }
  return { kind: 'missing' };
}

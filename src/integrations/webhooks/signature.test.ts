import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pythonJsonDumps } from '../../../test/helpers/stubs/webhook-deliveries.js';
import { hmacSha256Hex, verifySignature } from './signature.js';

const FIXTURES = new URL('../../../../shared/fixtures/', import.meta.url);

/** A Plane v1 payload with non-ASCII text, quotes, a newline and a slash. */
const PLANE_PAYLOAD = {
  event: 'issue',
  action: 'created',
  webhook_id: '5d1a8e0c-3f2b-4a6e-9c1d-7e8f9a0b1c2d',
  workspace_id: 'c467e125-59e3-44ec-b5ee-f9c1e138c611',
  data: {
    id: '9a28bd00-ed9c-4f5d-8be9-fc05cbb1fc57',
    name: 'Export café report ✓ 🚀',
    description_html: '<p>Line "one"\nLine/two</p>',
    project: '22b6fc9c-1849-45da-b103-52a3e3a6b4c1',
    sequence_id: 12,
    labels: [{ id: 'l1', name: 'bug' }],
    state: null,
    is_draft: false,
  },
  activity: {
    field: null,
    new_value: null,
    old_value: null,
    actor: { id: '6bb20d1c-4960-41ca-af4f-cee01de160c4', display_name: 'Zoë' },
    old_identifier: null,
    new_identifier: null,
  },
};
const PLANE_SECRET = 'plane_wh_0123456789abcdef0123456789abcdef';
/** Computed with CPython 3: hmac.new(secret, json.dumps(payload).encode(), sha256).hexdigest(). */
const PLANE_PY_HMAC = '7e66558d2991bde090f7b66af3ed8f3a70482de520eeac4e19ccd55f061d958d';

describe('verifySignature', () => {
  it("reproduces Python json.dumps bytes and Plane's HMAC computed by CPython", () => {
    const body = pythonJsonDumps(PLANE_PAYLOAD);
    expect(body).toContain('"name": "Export caf\\u00e9 report \\u2713 \\ud83d\\ude80"');
    expect(body).toContain('"description_html": "<p>Line \\"one\\"\\nLine/two</p>"');
    expect(body.startsWith('{"event": "issue", "action": "created", ')).toBe(true);
    expect(hmacSha256Hex(PLANE_SECRET, Buffer.from(body))).toBe(PLANE_PY_HMAC);
    const check = verifySignature({
      source: 'plane',
      headers: { 'x-plane-signature': PLANE_PY_HMAC },
      rawBody: Buffer.from(body),
      secret: PLANE_SECRET,
    });
    expect(check).toEqual({ kind: 'valid', header: 'x-plane-signature' });
  });

  it('rejects a Plane signature checked against a JSON.stringify re-serialisation', () => {
    const reserialized = Buffer.from(JSON.stringify(PLANE_PAYLOAD));
    const check = verifySignature({
      source: 'plane',
      headers: { 'X-Plane-Signature': PLANE_PY_HMAC },
      rawBody: reserialized,
      secret: PLANE_SECRET,
    });
    expect(check.kind).toBe('invalid');
  });

  it("verifies Gitea's pretty-printed body over the raw bytes, in both header forms", () => {
    const raw = readFileSync(new URL('gitea/woodpecker/HookPush.json', FIXTURES));
    // Computed with CPython 3 over the file bytes, key "gitea-secret".
    const hex = '0a1913db85514b83a26b83537fc99e6702c8f61e803fbeb9e114be175d4d480e';
    const gitea = { source: 'gitea', rawBody: raw, secret: 'gitea-secret' } as const;
    expect(verifySignature({ ...gitea, headers: { 'x-gitea-signature': hex } }).kind).toBe('valid');
    expect(
      verifySignature({ ...gitea, headers: { 'x-hub-signature-256': `sha256=${hex}` } }).kind,
    ).toBe('valid');
    expect(verifySignature({ ...gitea, headers: { 'x-hub-signature-256': hex } }).kind).toBe(
      'invalid',
    );
    const compact = Buffer.from(JSON.stringify(JSON.parse(raw.toString('utf8'))));
    expect(
      verifySignature({ ...gitea, rawBody: compact, headers: { 'x-gitea-signature': hex } }).kind,
    ).toBe('invalid');
  });

  it('reports a missing signature, and a malformed or wrong one as invalid', () => {
    const base = { source: 'gitea', rawBody: Buffer.from('{}'), secret: 's' } as const;
    expect(verifySignature({ ...base, headers: {} })).toEqual({ kind: 'missing' });
    expect(verifySignature({ ...base, headers: { 'x-gitea-signature': '' } })).toEqual({
      kind: 'missing',
    });
    expect(verifySignature({ ...base, headers: { 'x-gitea-signature': 'zz' } }).kind).toBe(
      'invalid',
    );
    const wrongKey = hmacSha256Hex('other', Buffer.from('{}'));
    expect(verifySignature({ ...base, headers: { 'x-gitea-signature': wrongKey } }).kind).toBe(
      'invalid',
    );
    // A Plane delivery is never accepted on a Gitea header name, and vice versa.
    const right = hmacSha256Hex('s', Buffer.from('{}'));
    expect(
      verifySignature({ ...base, source: 'plane', headers: { 'x-gitea-signature': right } }).kind,
    ).toBe('missing');
  });

  it('accepts upper-case hex and array-valued headers', () => {
    const body = Buffer.from('{"a": 1}');
    const hex = hmacSha256Hex('k', body).toUpperCase();
    const check = verifySignature({
      source: 'plane',
      headers: { 'x-plane-signature': [hex] },
      rawBody: body,
      secret: 'k',
    });
    expect(check.kind).toBe('valid');
  });
});

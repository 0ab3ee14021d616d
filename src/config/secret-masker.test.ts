import { describe, expect, it } from 'vitest';
import { maskDeep, pemSecretLines, secretMasker, secretValues } from './secret-masker.js';

describe('secret masker', () => {
  const mask = secretMasker(['tok-1234567', 'postgres://u:pw123456@h/db', 'pw123456']);

  it('masks a URL whole rather than around its password', () => {
    expect(mask('url postgres://u:pw123456@h/db and pw123456')).toBe('url [masked] and [masked]');
  });

  it('ignores values too short to be secrets', () => {
    expect(secretMasker(['abc'])('abc abc')).toBe('abc abc');
    expect(secretValues({ ORCH_ADMIN_TOKEN: 'short', ORCH_GITEA_TOKEN: 'long-enough' })).toEqual([
      'long-enough',
    ]);
  });

  it('masks the GitHub token, webhook secret and every line of the App key', () => {
    const pem =
      '-----BEGIN RSA PRIVATE KEY-----\\nAAAAline1xyz\\nBBBBline2xyz\\n-----END RSA PRIVATE KEY-----';
    expect(pemSecretLines(pem)).toEqual(['AAAAline1xyz', 'BBBBline2xyz']);
    const values = secretValues({
      ORCH_GITHUB_TOKEN: 'ghp_0123456789',
      ORCH_GITHUB_WEBHOOK_SECRET: 'hook-secret-0123456789',
      ORCH_GITHUB_APP_PRIVATE_KEY: pem,
    });
    const masked = secretMasker(values)('ghp_0123456789 hook-secret-0123456789 BBBBline2xyz');
    expect(masked).toBe('[masked] [masked] [masked]');
  });

  it('maskDeep masks every string of a structure and keeps the rest', () => {
    const event = {
      type: 'task_blocked',
      taskId: 7,
      ok: true,
      none: null,
      message: 'git said tok-1234567',
      detail: { lines: ['a tok-1234567 b', 3], quote: '"tok-1234567"' },
    };
    expect(maskDeep(event, mask)).toEqual({
      type: 'task_blocked',
      taskId: 7,
      ok: true,
      none: null,
      message: 'git said [masked]',
      detail: { lines: ['a [masked] b', 3], quote: '"[masked]"' },
    });
    expect(event.message).toBe('git said tok-1234567');
  });
});

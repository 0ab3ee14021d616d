import { describe, expect, it } from 'vitest';
import { maskDeep, secretMasker, secretValues } from './secret-masker.js';

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

import { describe, expect, it } from 'vitest';
import { TELEGRAM_MAX_TEXT, truncateForTelegram } from './telegram-format.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('truncateForTelegram', () => {
  it('leaves a message within the limit alone', () => {
    expect(truncateForTelegram('short 😀')).toBe('short 😀');
  });

  it('never cuts an emoji (a UTF-16 surrogate pair) in half', () => {
    for (let pad = 4090; pad <= 4096; pad++) {
      const out = truncateForTelegram('a'.repeat(pad) + '😀'.repeat(10));
      expect(out.length).toBeLessThanOrEqual(TELEGRAM_MAX_TEXT);
      expect(out.endsWith('…')).toBe(true);
      expect(LONE_SURROGATE.test(out)).toBe(false);
    }
  });

  it('never separates a letter from its combining accent', () => {
    const text = 'x'.repeat(4094) + 'e\u0301'.repeat(5);
    const out = truncateForTelegram(text);
    expect(out).toBe(`${'x'.repeat(4094)}…`);
  });
});

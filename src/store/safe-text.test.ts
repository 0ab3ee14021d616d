import { describe, expect, it } from 'vitest';
import { isSafeText, toSafeText } from './safe-text.js';

describe('toSafeText', () => {
  it('replaces NUL bytes and lone surrogates, and leaves safe text and pairs as they are', () => {
    const made = toSafeText('a\0b \udc00 \ud83d end 😀');
    expect(made).toBe('a\ufffdb \ufffd \ufffd end 😀');
    expect(isSafeText(made)).toBe(true);
    expect(toSafeText('plain')).toBe('plain');
  });
});

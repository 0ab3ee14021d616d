/**
 * Masks a secret for reports, logs and comments (spec §6.4): values of 8 code points or fewer
 * become `****`; longer ones keep their first 4 and last 2 code points around `…` (U+2026).
 */
export function maskSecret(value: string | null | undefined): string {
  const chars = Array.from((value ?? '').trim());
  if (chars.length <= 8) return '****';
  return `${chars.slice(0, 4).join('')}…${chars.slice(-2).join('')}`;
}

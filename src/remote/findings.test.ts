import { describe, expect, it } from 'vitest';
import { normalizeFinding, normalizeSeverity } from './findings.js';

describe('normalizeSeverity', () => {
  it('maps aliases case-insensitively and moderate to medium', () => {
    expect(normalizeSeverity('CRITICAL')).toBe('critical');
    expect(normalizeSeverity(' Moderate ')).toBe('medium');
    expect(normalizeSeverity('ERROR')).toBe('high');
    expect(normalizeSeverity('informational')).toBe('info');
    expect(normalizeSeverity('low')).toBe('low');
  });

  it('maps CVSS-like scores to levels', () => {
    expect(normalizeSeverity(9.8)).toBe('critical');
    expect(normalizeSeverity(7)).toBe('high');
    expect(normalizeSeverity(5.1)).toBe('medium');
    expect(normalizeSeverity(2)).toBe('low');
    expect(normalizeSeverity(0)).toBe('info');
  });

  it('falls back to unknown for anything else', () => {
    expect(normalizeSeverity('spicy')).toBe('unknown');
    expect(normalizeSeverity(undefined)).toBe('unknown');
    expect(normalizeSeverity({})).toBe('unknown');
  });
});

describe('normalizeFinding', () => {
  it('takes the first present alias for every field', () => {
    expect(
      normalizeFinding({
        check_id: 'js.xss',
        level: 'warning',
        message: 'reflected input',
        path: 'src/a.js',
        cwe: ['CWE-79', 'CWE-79'],
      }),
    ).toEqual({
      title: 'js.xss',
      severity: 'medium',
      description: 'reflected input',
      assets: ['src/a.js'],
      tags: ['CWE-79'],
    });
  });

  it('gives an empty finding safe defaults', () => {
    expect(normalizeFinding({})).toEqual({
      title: 'untitled finding',
      severity: 'unknown',
      description: '',
      assets: [],
      tags: [],
    });
  });
});

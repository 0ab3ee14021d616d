import { describe, expect, it } from 'vitest';
import { parseFrontmatter, readVerdict } from './frontmatter.js';

const REVIEW = { positive: ['APPROVED'], negative: ['REQUEST_CHANGES', 'REJECTED'] };

describe('frontmatter', () => {
  it('parses a leading YAML block', () => {
    expect(
      parseFrontmatter('---\ntype: review\nverdict: APPROVED\nversion: 2\n---\n# Review\n'),
    ).toEqual({
      kind: 'ok',
      data: { type: 'review', verdict: 'APPROVED', version: 2 },
    });
  });

  it('reports a file without frontmatter as missing', () => {
    expect(parseFrontmatter('# Review\nverdict: APPROVED\n').kind).toBe('missing');
    expect(parseFrontmatter('text\n---\nverdict: APPROVED\n---\n').kind).toBe('missing');
  });

  it('reports invalid YAML or a non-mapping as broken', () => {
    expect(parseFrontmatter('---\nverdict: [APPROVED\n---\n').kind).toBe('broken');
    expect(parseFrontmatter('---\n- a\n- b\n---\n').kind).toBe('broken');
  });
});

describe('readVerdict', () => {
  const fm = (v: string) => parseFrontmatter(`---\nverdict: ${v}\n---\n`);

  it('accepts a positive token and rejects a negative one', () => {
    expect(readVerdict(fm('APPROVED'), 'verdict', REVIEW)).toEqual({
      kind: 'positive',
      value: 'APPROVED',
    });
    expect(readVerdict(fm('request_changes'), 'verdict', REVIEW)).toEqual({
      kind: 'negative',
      value: 'REQUEST_CHANGES',
    });
  });

  it('lets a negative token win over a positive one', () => {
    expect(readVerdict(fm('"APPROVED / REQUEST_CHANGES"'), 'verdict', REVIEW).kind).toBe(
      'negative',
    );
  });

  it('reads a negated positive as negative: an agent writing "NOT APPROVED" never passes', () => {
    for (const v of ['NOT APPROVED', 'not approved', '"APPROVED? no"', 'NEVER APPROVED']) {
      expect(readVerdict(fm(v), 'verdict', REVIEW).kind, v).toBe('negative');
    }
    expect(readVerdict(fm('NOTAPPROVED'), 'verdict', REVIEW).kind).toBe('invalid');
    expect(readVerdict(fm('NOT_APPROVED'), 'verdict', REVIEW).kind).toBe('invalid');
  });

  it('treats a missing field, an unknown value or a list as invalid', () => {
    expect(readVerdict(parseFrontmatter('---\ntype: review\n---\n'), 'verdict', REVIEW).kind).toBe(
      'invalid',
    );
    expect(readVerdict(fm('LGTM'), 'verdict', REVIEW).kind).toBe('invalid');
    expect(readVerdict(fm('[APPROVED]'), 'verdict', REVIEW).kind).toBe('invalid');
    expect(readVerdict(parseFrontmatter('no frontmatter'), 'verdict', REVIEW)).toMatchObject({
      kind: 'invalid',
    });
  });
});

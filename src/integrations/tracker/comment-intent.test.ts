import { describe, expect, it } from 'vitest';
import { interpretComment, isApprover } from './comment-intent.js';

const ann = { ids: ['u-ann', 'ann', 'Ann Lee'] };
const eve = { ids: ['u-eve', null] };
const APPROVERS = ['ANN'];

describe('interpretComment', () => {
  it('reads :approved: from an approver as approval', () => {
    expect(interpretComment('Looks good :approved:', ann, APPROVERS)).toEqual({
      kind: 'approval',
      text: 'Looks good :approved:',
    });
  });

  it('does not let a non-approver approve or reject', () => {
    expect(interpretComment(':approved:', eve, APPROVERS)).toMatchObject({
      kind: 'unauthorized',
      wanted: 'approval',
    });
    expect(interpretComment('REJECT: no', eve, APPROVERS)).toMatchObject({
      kind: 'unauthorized',
      wanted: 'rejection',
    });
    expect(interpretComment(':approved:', ann, [])).toMatchObject({ kind: 'unauthorized' });
  });

  it('reads a STOP line or :stop: from an approver as stop, winning over every other token', () => {
    expect(interpretComment('STOP: wrong repository', ann, APPROVERS)).toEqual({
      kind: 'stop',
      reason: 'wrong repository',
    });
    expect(interpretComment('Hm.\nSTOP', ann, APPROVERS)).toEqual({ kind: 'stop', reason: 'Hm.' });
    expect(interpretComment(':approved: :stop: wait', ann, APPROVERS)).toMatchObject({
      kind: 'stop',
    });
    expect(interpretComment('STOP', eve, APPROVERS)).toMatchObject({
      kind: 'unauthorized',
      wanted: 'stop',
    });
    // Only the upper-case word at a line start: prose is an answer.
    expect(interpretComment('please stop adding tests', ann, APPROVERS).kind).toBe('answer');
    expect(interpretComment('Stopwatch is wrong', ann, APPROVERS).kind).toBe('answer');
  });

  it('reads :rejected:, a REJECT line and a Rejected: line as rejection with the reason', () => {
    expect(interpretComment(':rejected: the BRD misses exports', ann, APPROVERS)).toEqual({
      kind: 'rejection',
      reason: 'the BRD misses exports',
    });
    expect(interpretComment('Thanks.\nREJECT: scope too wide', ann, APPROVERS)).toEqual({
      kind: 'rejection',
      reason: 'Thanks.\nscope too wide',
    });
    expect(interpretComment('rejected: wrong API', ann, APPROVERS)).toEqual({
      kind: 'rejection',
      reason: 'wrong API',
    });
  });

  it('lets rejection win over approval in the same comment', () => {
    expect(interpretComment(':approved: :rejected:', ann, APPROVERS).kind).toBe('rejection');
  });

  it('treats everything else as an answer, including lower-case "reject" prose', () => {
    for (const text of [
      'The export should be CSV.',
      'reject the idea of XLSX?',
      'Rejecting is fine',
    ]) {
      expect(interpretComment(text, ann, APPROVERS)).toEqual({ kind: 'answer', text });
    }
  });

  it('matches approvers by any identifier, case-insensitively', () => {
    expect(isApprover({ ids: ['X', 'ann lee'] }, ['Ann Lee'])).toBe(true);
    expect(isApprover({ ids: [null] }, ['ann'])).toBe(false);
    expect(isApprover(ann, ['  '])).toBe(false);
  });

  it('reads :resume: and /resume from an approver as a resume with the rest as the note', () => {
    expect(interpretComment(':resume: the CI runner is back', ann, APPROVERS)).toEqual({
      kind: 'resume',
      note: 'the CI runner is back',
    });
    expect(interpretComment('/resume\nuse the v2 endpoint', ann, APPROVERS)).toEqual({
      kind: 'resume',
      note: 'use the v2 endpoint',
    });
    expect(interpretComment(':resume:', { ids: ['eve'] }, APPROVERS)).toMatchObject({
      kind: 'unauthorized',
      wanted: 'resume',
    });
    expect(interpretComment('please do not /resume yet', ann, APPROVERS).kind).toBe('answer');
  });
});

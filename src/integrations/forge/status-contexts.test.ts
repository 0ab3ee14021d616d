import { describe, expect, it } from 'vitest';
import { gateCommitStatus, mergeHeadStatuses, statusContextOf } from './status-contexts.js';

describe('status contexts', () => {
  it('publishes gates under orch/tests, orch/review and orch/security, others not at all', () => {
    expect(statusContextOf('check_tests_local')).toBe('orch/tests');
    expect(statusContextOf('check_tests_passed')).toBe('orch/tests');
    expect(statusContextOf('check_reviewer_verdict')).toBe('orch/review');
    expect(statusContextOf('security_gate')).toBe('orch/security');
    expect(statusContextOf('merge_gate')).toBeNull();
    expect(gateCommitStatus({ gate: 'security_gate', passed: false, reason: '1 high' })).toEqual({
      context: 'orch/security',
      state: 'failure',
      description: 'security_gate: 1 high',
    });
  });

  it('vouches on the merge head only for contexts whose gates passed', () => {
    const s = mergeHeadStatuses(['check_tests_local', 'check_reviewer_verdict'], false);
    expect(s.map((x) => [x.context, x.state])).toEqual([
      ['orch/tests', 'success'],
      ['orch/review', 'success'],
    ]);
    expect(mergeHeadStatuses(['security_gate'], true).map((x) => x.context)).toEqual([
      'orch/tests',
      'orch/security',
    ]);
  });
});

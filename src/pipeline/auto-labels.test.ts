import { describe, expect, it } from 'vitest';
import { autoApproveLabel, labelsApply, trackForLabels } from './auto-labels.js';

const TRACKS = { full: ['analysis'], bug: ['analysis'], docs: ['analysis'] };
const RULES = {
  tracks: { Bug: 'bug', defect: 'bug', docs: 'docs', ghost: 'nope' },
  autoApprove: ['Trivial'],
};

describe('label auto-mode', () => {
  it('routes by the first label with a rule for an existing track, case-insensitively', () => {
    expect(trackForLabels(RULES, ['ui', 'DEFECT', 'docs'], TRACKS)).toEqual({
      track: 'bug',
      label: 'DEFECT',
    });
    expect(trackForLabels(RULES, ['docs'], TRACKS)).toEqual({ track: 'docs', label: 'docs' });
    expect(trackForLabels(RULES, ['ghost'], TRACKS)).toBeNull();
    expect(trackForLabels(RULES, [], TRACKS)).toBeNull();
  });

  it('finds an auto-approve label', () => {
    expect(autoApproveLabel(RULES, ['ui', 'trivial'])).toBe('trivial');
    expect(autoApproveLabel(RULES, ['ui'])).toBeNull();
    expect(autoApproveLabel({ tracks: {}, autoApprove: [] }, ['trivial'])).toBeNull();
  });

  it('applies only when switched on and the repository is in scope', () => {
    expect(labelsApply({ enabled: true, repos: [] }, 'app')).toBe(true);
    expect(labelsApply({ enabled: true, repos: ['api'] }, 'app')).toBe(false);
    expect(labelsApply({ enabled: true, repos: ['api', 'app'] }, 'app')).toBe(true);
    expect(labelsApply({ enabled: false, repos: [] }, 'app')).toBe(false);
  });
});

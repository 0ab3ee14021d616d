import { describe, expect, it } from 'vitest';
import { describeJobFailure } from './job-failures.js';

const job = (o: Partial<Parameters<typeof describeJobFailure>[0]> = {}) => ({
  kind: 'developer',
  status: 'failed' as const,
  attempts: 2,
  transientAttempts: 0,
  error: 'exit code 1: boom (run_id=12)',
  ...o,
});

describe('describeJobFailure', () => {
  it('says who failed, after how many attempts, and why, without the run id', () => {
    expect(describeJobFailure(job())).toBe('developer failed after 2 attempts: exit code 1: boom');
    expect(describeJobFailure(job({ attempts: 1 }))).toBe(
      'developer failed after 1 attempt: exit code 1: boom',
    );
  });

  it('reads a timeout as a timeout', () => {
    expect(describeJobFailure(job({ error: 'timed out after 1800 s (run_id=3)' }))).toBe(
      'developer timed out after 1800 s',
    );
  });

  it('gives an exhausted budget as the reason itself, with its figures', () => {
    const error = 'budget exhausted: item spent $1.20 of $1.00';
    expect(describeJobFailure(job({ attempts: 1, error }))).toBe(error);
  });

  it('counts retries after temporary errors', () => {
    const d = describeJobFailure(
      job({ attempts: 1, transientAttempts: 3, error: 'API error 529: overloaded' }),
    );
    expect(d).toBe(
      'developer failed after 1 attempt and 3 retries after temporary errors: API error 529: overloaded',
    );
  });

  it('names an agent that cannot run, and a cancelled job', () => {
    expect(describeJobFailure(job({ error: 'claude not found on PATH' }))).toBe(
      'developer cannot run: claude not found on PATH',
    );
    expect(describeJobFailure(job({ status: 'cancelled', error: 'cancelled by operator' }))).toBe(
      'developer job was cancelled: cancelled by operator',
    );
    expect(describeJobFailure(job({ error: null }))).toBe(
      'developer failed after 2 attempts: no error recorded',
    );
  });
});

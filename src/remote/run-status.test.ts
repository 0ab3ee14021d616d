import { describe, expect, it } from 'vitest';
import { deriveRunStatus, runFinalEvent } from './run-status.js';

describe('deriveRunStatus', () => {
  it('is queued while no job has started', () => {
    expect(deriveRunStatus(['queued', 'queued'])).toBe('queued');
    expect(deriveRunStatus([])).toBe('queued');
  });

  it('is running while any job is unfinished and some job has started', () => {
    expect(deriveRunStatus(['running', 'queued'])).toBe('running');
    expect(deriveRunStatus(['done', 'queued'])).toBe('running');
    expect(deriveRunStatus(['failed', 'running'])).toBe('running');
  });

  it('completes when every job is done', () => {
    expect(deriveRunStatus(['done', 'done'])).toBe('completed');
  });

  it('fails when every job finished and any failed or was cancelled', () => {
    expect(deriveRunStatus(['done', 'failed'])).toBe('failed');
    expect(deriveRunStatus(['cancelled', 'done'])).toBe('failed');
  });

  it('names the final event only for finished runs', () => {
    expect(runFinalEvent('completed')).toBe('run.completed');
    expect(runFinalEvent('failed')).toBe('run.failed');
    expect(runFinalEvent('running')).toBeNull();
  });
});

import { expect, it, describe } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { detectLesson, lessonObserver } from '../../src/pipeline/lesson-detectors.js';
import type { Task } from '../../src/pipeline/task.js';
import { LessonStore } from '../../src/store/lessons/lesson-store.js';
import { describeEachDialect } from '../helpers/test-db.js';

/**
 * Lessons journal auto-detectors (issue 17, ORCH-098): which committed changes teach a lesson,
 * and the dedup window that keeps one flapping gate from filling the journal.
 */
const red = (gate: string, reason: string, retryAfterMs?: number) => ({
  gate,
  passed: false,
  reason,
  ...(retryAfterMs !== undefined && { retryAfterMs }),
});

describe('detectLesson', () => {
  const task = { stage: 'review' };
  it('a red gate that rolls back or blocks is a gate_failure naming the gate', () => {
    const rollback = { type: 'rollback', message: 'REQUEST_CHANGES from reviewer → development' };
    expect(
      detectLesson(task, rollback, [red('check_reviewer_verdict', 'verdict: REQUEST_CHANGES')]),
    ).toMatchObject({
      lesson_type: 'gate_failure',
      stage: 'review',
      root_cause: 'check_reviewer_verdict: verdict: REQUEST_CHANGES',
    });
    const blocked = { type: 'blocked', message: 'Tests FAILED; retries exhausted' };
    expect(detectLesson(task, blocked, [red('check_tests_passed', 'result: FAIL')])).toMatchObject({
      lesson_type: 'gate_failure',
    });
  });

  it('a merge held for later is a merge_hold; a job out of transient retries a transient_retry', () => {
    const deferred = { type: 'deferred', message: 'merge_gate: busy; re-check in 30s (1/10)' };
    expect(
      detectLesson({ stage: 'deploy-staging' }, deferred, [
        red('merge_gate', 'merge-lock busy for demo', 30_000),
      ]),
    ).toMatchObject({ lesson_type: 'merge_hold', stage: 'deploy-staging' });
    const exhausted = {
      type: 'blocked',
      message: 'developer failed after 1 attempt and 3 retries after temporary errors: 529',
      detail: { kind: 'developer', transientAttempts: 3 },
    };
    expect(detectLesson({ stage: 'development' }, exhausted, [])).toMatchObject({
      lesson_type: 'transient_retry',
      agent: 'developer',
    });
  });

  it('teaches nothing from ordinary progress or a permanent job failure', () => {
    expect(detectLesson(task, { type: 'stage_changed', message: 'review → testing' }, [])).toBe(
      null,
    );
    const permanent = {
      type: 'blocked',
      message: 'developer failed after 2 attempts: bad',
      detail: { kind: 'developer', transientAttempts: 0 },
    };
    expect(detectLesson(task, permanent, [])).toBe(null);
  });
});

describeEachDialect('automatic lessons in the store', ({ current }) => {
  it('records one lesson per type, item and stage within the dedup window, then another', async () => {
    const clock = new ManualClock();
    const lessons = new LessonStore(current().db, clock);
    const observe = lessonObserver({ lessons, dedupWindowMs: 60_000, log: silentLogger });
    const task = { id: 1, workItemId: 'ET-001', stage: 'review', repo: 'demo' } as Task;
    const rollback = { type: 'rollback', message: 'REQUEST_CHANGES from reviewer' };
    const gates = [red('check_reviewer_verdict', 'verdict: REQUEST_CHANGES')];
    await observe(task, rollback, gates);
    await observe(task, rollback, gates); // the same failure again: deduplicated
    await observe({ ...task, stage: 'testing' }, rollback, gates); // another stage
    await observe({ ...task, id: 2, workItemId: 'ET-002' }, rollback, gates);
    expect(
      (await lessons.list({ type: 'gate_failure' })).map((l) => [l.work_item_id, l.stage]),
    ).toEqual([
      ['ET-002', 'review'],
      ['ET-001', 'testing'],
      ['ET-001', 'review'],
    ]);
    clock.advance(61_000);
    await observe(task, rollback, gates); // past the window: a new lesson
    const all = await lessons.list({ workItem: 'ET-001' });
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({
      source: 'auto',
      lesson_type: 'gate_failure',
      task_id: 1,
      repo: 'demo',
      root_cause: 'check_reviewer_verdict: verdict: REQUEST_CHANGES',
    });
    const summary = await lessons.summary();
    expect(summary).toMatchObject({ total: 4, open: 4, auto: 4, byType: { gate_failure: 4 } });
    expect(summary.recent[0]).toMatchObject({ work_item_id: 'ET-001', source: 'auto' });
    // A manual lesson is never deduplicated against automatic ones.
    await lessons.record({ lesson_type: 'gate_failure', work_item_id: 'ET-001', stage: 'review' });
    expect((await lessons.summary()).auto).toBe(4);
  });
});

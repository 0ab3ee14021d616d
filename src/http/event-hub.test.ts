import { describe, expect, it } from 'vitest';
import { changedRunTasks, EventHub, type HubEvent } from './event-hub.js';
import type { FeedEvent, RunsSnapshot } from '../store/tasks/dashboard-feed-repo.js';

const run = (id: number, taskId: number | null) => ({ id, taskId });

describe('event hub', () => {
  it('names the tasks whose runs started or finished, or none when a run came and went', () => {
    const a: RunsSnapshot = { maxId: 3, running: [run(2, 7), run(3, null)] };
    expect(changedRunTasks(a, { maxId: 4, running: [run(3, null), run(4, 9)] })).toEqual([7, 9]);
    expect(changedRunTasks(a, { maxId: 5, running: [run(2, 7), run(3, null), run(5, 8)] })).toBe(
      null,
    );
  });

  it('fans new entries and changes out to every listener, from the cursor on', async () => {
    const rows: FeedEvent[] = [1, 2].map((id) => ({
      id,
      taskId: 1,
      workItemId: 'T-001',
      type: 'created',
      stage: 'created',
      atMs: id,
    }));
    let jobs: Record<string, number> = { queued: 1 };
    let runs: RunsSnapshot = { maxId: 0, running: [] };
    const hub = new EventHub({
      pollMs: 60_000,
      feed: {
        latestEventId: () => Promise.resolve(Math.max(0, ...rows.map((r) => r.id))),
        eventsAfter: (after, limit) =>
          Promise.resolve(rows.filter((r) => r.id > after).slice(0, limit)),
        runsSnapshot: () => Promise.resolve(runs),
        jobCounts: () => Promise.resolve(jobs),
      },
    });
    const a: HubEvent[] = [];
    const b: HubEvent[] = [];
    const sa = await hub.subscribe((e) => a.push(e));
    const sb = await hub.subscribe((e) => b.push(e));
    expect([sa.cursor, sb.cursor]).toEqual([2, 2]);
    await hub.runOnce();
    expect(a).toEqual([]);
    rows.push({ ...rows[0]!, id: 4, type: 'job_enqueued' });
    jobs = { queued: 2 };
    runs = { maxId: 1, running: [run(1, 1)] };
    await hub.runOnce();
    // A lower id committed late (PostgreSQL) is still sent, once.
    rows.push({ ...rows[0]!, id: 3, type: 'comment' });
    await hub.runOnce();
    await hub.runOnce();
    const kinds = (l: HubEvent[]) =>
      l.map((e) => (e.kind === 'task' ? `task ${e.event.id}` : e.kind));
    expect(kinds(a)).toEqual(['task 4', 'runs', 'jobs', 'task 3']);
    expect(kinds(b)).toEqual(kinds(a));
    sa.unsubscribe();
    sb.unsubscribe();
    expect(hub.listeners).toBe(0);
    hub.stop();
  });
});

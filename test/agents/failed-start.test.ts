import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import type { Db, Dialect } from '../../src/store/db.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { processGone } from '../helpers/processes.js';
import { fakeRole, makeHarness, type Harness } from './agent-harness.js';

/** Every process whose environment carries `marker` (zombies have none). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(+entry);
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return pids;
}

/** Makes `AgentRunStore.markStarted` (the first write after the spawn) fail in the database. */
async function failMarkStarted(db: Db, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') {
    await db.exec(`-- test: the run's pid cannot be recorded
      create trigger fail_mark_started before update of pid on agent_runs
      when new.pid is not null begin select raise(abort, 'injected: pid not recorded'); end`);
    return;
  }
  await db.exec(`-- test: the run's pid cannot be recorded
    create function fail_mark_started() returns trigger language plpgsql as $$
    begin raise exception 'injected: pid not recorded'; end $$;
    create trigger fail_mark_started before update of pid on agent_runs
    for each row when (new.pid is not null) execute function fail_mark_started()`);
}

describeEachDialect('agent runner, failure after the spawn', ({ current, dialect }) => {
  let h: Harness | undefined;
  afterEach(() => h?.cleanup());

  it('kills the agent process group when the run cannot be recorded after the spawn', async () => {
    const marker = `ORCH_TEST_MARKER_${randomUUID().replaceAll('-', '_')}`;
    // hang_mid never ends by itself and starts a grandchild (`sleep 1000`) in its group.
    const role = fakeRole('hang_mid', { env: { FAKE_SCENARIO: 'hang_mid', [marker]: '1' } });
    h = makeHarness(current().db, {
      agents: {
        defaults: { killGraceS: 0.3, idleTimeoutS: 30, timeoutS: 60 },
        roles: { developer: role },
      },
    });
    await failMarkStarted(current().db, dialect);
    const { job } = await h.enqueue('developer', {}, { maxAttempts: 1 });
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('injected: pid not recorded') as string,
    });
    for (const pid of processesWith(marker)) expect(await processGone(pid)).toBe(true);
    expect(processesWith(marker)).toEqual([]);
  });
});

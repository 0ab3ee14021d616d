import { expect, it } from 'vitest';
import { runChaos } from '../../bench/chaos/chaos-run.js';

/**
 * The short chaos run (issue #6): 6 work items through the whole pipeline with real scripted
 * agent processes while `orch serve` — a real child process — is killed with SIGKILL twice and
 * restarted. SQLite only here (~70 s); `npm run chaos` runs the long form on both stores.
 */
it('survives kill -9 of orch serve: every item ends done, no job lost, no side effect twice', async () => {
  const r = await runChaos({
    dbUrl: '',
    items: 6,
    kills: 2,
    concurrency: 4,
    killGapMs: [3_000, 8_000],
    timeoutMs: 170_000,
    cli: 'bundle',
  });
  expect(r.kills).toBe(2);
  const c = r.checks;
  expect(c.unfinished).toEqual([]);
  expect(c.liveJobs).toBe(0);
  expect(c.duplicateAttempts).toEqual([]);
  expect(c.doubleMerges).toEqual([]);
  expect(c.duplicateAdvances).toEqual([]);
  expect(c.unmergedDone).toEqual([]);
  expect(c.done + c.blocked.length + c.cancelled).toBe(6);
  for (const b of c.blocked) expect(b.reason).toBeTruthy();
  expect(c.ok).toBe(true);
}, 180_000);

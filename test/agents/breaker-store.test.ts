import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { BreakerStore } from '../../src/queue/breaker-store.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { makeQueue } from '../helpers/queue.js';

const POLICY = { threshold: 3, pauseMs: 300_000 };

describeEachDialect('breaker store', ({ current }) => {
  const setup = () => {
    const clock = new ManualClock();
    const { queue } = makeQueue(current().db, clock);
    return {
      clock,
      queue,
      a: new BreakerStore(current().db, clock, POLICY),
      b: new BreakerStore(current().db, clock, POLICY),
    };
  };

  async function open(store: BreakerStore) {
    for (let i = 0; i < 3; i++) await store.record('developer', 'transient');
  }

  it('shares state between replicas and writes nothing for successes of a healthy kind', async () => {
    const { a, b } = setup();
    await a.record('developer', 'success');
    expect(await a.list()).toEqual([]);
    await open(a);
    expect(await b.get('developer')).toMatchObject({ state: 'open', consecutiveTransient: 3 });
    expect(await b.gates()).toEqual({ blocked: ['developer'], probe: [] });
    expect(await b.snapshot()).toEqual({
      breakers: [
        { kind: 'developer', state: 'open', consecutiveTransient: 3, pauseRemainingS: 300 },
      ],
      pauses: [],
    });
  });

  it('gives the probe slot to exactly one replica, and frees it when its job is gone', async () => {
    const { clock, queue, a, b } = setup();
    await open(a);
    clock.advance(300_000);
    const gate = (await a.gates()).probe[0]!;
    expect(gate).toEqual({ kind: 'developer', expectProbeJobId: null });
    expect(await a.reserveProbe('developer', gate.expectProbeJobId)).toBe(true);
    expect(await b.reserveProbe('developer', gate.expectProbeJobId)).toBe(false);
    expect((await b.gates()).probe).toEqual([]);

    const { job } = await queue.enqueue({ kind: 'developer' });
    const [claimed] = await queue.claim({ kinds: ['developer'], leaseMs: 60_000, owner: 'a' });
    await a.settleProbe('developer', claimed!.id);
    expect(await b.get('developer')).toMatchObject({ state: 'half_open', probeJobId: job.id });
    expect((await b.gates()).blocked).toEqual(['developer']);

    // The probe's holder vanished and recovery requeued the job: the slot is free again.
    await queue.snooze(job.id, claimed!.leaseToken!, 0);
    expect((await b.gates()).probe).toEqual([{ kind: 'developer', expectProbeJobId: job.id }]);
    expect(await b.reserveProbe('developer', job.id)).toBe(true);
  });

  it('frees a reservation whose claimer died before recording a job', async () => {
    const { clock, a } = setup();
    await open(a);
    clock.advance(300_000);
    expect(await a.reserveProbe('developer', null)).toBe(true);
    expect((await a.gates()).probe).toEqual([]);
    clock.advance(60_000);
    expect((await a.gates()).probe).toEqual([{ kind: 'developer', expectProbeJobId: 0 }]);
  });

  it('keeps the later of two quota pauses and reports whether a pause started or grew', async () => {
    const { clock, a } = setup();
    const t = clock.now();
    expect(await a.pauseKind('developer', t + 10_000, 'quota')).toBe(true);
    expect(await a.pauseKind('developer', t + 5_000, 'quota')).toBe(false);
    expect(await a.pauseKind('developer', t + 20_000, 'quota')).toBe(true);
    expect(await a.pauses()).toEqual([
      { kind: 'developer', pausedUntilMs: t + 20_000, reason: 'quota' },
    ]);
    expect((await a.gates()).blocked).toEqual(['developer']);
    clock.advance(20_000);
    expect(await a.pauses()).toEqual([]);
  });
});

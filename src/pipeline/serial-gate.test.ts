import { describe, expect, it } from 'vitest';
import { decideGate } from './serial-gate.js';

const holder = (n: number) => ({
  taskId: n,
  workItemId: `ET-00${n}`,
  stage: 'development',
  state: 'active',
});
const waiter = (n: number) => ({ taskId: n, workItemId: `ET-00${n}`, repo: 'trails', sinceMs: 0 });
const freeze = { repo: 'trails', reason: 'deploy degraded', frozenBy: 'bob', frozenAtMs: 0 };

describe('decideGate', () => {
  it('opens below the limit and closes at it, naming who holds it', () => {
    const base = { repo: 'trails', freeze: null, ahead: [] };
    expect(decideGate({ ...base, limit: 1, holders: [] })).toEqual({ open: true });
    expect(decideGate({ ...base, limit: 2, holders: [holder(1)] })).toEqual({ open: true });
    const closed = decideGate({ ...base, limit: 1, holders: [holder(1)] });
    expect(closed).toEqual({
      open: false,
      reason: 'serial gate of trails: ET-001 (development, active) in progress (1 at a time)',
    });
  });

  it('lets items filed earlier and waiting go first', () => {
    const d = decideGate({
      repo: 'trails',
      limit: 2,
      holders: [],
      freeze: null,
      ahead: [waiter(3)],
    });
    expect(d.open).toBe(false);
    expect(!d.open && d.reason).toContain('ET-003 filed earlier');
  });

  it('a freeze closes the gate even of a project that is not serial; no limit otherwise', () => {
    const many = [holder(1), holder(2), holder(3)];
    expect(
      decideGate({ repo: 'trails', limit: null, holders: many, freeze: null, ahead: [] }),
    ).toEqual({
      open: true,
    });
    const frozen = decideGate({ repo: 'trails', limit: null, holders: [], freeze, ahead: [] });
    expect(!frozen.open && frozen.reason).toContain(
      'frozen by bob: deploy degraded (orch repo unfreeze trails)',
    );
  });
});

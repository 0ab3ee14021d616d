import { describe, expect, it } from 'vitest';
import { checkBudget, formatUsd, utcDay } from './budget.js';

const NOW = Date.UTC(2026, 5, 1, 15, 30);
const MIDNIGHT = Date.UTC(2026, 5, 2);

describe('checkBudget', () => {
  it('lets a job launch under every limit and hands on perRunUsd', () => {
    expect(
      checkBudget(
        { perRunUsd: 0.5, perItemUsd: 1, perDayUsd: 10 },
        { itemUsd: 0.8, dayUsd: 9.99 },
        NOW,
      ),
    ).toEqual({ kind: 'ok', perRunUsd: 0.5 });
  });

  it('exhausts an item whose spend reached perItemUsd, with the figures in the reason', () => {
    expect(checkBudget({ perItemUsd: 1 }, { itemUsd: 1.2, dayUsd: 0 }, NOW)).toEqual({
      kind: 'item_exhausted',
      reason: 'budget exhausted: item spent $1.20 of $1.00',
      spentUsd: 1.2,
      limitUsd: 1,
    });
    expect(checkBudget({ perItemUsd: 1 }, { itemUsd: 1, dayUsd: 0 }, NOW).kind).toBe(
      'item_exhausted',
    );
  });

  it('makes a job wait until the next midnight UTC once the day reached perDayUsd', () => {
    expect(checkBudget({ perDayUsd: 5 }, { itemUsd: 0, dayUsd: 5.25 }, NOW)).toEqual({
      kind: 'day_exhausted',
      message: 'daily budget reached ($5.25 of $5.00); waits until 2026-06-02T00:00:00.000Z',
      untilMs: MIDNIGHT,
      spentUsd: 5.25,
      limitUsd: 5,
    });
  });

  it('checks the item first: an exhausted item is Blocked rather than left waiting', () => {
    const b = { perItemUsd: 1, perDayUsd: 1 };
    expect(checkBudget(b, { itemUsd: 2, dayUsd: 2 }, NOW).kind).toBe('item_exhausted');
  });

  it('applies no limit that is not set', () => {
    expect(checkBudget({}, { itemUsd: 1e6, dayUsd: 1e6 }, NOW)).toEqual({
      kind: 'ok',
      perRunUsd: undefined,
    });
  });
});

describe('utcDay and formatUsd', () => {
  it('bounds the UTC day, midnight belonging to the new day', () => {
    expect(utcDay(NOW)).toEqual({ startMs: Date.UTC(2026, 5, 1), endMs: MIDNIGHT });
    expect(utcDay(MIDNIGHT).startMs).toBe(MIDNIGHT);
  });

  it('prints dollars with cents, and small amounts with two significant digits', () => {
    expect([formatUsd(0), formatUsd(0.4), formatUsd(12.345), formatUsd(0.0042)]).toEqual([
      '$0.00',
      '$0.40',
      '$12.35',
      '$0.0042',
    ]);
  });
});

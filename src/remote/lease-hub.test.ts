import { describe, expect, it } from 'vitest';
import type { Job } from '../queue/job.js';
import { distribute, groupKey } from './lease-hub.js';

const job = (id: number) => ({ id }) as Job;

describe('lease hub', () => {
  it('hands claimed jobs out round-robin in arrival order, each waiter up to its max', () => {
    const shares = distribute([job(1), job(2), job(3), job(4), job(5)], [1, 2, 5]);
    expect(shares.map((s) => s.map((j) => j.id))).toEqual([[1], [2, 4], [3, 5]]);
    expect(distribute([job(1)], [2, 1])).toEqual([[job(1)], []]);
    expect(distribute([job(1), job(2)], [1, 1, 1]).map((s) => s.length)).toEqual([1, 1, 0]);
  });

  it('groups requests by tenant, kinds and labels regardless of order', () => {
    const a = groupKey({ tenantId: 't', kinds: ['b', 'a'], labels: ['x'] });
    expect(groupKey({ tenantId: 't', kinds: ['a', 'b'], labels: ['x'] })).toBe(a);
    expect(groupKey({ tenantId: 'u', kinds: ['a', 'b'], labels: ['x'] })).not.toBe(a);
    expect(groupKey({ tenantId: 't', kinds: ['a', 'b'], labels: [] })).not.toBe(a);
  });
});

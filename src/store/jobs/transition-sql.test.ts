import { describe, expect, it } from 'vitest';
import { fromStatusSql, transitionSet } from './transition-sql.js';
import { isOrchError } from '../../errors.js';

describe('job transition SQL', () => {
  it('renders the statuses an event applies to as a filter', () => {
    expect(fromStatusSql('request_cancel')).toBe("status in ('queued', 'running')");
    expect(fromStatusSql('claim', { qualifier: 'j' })).toBe("j.status in ('queued')");
  });

  const ctx = { dialect: 'sqlite', params: { now: '$9', error: '$4' } } as const;

  it('renders a pending cancel as a case that ends the job cancelled with the reason it would have had', () => {
    const set = transitionSet([{ from: 'running', event: 'reap_requeue' }], {
      ...ctx,
      params: { ...ctx.params, result: '$5' },
    });
    expect(set).toContain(
      "status = case when cancel_requested = 1 then 'cancelled' else 'queued' end",
    );
    expect(set).toContain(
      "error = case when cancel_requested = 1 then 'cancelled by operator (was: ' || coalesce(cast($4 as text), 'reap requeue') || ')' else $4 end",
    );
    expect(set).not.toMatch(/cancel_requested = 0/);
    expect(set.endsWith('updated_at_ms = $9')).toBe(true);
  });

  it('writes a plain assignment when no arm differs and leaves unnamed columns alone', () => {
    const set = transitionSet([{ from: 'running', event: 'heartbeat' }], {
      dialect: 'postgres',
      params: { now: '$4', leaseExpiresAtMs: '$5' },
    });
    expect(set.split(',\n    ')).toEqual([
      "status = 'running'",
      'lease_expires_at_ms = $5',
      'heartbeat_at_ms = $4',
      'updated_at_ms = $4',
    ]);
  });

  it('types parameters inside a PostgreSQL case by their column', () => {
    const set = transitionSet([{ from: 'running', event: 'fail_requeue' }], {
      dialect: 'postgres',
      params: {
        now: '$7',
        attempts: '$4',
        transientAttempts: '$5',
        error: '$6',
        availableAtMs: '$10',
      },
    });
    expect(set).toContain(
      'finished_at_ms = case when cancel_requested = 1 then cast($7 as bigint) else cast(null as bigint) end',
    );
  });

  it('refuses to render a transition the table does not allow, a missing parameter or a misplaced default arm', () => {
    const refused = [
      () => transitionSet([{ from: 'done', event: 'claim' }], ctx),
      () => transitionSet([{ from: 'running', event: 'heartbeat' }], ctx),
      () =>
        transitionSet(
          [
            { from: 'running', event: 'lease_expiry_requeue' },
            { from: 'running', event: 'lease_expiry_final' },
          ],
          ctx,
        ),
    ];
    for (const render of refused) {
      let err: unknown;
      try {
        render();
      } catch (e) {
        err = e;
      }
      expect(isOrchError(err, 'INVALID_TRANSITION')).toBe(true);
    }
  });
});

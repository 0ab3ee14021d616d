import { describe, expect, it } from 'vitest';
import { isFinalJobStatus, JOB_STATUSES, type JobStatus } from './job.js';
import {
  fromStatuses,
  JOB_EVENTS,
  JOB_TRANSITIONS,
  transition,
  type JobEvent,
} from './job-transitions.js';

/** Every (status, event) pair the table defines; every other pair must be refused. */
const DEFINED: Record<JobEvent, JobStatus[]> = {
  release: ['queued'],
  claim: ['queued'],
  heartbeat: ['running'],
  attach: ['running'],
  complete: ['running'],
  fail_requeue: ['running'],
  fail_final: ['running'],
  snooze: ['running'],
  holder_cancel: ['running'],
  request_cancel: ['queued', 'running'],
  admin_retry: ['failed', 'cancelled'],
  recover_running: ['running'],
  lease_expiry_requeue: ['running'],
  lease_expiry_final: ['running'],
  reap_requeue: ['running'],
  reap_done: ['running'],
  reap_failed: ['running'],
  fail_unrunnable: ['queued'],
};

const EXPECTED_TO: Record<JobEvent, Partial<Record<JobStatus, JobStatus>>> = {
  release: { queued: 'queued' },
  claim: { queued: 'running' },
  heartbeat: { running: 'running' },
  attach: { running: 'running' },
  complete: { running: 'done' },
  fail_requeue: { running: 'queued' },
  fail_final: { running: 'failed' },
  snooze: { running: 'queued' },
  holder_cancel: { running: 'cancelled' },
  request_cancel: { queued: 'cancelled', running: 'running' },
  admin_retry: { failed: 'queued', cancelled: 'queued' },
  recover_running: { running: 'queued' },
  lease_expiry_requeue: { running: 'queued' },
  lease_expiry_final: { running: 'failed' },
  reap_requeue: { running: 'queued' },
  reap_done: { running: 'done' },
  reap_failed: { running: 'failed' },
  fail_unrunnable: { queued: 'failed' },
};

const PAIRS = JOB_STATUSES.flatMap((from) =>
  JOB_EVENTS.flatMap((event) =>
    [false, true].map((cancelRequested) => ({ from, event, cancelRequested })),
  ),
);

const NULL = { op: 'null' };

describe('job transition table', () => {
  it.each(PAIRS)(
    '$event from $from (cancel pending: $cancelRequested) is defined exactly where the table says',
    ({ from, event, cancelRequested }) => {
      const out = transition(from, event, { cancelRequested });
      if (!DEFINED[event].includes(from)) {
        expect(out).toEqual({ kind: 'refused', reason: `${event} is not allowed from ${from}` });
        return;
      }
      expect(out.kind).toBe('ok');
      if (out.kind !== 'ok') return;
      const spec = JOB_TRANSITIONS[event][from]!;
      const cancels = cancelRequested && spec.pendingCancel === 'cancel';
      expect(out.cancelledByPending).toBe(cancels);
      expect(out.spec.to).toBe(cancels ? 'cancelled' : EXPECTED_TO[event][from]);
    },
  );

  it('changes a final status only through an admin retry', () => {
    for (const { from, event, cancelRequested } of PAIRS) {
      if (!isFinalJobStatus(from)) continue;
      const out = transition(from, event, { cancelRequested });
      const allowed = event === 'admin_retry' && from !== 'done';
      expect(out.kind, `${event} from ${from}`).toBe(allowed ? 'ok' : 'refused');
    }
  });

  it('never puts a job with a pending cancel back to queued, except an admin retry', () => {
    for (const { from, event } of PAIRS) {
      const out = transition(from, event, { cancelRequested: true });
      // `release` moves a queued job's available time only; the claim then cancels it (below).
      if (out.kind === 'refused' || event === 'admin_retry' || from === 'queued') continue;
      expect(out.spec.to, `${event} from ${from}`).not.toBe('queued');
    }
  });

  it('ends a pending cancel cancelled on every requeue path and every maintenance or failure ending', () => {
    const requeues = PAIRS.filter(
      (p) => p.from === 'running' && EXPECTED_TO[p.event].running === 'queued',
    ).map((p) => p.event);
    expect(new Set(requeues)).toEqual(
      new Set([
        'fail_requeue',
        'snooze',
        'recover_running',
        'lease_expiry_requeue',
        'reap_requeue',
      ]),
    );
    for (const event of [
      ...requeues,
      'fail_final',
      'lease_expiry_final',
      'reap_done',
      'reap_failed',
    ] as const) {
      const out = transition('running', event, { cancelRequested: true });
      expect(out).toMatchObject({
        kind: 'ok',
        cancelledByPending: true,
        spec: { to: 'cancelled' },
      });
      if (out.kind !== 'ok') continue;
      expect(out.spec.set).toMatchObject({
        finished_at_ms: { op: 'now' },
        lease_expires_at_ms: NULL,
        error: { op: 'cancel_error' },
      });
    }
    // A legacy queued row with a pending cancel is not claimed either: it ends cancelled.
    expect(transition('queued', 'claim', { cancelRequested: true })).toMatchObject({
      spec: { to: 'cancelled' },
    });
  });

  it('lets only a holder complete, an explicit cancel and the lease-keeping writes proceed past a pending cancel', () => {
    const proceed = JOB_EVENTS.filter((e) =>
      Object.values(JOB_TRANSITIONS[e]).some((s) => s.pendingCancel === 'proceed'),
    );
    expect(proceed).toEqual([
      'release',
      'heartbeat',
      'attach',
      'complete',
      'holder_cancel',
      'request_cancel',
      'admin_retry',
      'fail_unrunnable',
    ]);
  });

  it('clears the lease on every requeue so the old holder can write nothing more', () => {
    for (const event of JOB_EVENTS) {
      const spec = JOB_TRANSITIONS[event].running;
      if (spec?.to !== 'queued') continue;
      expect(spec.set, event).toMatchObject({
        lease_token: NULL,
        leased_by: NULL,
        lease_expires_at_ms: NULL,
        pid: NULL,
      });
      expect(spec.set.finished_at_ms ?? NULL, event).toEqual(NULL);
    }
  });

  it('stamps finished_at_ms and drops the lease expiry on every ending, and keeps a holder token for idempotent retries', () => {
    for (const event of JOB_EVENTS) {
      for (const [from, spec] of Object.entries(JOB_TRANSITIONS[event])) {
        if (!isFinalJobStatus(spec.to) || from === 'queued') continue;
        expect(spec.set.finished_at_ms, `${event}`).toEqual({ op: 'now' });
        expect(spec.set.lease_expires_at_ms, `${event}`).toEqual(NULL);
        if (spec.actor === 'holder') expect(spec.set.lease_token, event).toBeUndefined();
      }
    }
  });

  it('counts an attempt on claim, gives it back on snooze and resets budgets on admin retry', () => {
    expect(JOB_TRANSITIONS.claim.queued!.set.attempts).toEqual({ op: 'increment' });
    expect(JOB_TRANSITIONS.snooze.running!.set.attempts).toEqual({ op: 'decrement_to_zero' });
    expect(JOB_TRANSITIONS.admin_retry.failed!.set).toMatchObject({
      attempts: { op: 'int', value: 0 },
      transient_attempts: { op: 'int', value: 0 },
      cancel_requested: { op: 'int', value: 0 },
    });
    expect(JOB_TRANSITIONS.recover_running.running!.set.attempts).toBeUndefined();
    expect(JOB_TRANSITIONS.request_cancel.running!.set).toEqual({
      cancel_requested: { op: 'int', value: 1 },
    });
  });

  it('names the statuses each event applies to', () => {
    for (const event of JOB_EVENTS) expect(fromStatuses(event)).toEqual(DEFINED[event]);
  });
});

describe('the claim index invariant (migration 0011)', () => {
  // jobs_queued_idx is filtered on `lease_token is null`, not on status (so completes and
  // heartbeats can be HOT updates): every way into `queued` must leave no token behind, and the
  // holder's writes that keep a job running or end it must not touch the token.
  const specs = JOB_EVENTS.flatMap((event) =>
    JOB_STATUSES.flatMap((from) => {
      const spec = JOB_TRANSITIONS[event][from];
      return spec ? [{ event, from, spec }] : [];
    }),
  );

  it.each(specs.filter((s) => s.spec.to === 'queued' && s.from !== 'queued'))(
    '$event from $from clears the lease token',
    ({ spec }) => {
      expect(spec.set.lease_token).toEqual({ op: 'null' });
    },
  );

  it.each(['heartbeat', 'complete', 'fail_final', 'holder_cancel'] as const)(
    '%s leaves the lease token alone',
    (event) => {
      expect(JOB_TRANSITIONS[event].running?.set.lease_token).toBeUndefined();
    },
  );
});

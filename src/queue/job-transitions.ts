import { JOB_STATUSES, type JobStatus } from './job.js';

/**
 * The job state machine: the one table of every status change a job can make (docs/reliability.md
 * "Job state machine"). Every UPDATE of a job's status or lease is rendered from this table by
 * src/store/jobs/transition-sql.ts; nothing else writes these columns. Pure: no I/O.
 *
 * Pending cancel: an operator's cancel of a running job only sets `cancel_requested`. Any event
 * marked `pendingCancel: 'cancel'` — every one that would put the job back to `queued`, and the
 * maintenance and failure endings — ends such a job `cancelled` instead, with the error
 * "cancelled by operator (was: …)", so a cancelled job never runs again and the reaper never
 * replays its pipeline step. Only a holder's `complete` (it saw no cancel; the work is done) and an
 * explicit admin retry proceed.
 */
export const JOB_EVENTS = [
  'release',
  'claim',
  'heartbeat',
  'attach',
  'complete',
  'fail_requeue',
  'fail_final',
  'snooze',
  'holder_cancel',
  'request_cancel',
  'admin_retry',
  'recover_running',
  'lease_expiry_requeue',
  'lease_expiry_final',
  'reap_requeue',
  'reap_done',
  'reap_failed',
  'fail_unrunnable',
] as const;
export type JobEvent = (typeof JOB_EVENTS)[number];

/** The columns a transition may change besides `status` and `updated_at_ms` (always now). */
export const JOB_FIELDS = [
  'attempts',
  'transient_attempts',
  'available_at_ms',
  'lease_token',
  'leased_by',
  'lease_expires_at_ms',
  'heartbeat_at_ms',
  'started_at_ms',
  'finished_at_ms',
  'pid',
  'agent_run_id',
  'error',
  'result',
  'cancel_requested',
] as const;
export type JobField = (typeof JOB_FIELDS)[number];

/** Values a transition takes from its caller (bound as statement parameters or expressions). */
export const TRANSITION_PARAMS = [
  'owner',
  'leaseExpiresAtMs',
  'availableAtMs',
  'attempts',
  'transientAttempts',
  'error',
  'result',
  'pid',
  'agentRunId',
] as const;
export type TransitionParam = (typeof TRANSITION_PARAMS)[number];

/** What a transition writes into one column; a column a transition does not name is kept. */
export type FieldEffect =
  | { op: 'null' }
  | { op: 'now' }
  | { op: 'int'; value: number }
  | { op: 'text'; value: string }
  | { op: 'param'; name: TransitionParam }
  /** The caller's value, or the current one when the caller passes null. */
  | { op: 'param_or_keep'; name: TransitionParam }
  | { op: 'increment' }
  /** One less, never below zero (a snooze gives back the attempt its claim took). */
  | { op: 'decrement_to_zero' }
  /** A fresh random lease token. */
  | { op: 'new_token' }
  /** "cancelled by operator (was: <what the event would have written, or label>)". */
  | { op: 'cancel_error'; was: FieldEffect | null; label: string };

export type FieldEffects = Partial<Record<JobField, FieldEffect>>;

/** Who makes the change; `holder` writes are fenced by `(id, lease_token, status='running')`. */
export type JobActor = 'pipeline' | 'claimer' | 'holder' | 'operator' | 'maintenance';

export interface TransitionSpec {
  to: JobStatus;
  actor: JobActor;
  set: FieldEffects;
  /** `cancel`: with `cancel_requested = 1` the job ends `cancelled` instead (see above). */
  pendingCancel: 'cancel' | 'proceed';
}

const NULL = { op: 'null' } as const;
const NOW = { op: 'now' } as const;
const param = (name: TransitionParam) => ({ op: 'param', name }) as const;
const keepOr = (name: TransitionParam) => ({ op: 'param_or_keep', name }) as const;
const text = (value: string) => ({ op: 'text', value }) as const;
const int = (value: number) => ({ op: 'int', value }) as const;

/** The holder's lease is gone: nobody may write with the old token any more. */
const LEASE_CLEARED = {
  lease_token: NULL,
  leased_by: NULL,
  lease_expires_at_ms: NULL,
  pid: NULL,
} as const;

/** A final ending by the holder: the token stays, so a retried call is recognised. */
const ENDED = { finished_at_ms: NOW, lease_expires_at_ms: NULL } as const;

const REAP_ENDING = { ...ENDED, error: param('error'), result: keepOr('result') } as const;

/** A failed or cancelled job starts over: queued now, fresh budgets, no lease, no cancel. */
const ADMIN_RETRY: TransitionSpec = {
  to: 'queued',
  actor: 'operator',
  pendingCancel: 'proceed',
  set: {
    ...LEASE_CLEARED,
    attempts: int(0),
    transient_attempts: int(0),
    available_at_ms: NOW,
    error: NULL,
    result: NULL,
    cancel_requested: int(0),
    finished_at_ms: NULL,
  },
};

/** event → from status → transition. A pair that is absent is refused. */
export const JOB_TRANSITIONS: Readonly<
  Record<JobEvent, Readonly<Partial<Record<JobStatus, TransitionSpec>>>>
> = {
  release: {
    // A job enqueued held (intake: until its branch is pushed) becomes claimable now.
    queued: {
      to: 'queued',
      actor: 'pipeline',
      pendingCancel: 'proceed',
      set: { available_at_ms: NOW },
    },
  },
  claim: {
    queued: {
      to: 'running',
      actor: 'claimer',
      pendingCancel: 'cancel',
      set: {
        attempts: { op: 'increment' },
        lease_token: { op: 'new_token' },
        leased_by: param('owner'),
        lease_expires_at_ms: param('leaseExpiresAtMs'),
        heartbeat_at_ms: NOW,
        started_at_ms: NOW,
        finished_at_ms: NULL,
        pid: NULL,
        agent_run_id: NULL,
      },
    },
  },
  heartbeat: {
    running: {
      to: 'running',
      actor: 'holder',
      pendingCancel: 'proceed',
      set: { lease_expires_at_ms: param('leaseExpiresAtMs'), heartbeat_at_ms: NOW },
    },
  },
  attach: {
    running: {
      to: 'running',
      actor: 'holder',
      pendingCancel: 'proceed',
      set: { pid: keepOr('pid'), agent_run_id: keepOr('agentRunId') },
    },
  },
  complete: {
    running: {
      to: 'done',
      actor: 'holder',
      pendingCancel: 'proceed',
      set: { ...ENDED, result: param('result'), error: NULL },
    },
  },
  fail_requeue: {
    running: {
      to: 'queued',
      actor: 'holder',
      pendingCancel: 'cancel',
      set: {
        ...LEASE_CLEARED,
        attempts: param('attempts'),
        transient_attempts: param('transientAttempts'),
        available_at_ms: param('availableAtMs'),
        error: param('error'),
        finished_at_ms: NULL,
      },
    },
  },
  fail_final: {
    running: {
      to: 'failed',
      actor: 'holder',
      pendingCancel: 'cancel',
      set: {
        ...ENDED,
        attempts: param('attempts'),
        transient_attempts: param('transientAttempts'),
        error: param('error'),
        pid: NULL,
      },
    },
  },
  snooze: {
    running: {
      to: 'queued',
      actor: 'holder',
      pendingCancel: 'cancel',
      set: {
        ...LEASE_CLEARED,
        attempts: { op: 'decrement_to_zero' },
        available_at_ms: param('availableAtMs'),
        error: keepOr('error'),
      },
    },
  },
  holder_cancel: {
    running: {
      to: 'cancelled',
      actor: 'holder',
      pendingCancel: 'proceed',
      set: { ...ENDED, error: param('error') },
    },
  },
  request_cancel: {
    queued: {
      to: 'cancelled',
      actor: 'operator',
      pendingCancel: 'proceed',
      set: { finished_at_ms: NOW, error: text('cancelled by operator') },
    },
    running: {
      to: 'running',
      actor: 'operator',
      pendingCancel: 'proceed',
      set: { cancel_requested: int(1) },
    },
  },
  admin_retry: { failed: ADMIN_RETRY, cancelled: ADMIN_RETRY },
  recover_running: {
    running: {
      to: 'queued',
      actor: 'maintenance',
      pendingCancel: 'cancel',
      set: { ...LEASE_CLEARED, available_at_ms: NOW, error: text('recovered after restart') },
    },
  },
  lease_expiry_requeue: {
    running: {
      to: 'queued',
      actor: 'maintenance',
      pendingCancel: 'cancel',
      set: { ...LEASE_CLEARED, available_at_ms: NOW, error: param('error'), finished_at_ms: NULL },
    },
  },
  lease_expiry_final: {
    running: {
      to: 'failed',
      actor: 'maintenance',
      pendingCancel: 'cancel',
      set: { ...LEASE_CLEARED, available_at_ms: NOW, error: param('error'), finished_at_ms: NOW },
    },
  },
  reap_requeue: {
    running: {
      to: 'queued',
      actor: 'maintenance',
      pendingCancel: 'cancel',
      // A clean slate for the next claim: no pid, run link, lease or start time; claimable now.
      set: {
        ...LEASE_CLEARED,
        available_at_ms: NOW,
        heartbeat_at_ms: NULL,
        agent_run_id: NULL,
        started_at_ms: NULL,
        finished_at_ms: NULL,
        error: param('error'),
        result: keepOr('result'),
      },
    },
  },
  reap_done: {
    running: { to: 'done', actor: 'maintenance', pendingCancel: 'cancel', set: REAP_ENDING },
  },
  fail_unrunnable: {
    // Its agent failed preflight past the grace: the queued job fails visibly instead of waiting.
    queued: {
      to: 'failed',
      actor: 'maintenance',
      pendingCancel: 'proceed',
      set: { finished_at_ms: NOW, error: param('error') },
    },
  },
  reap_failed: {
    running: { to: 'failed', actor: 'maintenance', pendingCancel: 'cancel', set: REAP_ENDING },
  },
};

/** What a job with a pending cancel gets instead of `spec`: it ends cancelled, nothing else moves. */
export function cancelledInstead(spec: TransitionSpec, event: JobEvent): TransitionSpec {
  return {
    to: 'cancelled',
    actor: spec.actor,
    pendingCancel: 'proceed',
    set: {
      finished_at_ms: NOW,
      lease_expires_at_ms: NULL,
      error: { op: 'cancel_error', was: spec.set.error ?? null, label: event.replace(/_/g, ' ') },
    },
  };
}

export type TransitionOutcome =
  | { kind: 'ok'; spec: TransitionSpec; cancelledByPending: boolean }
  | { kind: 'refused'; reason: string };

/** The transition `event` makes from `from`, given whether a cancel is pending. */
export function transition(
  from: JobStatus,
  event: JobEvent,
  o: { cancelRequested: boolean },
): TransitionOutcome {
  const spec = JOB_TRANSITIONS[event][from];
  if (!spec) return { kind: 'refused', reason: `${event} is not allowed from ${from}` };
  if (o.cancelRequested && spec.pendingCancel === 'cancel') {
    return { kind: 'ok', spec: cancelledInstead(spec, event), cancelledByPending: true };
  }
  return { kind: 'ok', spec, cancelledByPending: false };
}

/** The statuses `event` applies to (a statement's `where status in (…)`). */
export function fromStatuses(event: JobEvent): JobStatus[] {
  return JOB_STATUSES.filter((s) => JOB_TRANSITIONS[event][s] !== undefined);
}

import type { Dialect } from '../store/db.js';
import { transitionSet } from './job-transition-sql.js';
import type { JobEvent } from './job-transitions.js';

/** A lease holder's write: `(id, lease_token, status='running')` = `($1, $2, $3)`. */
export const FENCE = 'id = $1 and lease_token = $2 and status = $3';

function held(dialect: Dialect, event: JobEvent, params: Record<string, string>): string {
  return transitionSet([{ from: 'running', event }], { dialect, params });
}

/**
 * The lease holder's statements, their `set` lists rendered from job-transitions.ts. Parameters
 * after the fence ($1 id, $2 lease token, $3 'running') are listed in each statement's comment.
 */
function build(dialect: Dialect) {
  return {
    heartbeat: `-- heartbeat: extend a held lease; $4 now, $5 new expiry
       update jobs set ${held(dialect, 'heartbeat', { now: '$4', leaseExpiresAtMs: '$5' })}
       where ${FENCE} returning lease_expires_at_ms, cancel_requested`,
    attach: `-- attach: stamp pid $4 / agent run $5 on a held job (null keeps the current value); $6 now
       update jobs set ${held(dialect, 'attach', { pid: '$4', agentRunId: '$5', now: '$6' })}
       where ${FENCE}`,
    complete: `-- complete: finish a held job with result $4 at $5; the token stays so a retried complete is idempotent
       update jobs set ${held(dialect, 'complete', { result: '$4', now: '$5' })}
       where ${FENCE} returning *`,
    // fail: fenced on the token and on the attempt counters the policy decided from ($8, $9).
    failFinal: `-- fail: a held job has failed for good; $4 attempts, $5 transient attempts, $6 error, $7 now
       update jobs set ${held(dialect, 'fail_final', FAIL_PARAMS)}
       where ${FENCE} and attempts = $8 and transient_attempts = $9 returning *`,
    failRequeue: `-- fail: requeue a held job at $10 (clearing the lease); $4 attempts, $5 transient attempts, $6 error, $7 now
       update jobs set ${held(dialect, 'fail_requeue', { ...FAIL_PARAMS, availableAtMs: '$10' })}
       where ${FENCE} and attempts = $8 and transient_attempts = $9 returning *`,
    snooze: `-- snooze: requeue a held job at $4 and give back the attempt its claim took; $5 reason or null, $6 now
       update jobs set ${held(dialect, 'snooze', { availableAtMs: '$4', error: '$5', now: '$6' })}
       where ${FENCE} returning *`,
    cancel: `-- cancel: the lease holder ends a held job as cancelled; $4 reason, $5 now
       update jobs set ${held(dialect, 'holder_cancel', { error: '$4', now: '$5' })}
       where ${FENCE} returning *`,
  };
}

const FAIL_PARAMS = { attempts: '$4', transientAttempts: '$5', error: '$6', now: '$7' };

export type JobQueueSql = ReturnType<typeof build>;

const cache = new Map<Dialect, JobQueueSql>();

export function jobQueueSql(dialect: Dialect): JobQueueSql {
  let sql = cache.get(dialect);
  if (!sql) cache.set(dialect, (sql = build(dialect)));
  return sql;
}

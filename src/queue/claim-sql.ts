import type { Dialect } from '../store/db.js';
import { transitionSet } from './job-transition-sql.js';

/**
 * The claim, one statement per dialect (never select-then-update). Parameters:
 * $1 kinds (null = any), $2 now ms, $3 agent labels JSON (a job's labels must be a subset),
 * $4 max jobs, $5 owner, $6 excluded kinds (open breakers), $7 tenant (null = any), $8 lease ms.
 * Each claimed job gets a fresh random lease token and one more attempt. The `set` list is the
 * `claim` transition of job-transitions.ts; a queued job with a pending cancel (written before
 * requeues honoured it) ends `cancelled` instead and is not handed out (the caller drops it).
 */
function claimSet(dialect: Dialect): string {
  return transitionSet([{ from: 'queued', event: 'claim' }], {
    dialect,
    params: { now: '$2', owner: '$5', leaseExpiresAtMs: '$2 + $8' },
    ...(dialect === 'postgres' && { qualifier: 'j' }),
  });
}

const POSTGRES_CLAIM = `
-- claim: lease up to $4 available queued jobs, priority desc then FIFO, skipping rows other claimers hold
with c as materialized (
  select id from jobs
  where status = 'queued'
    and available_at_ms <= $2
    and ($1::text[] is null or kind = any($1::text[]))
    and not (kind = any($6::text[]))
    and ($7::text is null or tenant_id = $7::text)
    and (labels = '[]' or labels::jsonb <@ $3::jsonb)
  order by priority desc, id
  limit $4
  for update skip locked
)
update jobs j
set ${claimSet('postgres')}
from c
where j.id = c.id
returning j.*`;

// SQLite: `indexed by` because without sqlite_stat1 (SQLite never analyzes by itself) the planner
// prefers jobs_status_idx (status = ?) and then sorts every queued row: a claim of 100 from 20,000
// queued jobs took ~20 ms that way, ~7 ms walking jobs_claim_order_idx in claim order.
const SQLITE_CLAIM = `
-- claim: lease up to $4 available queued jobs, priority desc then FIFO (the write lock makes it atomic)
update jobs
set ${claimSet('sqlite')}
where id in (
  select id from jobs indexed by jobs_claim_order_idx
  where status = 'queued'
    and available_at_ms <= $2
    and ($1 is null or kind in (select value from json_each($1)))
    and kind not in (select value from json_each($6))
    and ($7 is null or tenant_id = $7)
    and (labels = '[]' or not exists (
      select 1 from json_each(jobs.labels) l where l.value not in (select value from json_each($3))))
  order by priority desc, id
  limit $4
)
returning *`;

export function claimSql(dialect: Dialect): string {
  return dialect === 'postgres' ? POSTGRES_CLAIM : SQLITE_CLAIM;
}

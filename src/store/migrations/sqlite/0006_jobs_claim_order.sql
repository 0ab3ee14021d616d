-- 0006_jobs_claim_order: queued jobs in claim order (priority desc, then FIFO). jobs_claim_idx
-- leads with kind, so it cannot give that order for `kind in (…)` or no kind filter, and every
-- claim sorted all queued rows: ~20 ms for a claim of 100 from 20,000 queued jobs, ~7 ms through
-- this index (the SQLite claim names it with `indexed by`; see src/queue/claim-sql.ts).
create index jobs_claim_order_idx on jobs (priority desc, id) where status = 'queued';

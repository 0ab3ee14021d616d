-- 0006_jobs_claim_order: queued jobs in claim order (priority desc, then FIFO). jobs_claim_idx
-- leads with kind, and the claim's `kind = any($1)` (or no kind filter) cannot use its order, so
-- every claim sorted all queued rows: a claim of 100 from 20,000 queued jobs took ~10 ms (seq
-- scan + sort); with this index the bench drain went from 10.4k to 18.6k jobs/s
-- (docs/benchmarks.md).
create index jobs_claim_order_idx on jobs (priority desc, id) where status = 'queued';

-- 0016_jobs_fillfactor: PostgreSQL only (jobs pages keep room for HOT completes). SQLite has no
-- fillfactor: an update rewrites the row in place in its b-tree page. Kept so both dialects hold
-- the same migration ids.
select 1;

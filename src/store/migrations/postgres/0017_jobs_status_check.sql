-- 0017_jobs_status_check: SQLite only (its `status in (…)` CHECK on jobs built an ephemeral b-tree
-- for every row written; see the SQLite migration). PostgreSQL tests the same list as an array
-- scan, a few comparisons. Kept so both dialects hold the same migration ids.
select 1;

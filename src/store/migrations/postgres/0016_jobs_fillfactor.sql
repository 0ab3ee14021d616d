-- 0016_jobs_fillfactor: more room on each jobs page, so a complete is a HOT update (issue 15).
--
-- With fillfactor 70 (0011), 38 % of completes in a 20,000-job drain found no room on their page
-- and were written as non-HOT updates (a new pkey entry each): the claim's new row versions had
-- filled the 30 % left free. At 40 every complete was HOT; the server CPU of a complete fell from
-- ~6 to ~4 µs per job and the drain's WAL from ~870 to ~650 B per job (docs/benchmarks.md). The
-- price is space: a page holds fewer live rows, which job_history keeps few. Takes effect for
-- pages filled from now on; `vacuum full jobs` applies it to the existing ones.
alter table jobs set (fillfactor = 40);

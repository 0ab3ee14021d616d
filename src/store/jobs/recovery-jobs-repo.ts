import type { Db } from '../db.js';

/** An unfinished agent run and the lease owner of its job (null when the job is gone). */
export interface OrphanCandidateRow {
  id: number;
  job_id: number;
  task_id: number | null;
  pid: number | null;
  leased_by: string | null;
  kind: string;
}

/** A task's job as the reconciler weighs it. */
export interface TaskJobBrief {
  id: number;
  task_id: number;
  kind: string;
  status: string;
  error: string | null;
  updated_at_ms: number;
}

/**
 * The jobs reads of startup recovery and the reconciler. Both read `all_jobs`: a task's latest
 * job or a run's job may have been moved to job_history.
 */
export class RecoveryJobsRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Agent runs still open that started before `beforeMs`, with their job's lease owner. */
  orphanCandidates(beforeMs: number): Promise<OrphanCandidateRow[]> {
    return this.#db.all<OrphanCandidateRow>(
      `-- orphan candidates: unfinished runs started before $1, with their job's lease owner
       select r.id, r.job_id, r.task_id, r.pid, r.kind, j.leased_by
       from agent_runs r left join all_jobs j on j.id = r.job_id
       where r.finished_at_ms is null and r.started_at_ms < $1 order by r.id`,
      [beforeMs],
    );
  }

  /** Closes an orphaned run (exit −1); false when it finished meanwhile. */
  async closeOrphanRun(runId: number, nowMs: number): Promise<boolean> {
    const res = await this.#db.run(
      `-- close an orphaned agent run $1 at $2 with exit -1
       update agent_runs set finished_at_ms = $2, exit_code = -1, outcome = 'permanent',
         error = 'orphaned: no process after restart' where id = $1 and finished_at_ms is null`,
      [runId, nowMs],
    );
    return res.changes > 0;
  }

  /** The live (queued/running) task jobs and the latest job of every task. */
  taskJobs(): Promise<TaskJobBrief[]> {
    return this.#db.all<TaskJobBrief>(
      `-- reconciler: the live jobs and the latest job of every task (history included)
       select id, task_id, kind, status, error, updated_at_ms from all_jobs
       where task_id is not null and (status in ('queued', 'running')
         or id in (select max(id) from all_jobs where task_id is not null group by task_id))`,
    );
  }
}

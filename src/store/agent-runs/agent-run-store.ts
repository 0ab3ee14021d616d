import { noMask, type SecretMasker } from '../../config/secret-masker.js';
import { sqlFor, type Db } from '../db.js';
import type { AdapterName, KillReason, RunOutcomeKind } from '../../agents/runner.js';

/** One process execution of a job (DESIGN.md "agent_run"). */
export interface AgentRun {
  id: number;
  jobId: number;
  taskId: number | null;
  attempt: number;
  kind: string;
  adapter: string;
  argv: string[];
  worktree: string | null;
  logPath: string;
  pid: number | null;
  startedAtMs: number;
  finishedAtMs: number | null;
  exitCode: number | null;
  outcome: RunOutcomeKind | null;
  isError: boolean | null;
  subtype: string | null;
  sessionId: string | null;
  costUsd: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  killReason: KillReason | null;
  error: string | null;
}

/** An item's summed spend over its finished agent runs. */
export interface TaskUsage {
  runs: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  durationMs: number;
}

interface AgentRunRow {
  id: number;
  job_id: number;
  task_id: number | null;
  attempt: number;
  kind: string;
  adapter: string;
  argv: string;
  worktree: string | null;
  log_path: string;
  pid: number | null;
  started_at_ms: number;
  finished_at_ms: number | null;
  exit_code: number | null;
  outcome: RunOutcomeKind | null;
  is_error: number | boolean | null;
  subtype: string | null;
  session_id: string | null;
  cost_usd: number | null;
  input_tokens: number | null;
  output_tokens: number | null;
  kill_reason: KillReason | null;
  error: string | null;
}

function fromRow(r: AgentRunRow): AgentRun {
  return {
    id: Number(r.id),
    jobId: Number(r.job_id),
    taskId: r.task_id === null ? null : Number(r.task_id),
    attempt: r.attempt,
    kind: r.kind,
    adapter: r.adapter,
    argv: JSON.parse(r.argv) as string[],
    worktree: r.worktree,
    logPath: r.log_path,
    pid: r.pid,
    startedAtMs: Number(r.started_at_ms),
    finishedAtMs: r.finished_at_ms === null ? null : Number(r.finished_at_ms),
    exitCode: r.exit_code,
    outcome: r.outcome,
    isError: r.is_error === null ? null : Boolean(r.is_error),
    subtype: r.subtype,
    sessionId: r.session_id,
    costUsd: r.cost_usd === null ? null : Number(r.cost_usd),
    inputTokens: r.input_tokens === null ? null : Number(r.input_tokens),
    outputTokens: r.output_tokens === null ? null : Number(r.output_tokens),
    killReason: r.kill_reason,
    error: r.error,
  };
}

export interface RunFinish {
  finishedAtMs: number;
  exitCode: number | null;
  outcome: RunOutcomeKind;
  isError: boolean | null;
  subtype: string | null;
  sessionId: string | null;
  costUsd: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  killReason: KillReason | null;
  error: string | null;
}

const TOTALS_BY_TASK = {
  sqlite: `-- per-task totals for tasks in $1 (JSON array): cost, run count, a running run's kind
    select task_id, sum(cost_usd) as cost, count(*) as runs,
      max(case when finished_at_ms is null then kind end) as running
    from agent_runs where task_id in (select value from json_each($1))
    group by task_id`,
  postgres: `-- per-task totals for tasks in $1 (JSON array): cost, run count, a running run's kind
    select task_id, sum(cost_usd) as cost, count(*) as runs,
      max(case when finished_at_ms is null then kind end) as running
    from agent_runs where task_id in (select (jsonb_array_elements_text($1::jsonb))::bigint)
    group by task_id`,
} as const;

/** Persistence of agent_runs. Plain statements: a run row has exactly one writer (its runner). */
export class AgentRunStore {
  readonly #db: Db;
  readonly #mask: SecretMasker;

  /** `mask`: applied to a run's argv and error text (it quotes the agent's output) before they are stored. */
  constructor(db: Db, o: { mask?: SecretMasker } = {}) {
    this.#db = db;
    this.#mask = o.mask ?? noMask;
  }

  async create(input: {
    jobId: number;
    taskId: number | null;
    attempt: number;
    kind: string;
    adapter: AdapterName;
    startedAtMs: number;
  }): Promise<AgentRun> {
    const row = await this.#db.get<AgentRunRow>(
      `-- create agent run: job $1, task $2, attempt $3, kind $4, adapter $5, started $6
       insert into agent_runs (job_id, task_id, attempt, kind, adapter, log_path, started_at_ms)
       values ($1, $2, $3, $4, $5, '', $6) returning *`,
      [input.jobId, input.taskId, input.attempt, input.kind, input.adapter, input.startedAtMs],
    );
    return fromRow(row!);
  }

  async markStarted(
    id: number,
    fields: { argv: readonly string[]; logPath: string; worktree: string; pid: number | null },
  ): Promise<void> {
    await this.#db.run(
      `-- agent run started: argv $2, log $3, worktree $4, pid $5
       update agent_runs set argv = $2, log_path = $3, worktree = $4, pid = $5 where id = $1`,
      [
        id,
        JSON.stringify(fields.argv.map(this.#mask)),
        fields.logPath,
        fields.worktree,
        fields.pid,
      ],
    );
  }

  async finish(id: number, f: RunFinish): Promise<void> {
    await this.#db.run(
      `-- agent run finished: exit, outcome, result fields, cost and tokens
       update agent_runs set finished_at_ms = $2, exit_code = $3, outcome = $4, is_error = $5,
         subtype = $6, session_id = $7, cost_usd = $8, input_tokens = $9, output_tokens = $10,
         kill_reason = $11, error = $12
       where id = $1`,
      [
        id,
        f.finishedAtMs,
        f.exitCode,
        f.outcome,
        f.isError === null ? null : f.isError ? 1 : 0,
        f.subtype,
        f.sessionId,
        f.costUsd,
        f.inputTokens,
        f.outputTokens,
        f.killReason,
        f.error === null ? null : this.#mask(f.error).slice(0, 4000),
      ],
    );
  }

  async get(id: number): Promise<AgentRun | undefined> {
    const row = await this.#db.get<AgentRunRow>(
      `-- agent run $1
       select * from agent_runs where id = $1`,
      [id],
    );
    return row ? fromRow(row) : undefined;
  }

  /** Agent runs of one task (every job, every attempt), oldest first. */
  async listForTask(taskId: number): Promise<AgentRun[]> {
    const rows = await this.#db.all<AgentRunRow>(
      '-- agent runs of task $1, oldest first\n select * from agent_runs where task_id = $1 order by id',
      [taskId],
    );
    return rows.map(fromRow);
  }

  /**
   * Cost so far and the running agent (if any) per task, for the given task ids. Tasks with no
   * runs are absent from the map.
   */
  async totalsByTask(
    taskIds: readonly number[],
  ): Promise<Map<number, { costUsd: number; runs: number; running: string | null }>> {
    const out = new Map<number, { costUsd: number; runs: number; running: string | null }>();
    if (taskIds.length === 0) return out;
    const rows = await this.#db.all<{
      task_id: number;
      cost: number | null;
      runs: number;
      running: string | null;
    }>(sqlFor(this.#db, TOTALS_BY_TASK), [JSON.stringify(taskIds)]);
    for (const r of rows) {
      out.set(Number(r.task_id), {
        costUsd: r.cost === null ? 0 : Number(r.cost),
        runs: Number(r.runs),
        running: r.running,
      });
    }
    return out;
  }

  /** An item's spend so far: its finished runs, their tokens, cost and wall time (usage comment). */
  async usageOfTask(taskId: number): Promise<TaskUsage> {
    const row = await this.#db.get<{
      runs: number | string;
      cost: number | string | null;
      input_tokens: number | string | null;
      output_tokens: number | string | null;
      duration_ms: number | string | null;
    }>(
      `-- usage of task $1: finished runs, summed cost, tokens and wall time
       select count(*) as runs, sum(cost_usd) as cost, sum(input_tokens) as input_tokens,
         sum(output_tokens) as output_tokens, sum(finished_at_ms - started_at_ms) as duration_ms
       from agent_runs where task_id = $1 and finished_at_ms is not null`,
      [taskId],
    );
    const n = (v: number | string | null | undefined) => (v == null ? 0 : Number(v));
    return {
      runs: n(row?.runs),
      costUsd: n(row?.cost),
      inputTokens: n(row?.input_tokens),
      outputTokens: n(row?.output_tokens),
      durationMs: n(row?.duration_ms),
    };
  }

  /**
   * What an item has spent (budget check): the summed recorded cost of all its runs, every job
   * and attempt. A run without a cost (running, or its CLI reported none) counts as 0.
   */
  async spentByTask(taskId: number): Promise<number> {
    const row = await this.#db.get<{ cost: number | string | null }>(
      `-- spend of task $1: summed recorded cost of its agent runs
       select sum(cost_usd) as cost from agent_runs where task_id = $1`,
      [taskId],
    );
    return row?.cost == null ? 0 : Number(row.cost);
  }

  /**
   * What all agent runs that finished in [`fromMs`, `toMs`) cost (the daily budget: a run's cost
   * counts on the day it finished, when it was recorded). Runs without a cost count as 0.
   */
  async spentBetween(fromMs: number, toMs: number): Promise<number> {
    const row = await this.#db.get<{ cost: number | string | null }>(
      `-- spend of runs finished in [$1, $2): summed recorded cost
       select sum(cost_usd) as cost from agent_runs
       where finished_at_ms >= $1 and finished_at_ms < $2`,
      [fromMs, toMs],
    );
    return row?.cost == null ? 0 : Number(row.cost);
  }

  /** Finished runs of task `taskId` with an id above `afterId`, oldest first (the demo's tail). */
  async finishedForTaskAfter(taskId: number, afterId: number): Promise<AgentRun[]> {
    const rows = await this.#db.all<AgentRunRow>(
      `-- finished agent runs of task $1 with id above $2, oldest first
       select * from agent_runs where task_id = $1 and finished_at_ms is not null and id > $2
       order by id`,
      [taskId, afterId],
    );
    return rows.map(fromRow);
  }

  async listForJob(jobId: number): Promise<AgentRun[]> {
    const rows = await this.#db.all<AgentRunRow>(
      '-- agent runs of one job, oldest first\n select * from agent_runs where job_id = $1 order by id',
      [jobId],
    );
    return rows.map(fromRow);
  }
}

import type { Clock } from '../../clock.js';
import type { Db } from '../db.js';

/** Fields an operator may set on a lesson (recorded or updated); everything else is Orch's. */
export const LESSON_FIELDS = [
  'work_item_id',
  'stage',
  'agent',
  'repo',
  'root_cause',
  'suggestion',
  'status',
  'related_task',
  'attribution',
  'target_repo',
  'target_domain',
  'detail',
] as const;
export type LessonField = (typeof LESSON_FIELDS)[number];

export interface Lesson extends Partial<Record<LessonField, string | null>> {
  id: number;
  lesson_type: string;
  source: 'manual' | 'auto';
  task_id: number | null;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface LessonFilter {
  type?: string;
  status?: string;
  repo?: string;
  workItem?: string;
  limit?: number;
}

/**
 * The lessons journal (spec §2, ORCH-098): an observer, never a gate. Only the whitelisted
 * fields can be written; `source` is `manual` for everything recorded through the API.
 */
export class LessonStore {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #defaultLimit: number;

  /** `defaultLimit`: how many lessons `list` returns without a limit (ORCH_LESSONS_QUERY_LIMIT). */
  constructor(db: Db, clock: Clock, o: { defaultLimit?: number } = {}) {
    this.#db = db;
    this.#clock = clock;
    this.#defaultLimit = o.defaultLimit ?? 50;
  }

  async record(
    input: { lesson_type: string; task_id?: number | null | undefined } & Partial<
      Record<LessonField, string | undefined>
    >,
    source: 'manual' | 'auto' = 'manual',
  ): Promise<number> {
    const nowMs = this.#clock.now();
    const cols = LESSON_FIELDS.filter((f) => input[f] !== undefined);
    const names = ['lesson_type', 'source', 'task_id', 'created_at_ms', 'updated_at_ms', ...cols];
    const values = [
      input.lesson_type,
      source,
      input.task_id ?? null,
      nowMs,
      nowMs,
      ...cols.map((c) => input[c] ?? null),
    ];
    const row = await this.#db.get<{ id: number }>(
      `-- record a lesson: the named columns, then its id
       insert into lessons (${names.join(', ')}) values (${names.map((_, i) => `$${i + 1}`).join(', ')}) returning id`,
      values,
    );
    return Number(row!.id);
  }

  /**
   * Records an automatic lesson (`source: auto`) unless one of the same type for the same work
   * item and stage was recorded within `windowMs`: a task that fails the same gate five times in
   * an hour is one lesson, not five. One statement, so the check and the insert cannot be split.
   * Returns the new id, or null when deduplicated.
   */
  async recordAuto(
    input: {
      lesson_type: string;
      task_id: number;
      work_item_id: string;
      stage: string;
    } & Partial<Record<LessonField, string | undefined>>,
    windowMs: number,
  ): Promise<number | null> {
    const nowMs = this.#clock.now();
    const extra = LESSON_FIELDS.filter(
      (f) => f !== 'work_item_id' && f !== 'stage' && input[f] !== undefined,
    );
    const names = [
      'lesson_type',
      'source',
      'task_id',
      'work_item_id',
      'stage',
      'created_at_ms',
      'updated_at_ms',
      ...extra,
    ];
    const values = [
      input.lesson_type,
      'auto',
      input.task_id,
      input.work_item_id,
      input.stage,
      nowMs,
      nowMs,
      ...extra.map((c) => input[c] ?? null),
    ];
    const row = await this.#db.get<{ id: number }>(
      `-- record an automatic lesson unless the same type, item and stage has one newer than $${values.length + 1}
       insert into lessons (${names.join(', ')})
       select ${names.map((_, i) => `$${i + 1}`).join(', ')}
       where not exists (
         select 1 from lessons
         where lesson_type = $1 and source = 'auto' and work_item_id = $4 and stage = $5
           and created_at_ms > $${values.length + 1})
       returning id`,
      [...values, nowMs - windowMs],
    );
    return row ? Number(row.id) : null;
  }

  /** The `lessons` block of /queue: how many, how many open, by type and source, the latest. */
  async summary(recent = 5): Promise<{
    total: number;
    open: number;
    auto: number;
    byType: Record<string, number>;
    recent: Pick<
      Lesson,
      'id' | 'lesson_type' | 'source' | 'work_item_id' | 'stage' | 'created_at_ms'
    >[];
  }> {
    const rows = await this.#db.all<{
      lesson_type: string;
      source: string;
      status: string;
      n: number | string;
    }>(
      `-- lessons block: counts by type, source and status
       select lesson_type, source, status, count(*) as n from lessons
       group by lesson_type, source, status`,
    );
    const latest = await this.#db.all<Lesson>(
      `-- lessons block: the latest lessons, newest first
       select id, lesson_type, source, work_item_id, stage, created_at_ms
       from lessons order by id desc limit $1`,
      [recent],
    );
    const byType: Record<string, number> = {};
    let total = 0;
    let open = 0;
    let auto = 0;
    for (const r of rows) {
      const n = Number(r.n);
      total += n;
      if (r.status === 'open') open += n;
      if (r.source === 'auto') auto += n;
      byType[r.lesson_type] = (byType[r.lesson_type] ?? 0) + n;
    }
    return {
      total,
      open,
      auto,
      byType,
      recent: latest.map((l) => ({
        id: Number(l.id),
        lesson_type: l.lesson_type,
        source: l.source,
        work_item_id: l.work_item_id ?? null,
        stage: l.stage ?? null,
        created_at_ms: Number(l.created_at_ms),
      })),
    };
  }

  /** Re-classifies a lesson; returns false when it does not exist. */
  async update(
    id: number,
    fields: Partial<Record<LessonField, string | null | undefined>>,
  ): Promise<boolean> {
    const cols = LESSON_FIELDS.filter((f) => fields[f] !== undefined);
    const sets = [...cols.map((c, i) => `${c} = $${i + 3}`), 'updated_at_ms = $2'];
    const res = await this.#db.run(
      `-- re-classify lesson $1 at $2: the named columns from $3 on
       update lessons set ${sets.join(', ')} where id = $1`,
      [id, this.#clock.now(), ...cols.map((c) => fields[c] ?? null)],
    );
    return res.changes === 1;
  }

  async list(filter: LessonFilter = {}): Promise<Lesson[]> {
    const rows = await this.#db.all<Lesson>(
      `-- lessons, newest first, by optional type / status / repo / work item
       select * from lessons
       where ($1 = '' or lesson_type = $1) and ($2 = '' or status = $2)
         and ($3 = '' or repo = $3) and ($4 = '' or work_item_id = $4)
       order by id desc limit $5`,
      [
        filter.type ?? '',
        filter.status ?? '',
        filter.repo ?? '',
        filter.workItem ?? '',
        Math.min(Math.max(filter.limit ?? this.#defaultLimit, 1), 500),
      ],
    );
    return rows.map((r) => ({
      ...r,
      id: Number(r.id),
      task_id: r.task_id === null ? null : Number(r.task_id),
    }));
  }
}

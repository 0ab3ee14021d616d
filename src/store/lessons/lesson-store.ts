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

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
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
        Math.min(Math.max(filter.limit ?? 50, 1), 500),
      ],
    );
    return rows.map((r) => ({
      ...r,
      id: Number(r.id),
      task_id: r.task_id === null ? null : Number(r.task_id),
    }));
  }
}

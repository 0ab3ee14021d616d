import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { OrchError } from '../../errors.js';
import type {
  CommentOptions,
  Tracker,
  TrackerComment,
  TrackerItem,
  TrackerItemRef,
  TrackerState,
} from './tracker.js';

/** Display names the local tracker shows for the pipeline's tracker states. */
export const LOCAL_STATE_NAMES: Record<TrackerState, string> = {
  in_progress: 'In Progress',
  in_review: 'In Review',
  needs_input: 'Needs Input',
  blocked: 'Blocked',
  done: 'Done',
};

interface ItemRow {
  id: number;
  project_key: string;
  title: string;
  description: string;
  state_name: string | null;
  labels: string;
}

/** Orch's own tracker: work items and comments in Orch's database (`orch task …`, dashboard). */
export class LocalTracker implements Tracker {
  readonly kind = 'local';
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(db: Db, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  async createItem(
    projectKey: string,
    item: { title: string; description?: string; labels?: string[] },
  ): Promise<TrackerItem> {
    const row = await this.#db.get<ItemRow>(
      `insert into local_items (project_key, title, description, state_name, labels, created_at_ms)
       values ($1, $2, $3, 'Backlog', $4, $5) returning *`,
      [
        projectKey,
        item.title,
        item.description ?? '',
        JSON.stringify(item.labels ?? []),
        this.#clock.now(),
      ],
    );
    return this.#item(row!);
  }

  #item(row: ItemRow): TrackerItem {
    return {
      ref: { projectId: row.project_key, itemId: String(row.id) },
      title: row.title,
      description: row.description,
      stateName: row.state_name,
      labels: JSON.parse(row.labels) as string[],
      url: null,
    };
  }

  async getItem(ref: TrackerItemRef): Promise<TrackerItem> {
    const row = await this.#db.get<ItemRow>(
      'select * from local_items where id = $1 and project_key = $2',
      [Number(ref.itemId), ref.projectId],
    );
    if (!row)
      throw new OrchError(
        'TRACKER_ITEM_NOT_FOUND',
        `local item ${ref.projectId}/${ref.itemId} does not exist`,
      );
    return this.#item(row);
  }

  async listComments(ref: TrackerItemRef, sinceMs = 0): Promise<TrackerComment[]> {
    const rows = await this.#db.all<{
      id: number;
      author: string;
      body: string;
      by_orch: number;
      created_at_ms: number;
    }>('select * from local_comments where item_id = $1 and created_at_ms >= $2 order by id', [
      Number(ref.itemId),
      sinceMs,
    ]);
    return rows.map((r) => ({
      id: String(r.id),
      author: r.author,
      authorIds: [r.author],
      body: r.body,
      createdAtMs: r.created_at_ms,
      byOrch: Boolean(r.by_orch),
    }));
  }

  /** A comment written by Orch (flagged, so it is never interpreted as a human's). */
  async comment(ref: TrackerItemRef, body: string, options: CommentOptions = {}): Promise<void> {
    await this.#db.run(
      `insert into local_comments (item_id, author, body, by_orch, external_id, created_at_ms) values ($1, $2, $3, 1, $4, $5)`,
      [
        Number(ref.itemId),
        options.author ?? 'orch',
        body,
        options.externalId ?? null,
        this.#clock.now(),
      ],
    );
  }

  /** A human's comment (CLI, dashboard); returns its id. */
  async addHumanComment(
    ref: TrackerItemRef,
    author: string,
    body: string,
  ): Promise<TrackerComment> {
    const row = await this.#db.get<{ id: number; created_at_ms: number }>(
      `insert into local_comments (item_id, author, body, by_orch, created_at_ms) values ($1, $2, $3, 0, $4) returning id, created_at_ms`,
      [Number(ref.itemId), author, body, this.#clock.now()],
    );
    return {
      id: String(row!.id),
      author,
      authorIds: [author],
      body,
      createdAtMs: row!.created_at_ms,
      byOrch: false,
    };
  }

  async setState(ref: TrackerItemRef, state: TrackerState): Promise<void> {
    await this.#db.run('update local_items set state_name = $2 where id = $1', [
      Number(ref.itemId),
      LOCAL_STATE_NAMES[state],
    ]);
  }
}

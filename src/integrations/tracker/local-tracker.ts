import type { Clock } from '../../clock.js';
import type { Db } from '../../store/db.js';
import { OrchError } from '../../errors.js';
import {
  insertLocalComment,
  insertLocalItem,
  localComments,
  localItem,
  localItemsSince,
  setLocalItemState,
  type LocalItemRow,
} from '../../store/local/local-tracker-rows.js';
import type {
  CommentOptions,
  ListedTrackerItem,
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

/** Local state names of a finished item: Done (Orch's own), or a cancelled one set by hand. */
const CLOSED_STATE_RE = /^(done|cancell?ed)$/i;

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
    const row = await insertLocalItem(this.#db, {
      projectKey,
      title: item.title,
      description: item.description ?? '',
      labelsJson: JSON.stringify(item.labels ?? []),
      nowMs: this.#clock.now(),
    });
    return this.#item(row);
  }

  #item(row: LocalItemRow): TrackerItem {
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
    const row = await localItem(this.#db, Number(ref.itemId), ref.projectId);
    if (!row)
      throw new OrchError(
        'TRACKER_ITEM_NOT_FOUND',
        `local item ${ref.projectId}/${ref.itemId} does not exist`,
      );
    return this.#item(row);
  }

  /** Items of project `projectId` (a project key) filed since the bound; Done ones are closed. */
  async listItems(projectId: string, o: { createdSinceMs: number }): Promise<ListedTrackerItem[]> {
    const rows = await localItemsSince(this.#db, projectId, o.createdSinceMs);
    return rows.map((row) => ({
      ...this.#item(row),
      createdAtMs: row.created_at_ms,
      closed: row.state_name !== null && CLOSED_STATE_RE.test(row.state_name),
      // Only people file local items (`orch task create`, the dashboard).
      byOrch: false,
    }));
  }

  async listComments(ref: TrackerItemRef, sinceMs = 0): Promise<TrackerComment[]> {
    const rows = await localComments(this.#db, Number(ref.itemId), sinceMs);
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
    await insertLocalComment(this.#db, {
      itemId: Number(ref.itemId),
      author: options.author ?? 'orch',
      body,
      byOrch: true,
      externalId: options.externalId ?? null,
      nowMs: this.#clock.now(),
    });
  }

  /** A human's comment (CLI, dashboard); returns its id. */
  async addHumanComment(
    ref: TrackerItemRef,
    author: string,
    body: string,
  ): Promise<TrackerComment> {
    const row = await insertLocalComment(this.#db, {
      itemId: Number(ref.itemId),
      author,
      body,
      byOrch: false,
      externalId: null,
      nowMs: this.#clock.now(),
    });
    return {
      id: String(row.id),
      author,
      authorIds: [author],
      body,
      createdAtMs: row.created_at_ms,
      byOrch: false,
    };
  }

  async setState(ref: TrackerItemRef, state: TrackerState): Promise<void> {
    await setLocalItemState(this.#db, Number(ref.itemId), LOCAL_STATE_NAMES[state]);
  }
}

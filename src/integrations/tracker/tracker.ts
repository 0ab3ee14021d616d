/**
 * The tracker contract: where work items live and humans talk to Orch (Plane, or the local
 * tracker in Orch's own database). The pipeline calls only this interface.
 */
export const TRACKER_STATES = [
  'in_progress',
  'in_review',
  'needs_input',
  'blocked',
  'done',
] as const;
export type TrackerState = (typeof TRACKER_STATES)[number];

/** A work item in a tracker: `projectId` and `itemId` are the tracker's own ids. */
export interface TrackerItemRef {
  projectId: string;
  itemId: string;
}

export interface TrackerComment {
  id: string;
  /** The author as shown to humans (display name, else id). */
  author: string;
  /** Every identifier the tracker gives for the author (id, display name, email): approvers match any. */
  authorIds: string[];
  body: string;
  createdAtMs: number;
  /** True when Orch itself (its bot account) wrote the comment: never acted upon. */
  byOrch: boolean;
}

export interface TrackerItem {
  ref: TrackerItemRef;
  title: string;
  description: string;
  /** The tracker's own state name (e.g. Plane's "In Review"), if it has one. */
  stateName: string | null;
  labels: string[];
  url: string | null;
}

/** A work item as a tracker lists it (the reconciler's intake of items whose webhook was lost). */
export interface ListedTrackerItem extends TrackerItem {
  createdAtMs: number;
  /** Done or cancelled in the tracker: never taken in. */
  closed: boolean;
  /** Created by Orch's own user: its "created" webhook would be dropped as the bot's, so is this. */
  byOrch: boolean;
}

export interface CommentOptions {
  /** The Orch role speaking (analyst, deployer, orch…): shown to humans. */
  author?: string;
  /** Stable id for idempotent comments (Plane `external_id`). */
  externalId?: string;
}

export interface Tracker {
  readonly kind: string;
  getItem(ref: TrackerItemRef): Promise<TrackerItem>;
  /** Comments newest last; `sinceMs` limits to newer ones (reconciler polling). */
  listComments(ref: TrackerItemRef, sinceMs?: number): Promise<TrackerComment[]>;
  comment(ref: TrackerItemRef, body: string, options?: CommentOptions): Promise<void>;
  setState(ref: TrackerItemRef, state: TrackerState): Promise<void>;
  /**
   * The project's work items created at or after `createdSinceMs`, newest first — what the
   * reconciler polls for items whose "created" webhook never arrived. Bounded by that time (and
   * a page cap), never the whole project.
   */
  listItems(projectId: string, o: { createdSinceMs: number }): Promise<ListedTrackerItem[]>;
  /**
   * Every identifier of a user the tracker knows (id, display name, email), for a webhook that
   * names the author by id only. Optional: trackers without users need none.
   */
  userIdentities?(projectId: string, userId: string): Promise<string[]>;
  /**
   * The tracker item ids this item is "blocked by" (task dependencies, ORCH-026). Optional:
   * trackers without relations have none (dependencies then come from `orch task deps`).
   */
  blockedBy?(ref: TrackerItemRef): Promise<string[]>;
  /**
   * Keeps ONE status comment on the item, edited in place on every state change (GitHub, where
   * a state is only a label). Optional: trackers with a state field of their own need none.
   */
  upsertStatusComment?(ref: TrackerItemRef, body: string): Promise<void>;
}

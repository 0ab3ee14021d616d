import type { Db } from '../db.js';

/**
 * One winner per maintenance tick across replicas (pg-boss `trySetTimestamp` style, with a sticky
 * leader): a daemon runs its tick only if its conditional upsert on `daemon_ticks` matched. The
 * replica that ticked last keeps winning; another replica takes over only after the leader has
 * been silent for `takeoverMs` (it died or stopped). The statement is atomic on both stores
 * (PostgreSQL re-checks the WHERE after a concurrent writer commits; SQLite holds the write
 * lock), so two replicas ticking at the same moment cannot both win.
 */
export class DaemonTicks {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async tryTick(
    name: string,
    o: { owner: string; nowMs: number; takeoverMs: number },
  ): Promise<boolean> {
    const row = await this.#db.get<{ name: string }>(
      `-- maintenance tick election: daemon $1, owner $2, now $3; the last owner keeps it, others after $4 ms of silence
       insert into daemon_ticks (name, last_tick_ms, owner) values ($1, $3, $2)
       on conflict (name) do update set last_tick_ms = excluded.last_tick_ms, owner = excluded.owner
       where daemon_ticks.owner = excluded.owner or daemon_ticks.last_tick_ms <= $3 - $4
       returning name`,
      [name, o.owner, o.nowMs, Math.max(0, Math.floor(o.takeoverMs))],
    );
    return row !== undefined;
  }

  async get(name: string): Promise<{ lastTickMs: number; owner: string } | null> {
    const row = await this.#db.get<{ last_tick_ms: number; owner: string }>(
      `-- the last tick (time and owner) of daemon $1
       select last_tick_ms, owner from daemon_ticks where name = $1`,
      [name],
    );
    return row ? { lastTickMs: Number(row.last_tick_ms), owner: row.owner } : null;
  }
}

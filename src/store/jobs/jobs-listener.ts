import type pg from 'pg';
import type { Db } from '../db.js';
import type { PostgresDb } from '../postgres/postgres-db.js';

/** A running LISTEN; `close` ends its connection. */
export interface JobsListener {
  close(): Promise<void>;
}

/**
 * Cross-process wake-up hints for claimers. PostgreSQL: LISTEN orch_jobs on a dedicated
 * connection (the jobs insert trigger and `JobsRepo.notifyClaimers` NOTIFY it); `onHint` runs for
 * every notification sent by another process. A NOTIFY from one of `db`'s own pooled connections
 * is this process's own enqueue or release, whose claimers were already woken in-process
 * (`WakeSignal.notify`): waking them again made every enqueue cost a second, mostly empty, claim.
 * SQLite: one process owns the file, so there is nothing to listen to (null). A dropped
 * connection calls `onLost` and is not retried: hints only save latency, claimers poll.
 */
export async function listenForJobs(
  db: Db,
  onHint: () => void,
  onLost: () => void,
): Promise<JobsListener | null> {
  if (db.dialect !== 'postgres') return null;
  const pgDb = db as PostgresDb;
  const client: pg.Client = pgDb.newClient();
  client.on('notification', (msg) => {
    if (!pgDb.ownsBackend(msg.processId)) onHint();
  });
  client.on('error', onLost);
  await client.connect();
  // listen: hints from every process on this database (payload: a job kind, unused)
  await client.query('listen orch_jobs');
  return { close: () => client.end().catch(() => undefined) };
}

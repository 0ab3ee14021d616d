import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import { migrate } from '../store/migrate.js';
import { openDb } from '../store/open-db.js';
import { JobQueue } from './job-queue.js';
import { QueueAdmin } from './queue-admin.js';

/** Opens the store named in config, applies migrations, and builds the queue on it. */
export async function openQueue(config: Config, clock: Clock) {
  const db = openDb(config.dbUrl);
  try {
    await migrate(db, { nowMs: clock.now() });
  } catch (err) {
    await db.close();
    throw err;
  }
  const queue = new JobQueue(db, {
    clock,
    retry: config.queue.retry,
    defaultMaxAttempts: config.queue.defaultMaxAttempts,
    pollIntervalMs: config.queue.pollIntervalMs,
  });
  return { db, queue, admin: new QueueAdmin(queue) };
}

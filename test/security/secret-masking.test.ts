import { expect, it } from 'vitest';
import type { Db } from '../../src/store/db.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { drive, fileItem, matrixRuntime } from '../e2e/failure-matrix-harness.js';

/**
 * Issue 13: a secret of Orch's that shows up in captured output must not be stored or sent. The
 * realistic leak is git's error text quoting a token-bearing clone URL; here the developer agent
 * prints such a line and fails, and its words travel into every place a failure is written: the
 * job's and the run's error, the item's last_error and timeline, the tracker comment (an outbox
 * effect) and the notification.
 */
const SECRET = 'orch-admin-secret-7f3a9c2e11d4';
const LEAK = `fatal: unable to access 'https://oauth2:${SECRET}@forge.example/acme/app.git/': 403`;

async function tableNames(db: Db): Promise<string[]> {
  const rows =
    db.dialect === 'postgres'
      ? await db.all<{ name: string }>(
          `select table_name as name from information_schema.tables
           where table_schema = current_schema() and table_type = 'BASE TABLE'`,
        )
      : await db.all<{ name: string }>(
          `select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`,
        );
  return rows.map((r) => r.name);
}

/** Every stored row that contains `needle`, as `table: row`. */
async function rowsContaining(db: Db, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const table of await tableNames(db)) {
    for (const row of await db.all<Record<string, unknown>>(`select * from ${table}`)) {
      const text = JSON.stringify(row);
      if (text.includes(needle)) hits.push(`${table}: ${text.slice(0, 300)}`);
    }
  }
  return hits;
}

describeEachDialect('secret masking in failure text', ({ current }) => {
  it('stores and sends a failing agent’s words with Orch’s secrets masked', async () => {
    const { rt, notifier } = await matrixRuntime(
      current().url,
      [{ key: 'SM', scenario: {}, maxDeveloperRetries: 1 }],
      {
        env: { ORCH_ADMIN_TOKEN: SECRET },
        agents: {
          defaults: { adapter: 'scripted', timeoutS: 20, idleTimeoutS: 12, killGraceS: 1 },
          roles: {
            developer: {
              adapter: 'command',
              command: ['sh', '-c', `echo "${LEAK}" >&2; exit 2`],
            },
          },
        },
      },
    );
    try {
      const task = await fileItem(rt, 'SM');
      await rt.start({ daemons: false });
      const done = await drive(rt, [task.id], (t) => t.state === 'blocked', 120_000);
      await rt.worker.whenIdle();
      await rt.outbox.runOnce();

      const blocked = done.get(task.id)!;
      // The words survive, minus the secret: a person still sees what went wrong.
      expect(blocked.lastError).toContain('[masked]');
      expect(blocked.lastError).toContain('unable to access');
      const jobs = await rt.db.all<{ error: string | null }>(
        `select error from jobs where kind = 'developer'`,
      );
      expect(jobs.some((j) => j.error?.includes('[masked]@forge.example'))).toBe(true);
      const comments = await rowsContaining(rt.db, '[masked]@forge.example');
      expect(comments.some((r) => r.startsWith('outbox:'))).toBe(true);
      expect(comments.some((r) => r.startsWith('task_events:'))).toBe(true);

      expect(await rowsContaining(rt.db, SECRET)).toEqual([]);
      const sent = JSON.stringify(notifier.events);
      expect(sent).toContain('[masked]');
      expect(sent).not.toContain(SECRET);
    } finally {
      await rt.stop();
    }
  }, 180_000);
});

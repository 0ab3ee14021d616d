import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { migrate } from '../store/migrate.js';
import { openDb, redactDbUrl } from '../store/open-db.js';
import { printJson } from './output.js';

/** `orch db migrate`: apply pending migrations (also done automatically at startup). */
export function dbCommand(): Command {
  const db = new Command('db').description('database maintenance');
  db.command('migrate')
    .description('apply pending schema migrations')
    .option('--db <url>', 'database URL (default: ORCH_DB_URL or sqlite:./.orch/orch.db)')
    .option('--json', 'print JSON')
    .action(async (o: { db?: string; json?: boolean }) => {
      const config = loadConfig(process.env, { dbUrl: o.db });
      const store = openDb(config.dbUrl);
      try {
        const res = await migrate(store);
        if (o.json) printJson(res);
        else
          process.stdout.write(
            `${redactDbUrl(config.dbUrl)}: ${res.applied.length ? `applied ${res.applied.join(', ')}` : 'up to date'} (schema version ${res.version})\n`,
          );
      } finally {
        await store.close();
      }
    });
  return db;
}

import { assertNever } from '../../errors.js';
import type { Db, Queryable } from '../db.js';

/**
 * Runs `fn` with the store scoped to one tenant. On PostgreSQL the transaction assumes the
 * restricted role `orch_tenant` and sets `orch.tenant`, so row-level security (migration 0003)
 * hides and refuses every other tenant's rows even if a statement forgot its filter; the owner
 * role and superusers bypass RLS, which is why the role switch is needed. On SQLite there is no
 * RLS: every statement in src/remote filters by tenant itself (PostgreSQL gets the same filter too).
 *
 * `readOnly` skips the transaction on SQLite (BEGIN IMMEDIATE would serialize reads for nothing).
 */
export async function withTenant<T>(
  db: Db,
  tenantId: string,
  fn: (q: Queryable) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  switch (db.dialect) {
    case 'sqlite':
      return options.readOnly ? fn(db) : db.tx(fn);
    case 'postgres':
      return db.tx(async (q) => {
        await q.get(
          `-- tenant scope: tenant $1 and the restricted role, both local to this transaction
           select set_config('orch.tenant', $1, true), set_config('role', 'orch_tenant', true)`,
          [tenantId],
        );
        return fn(q);
      });
    default:
      return assertNever(db.dialect);
  }
}

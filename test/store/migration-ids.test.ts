import { describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/store/migrate.js';

describe('migration folders', () => {
  it('hold the same migration ids and names for SQLite and PostgreSQL', () => {
    const ids = (dialect: 'sqlite' | 'postgres') =>
      loadMigrations(dialect).map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`);
    const sqlite = ids('sqlite');
    expect(sqlite.length).toBeGreaterThan(0);
    expect(ids('postgres')).toEqual(sqlite);
  });

  it('number the migrations 1, 2, 3 … without gaps or repeats', () => {
    const versions = loadMigrations('sqlite').map((m) => m.version);
    expect(versions).toEqual(versions.map((_, i) => i + 1));
  });
});

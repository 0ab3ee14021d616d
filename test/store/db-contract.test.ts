import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/test-db.js';

const INSERT_JOB = `insert into jobs (kind, payload, available_at_ms, created_at_ms, updated_at_ms)
  values ($1, $2, 0, $3, 0)`;

/** The parts of the `Db` contract that every repository relies on, on both stores. */
describeEachDialect('Db contract', ({ current }) => {
  it('reads rows as tuples in column order, outside and inside a transaction, and named', async () => {
    const { db } = current();
    await db.run(INSERT_JOB, ['a', '{"x":1}', 5]);
    await db.run(INSERT_JOB, ['b', '{}', 7]);
    const sql = 'select kind, created_at_ms, payload, null as absent from jobs order by id';
    const expected = [
      ['a', 5, '{"x":1}', null],
      ['b', 7, '{}', null],
    ];
    expect(await db.tuples(sql)).toEqual(expected);
    expect(await db.tx((q) => q.tuples(sql))).toEqual(expected);
    const named = {
      name: 'db_contract_tuples',
      text: `${sql.replace('order', 'where kind = $1 order')}`,
    };
    expect(await db.tuples(named, ['b'])).toEqual([expected[1]]);
    // The same text read as objects still gives objects (tuples do not change the cached statement).
    expect(await db.all(named, ['b'])).toEqual([
      { kind: 'b', created_at_ms: 7, payload: '{}', absent: null },
    ]);
    expect(await db.tuples(named, ['b'])).toEqual([expected[1]]);
  });
});

import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createTestDb, type TestDb } from '../helpers/test-db.js';
import { ADMIN, makeServer } from './http-helpers.js';

type LogRecord = Record<string, unknown> & { level: number; msg?: string };

/** A JSON logger at `level` whose records the test reads back. */
function capturingLogger(level: string) {
  const records: LogRecord[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        records.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  return { logger: createLogger(level, { format: 'json', destination }), records };
}

// Request logging does not depend on the store's dialect: SQLite only.
describe('request logs', () => {
  let tdb: TestDb;
  let app: FastifyInstance | undefined;
  beforeEach(async () => {
    tdb = await createTestDb('sqlite');
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await tdb.dispose();
  });
  const setup = (level: string) => {
    const log = capturingLogger(level);
    app = makeServer(tdb.db, {
      logger: log.logger,
      routes: [
        (scope) =>
          void scope.get('/boom', () => {
            throw new Error('kaput');
          }),
      ],
    }).app;
    return { app, records: log.records };
  };

  it('logs a request once, at debug, with method, redacted url, status and duration', async () => {
    const { app, records } = setup('debug');
    const res = await app.inject({ url: '/health?token=SECRET-123&x=1' });
    expect(res.statusCode).toBe(200);
    const lines = records.filter((r) => r.reqId !== undefined);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      msg: 'request completed',
      method: 'GET',
      url: '/health?token=[redacted]&x=1',
      status: 200,
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
    expect(JSON.stringify(records)).not.toContain('SECRET-123');
  });

  it('logs nothing for a successful request at info', async () => {
    const { app, records } = setup('info');
    await app.inject({ url: '/health' });
    await app.inject({ url: '/no-such-route' });
    expect(records).toEqual([]);
  });

  it('logs a 5xx response at error, beside the error handler’s line', async () => {
    const { app, records } = setup('info');
    const res = await app.inject({ url: '/boom', headers: ADMIN });
    expect(res.statusCode).toBe(500);
    expect(records.map((r) => [r.level, r.msg])).toEqual([
      [50, 'request failed'],
      [50, 'request completed'],
    ]);
    expect(records[1]).toMatchObject({ method: 'GET', url: '/boom', status: 500 });
  });
});

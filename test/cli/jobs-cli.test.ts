import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { orchInProcess as orch, runCli } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'orch-cli-'));
const db = `sqlite:${join(dir, 'orch.db')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('orch CLI', () => {
  it('prints help and exits 0', () => {
    const r = runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('jobs');
    expect(r.stdout).toContain('db');
  });

  it('exits 2 on a usage error', async () => {
    expect(runCli(['jobs', 'no-such-command']).code).toBe(2);
    expect((await orch(['jobs', 'show', 'abc', '--db', 'sqlite::memory:'])).code).toBe(2);
  });

  it('migrates, enqueues idempotently, lists, cancels and retries a job', async () => {
    expect((await orch(['db', 'migrate', '--db', db])).stdout).toContain('applied 0001_jobs');
    const first = JSON.parse(
      (await orch(['jobs', 'enqueue', 'developer', '--key', 'k1', '--json', '--db', db])).stdout,
    ) as {
      created: boolean;
      job: { id: number };
    };
    const again = JSON.parse(
      (await orch(['jobs', 'enqueue', 'developer', '--key', 'k1', '--json', '--db', db])).stdout,
    ) as {
      created: boolean;
      job: { id: number };
    };
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, job: { id: first.job.id } });

    const list = JSON.parse((await orch(['jobs', 'list', '--json', '--db', db])).stdout) as {
      id: number;
      status: string;
    }[];
    expect(list).toMatchObject([{ id: first.job.id, status: 'queued' }]);

    expect((await orch(['jobs', 'cancel', String(first.job.id), '--db', db])).stdout).toContain(
      'cancelled',
    );
    const retried = await orch(['jobs', 'retry', String(first.job.id), '--json', '--db', db]);
    expect(JSON.parse(retried.stdout)).toMatchObject({ status: 'queued' });
    const shown = JSON.parse(
      (await orch(['jobs', 'show', String(first.job.id), '--json', '--db', db])).stdout,
    ) as {
      status: string;
    };
    expect(shown.status).toBe('queued');
  });

  it('reports an error code and exits 1 for a missing job or bad input', async () => {
    const missing = await orch(['jobs', 'show', '999', '--db', db]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('JOB_NOT_FOUND');
    const bad = await orch(['jobs', 'enqueue', 'developer', '--priority', '-3', '--db', db]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('INVALID_PRIORITY');
    expect((await orch(['jobs', 'list', '--status', 'bogus', '--db', db])).stderr).toContain(
      'INVALID_STATUS',
    );
  });
});

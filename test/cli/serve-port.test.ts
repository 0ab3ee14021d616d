import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { RECHECK_JOB_KIND } from '../../src/pipeline/engine.js';
import { makeQueue } from '../helpers/queue.js';
import { describeEachDialect } from '../helpers/test-db.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `orch serve` as a real process; resolves with its exit code and stderr. */
function serve(args: string[], env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', ...args],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    // An orch serve that keeps running with no API never exits by itself: stop it after a while
    // (the test then fails on the exit code).
    const guard = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.once('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr });
    });
  });
}

describeEachDialect('orch serve on a busy port', ({ current }) => {
  let blocker: Server | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await new Promise((r) => (blocker ? blocker.close(r) : r(undefined)));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits 1 with PORT_IN_USE and claims no job', async () => {
    blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker!.listen(0, '127.0.0.1', () => resolve((blocker!.address() as { port: number }).port)),
    );
    const { queue } = makeQueue(current().db, systemClock);
    const { job: recheck } = await queue.enqueue({ kind: RECHECK_JOB_KIND, payload: {} });
    const { job: webhook } = await queue.enqueue({ kind: 'webhook.plane', payload: {} });
    dataDir = mkdtempSync(join(tmpdir(), 'orch-serve-port-'));
    const r = await serve(['--db', current().url, '--port', String(port), '--host', '127.0.0.1'], {
      ORCH_DATA_DIR: dataDir,
      ORCH_LOG_LEVEL: 'silent',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PORT_IN_USE');
    expect(r.stderr).toContain(`127.0.0.1:${port}`);
    for (const id of [recheck.id, webhook.id]) {
      expect(await queue.get(id)).toMatchObject({ status: 'queued', attempts: 0, leasedBy: null });
    }
  }, 60_000);
});

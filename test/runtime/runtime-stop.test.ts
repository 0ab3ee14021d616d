import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { silentLogger } from '../../src/log.js';
import { RECHECK_JOB_KIND } from '../../src/pipeline/engine.js';
import { POST_DEPLOY_JOB_KIND } from '../../src/pipeline/post-deploy.js';
import { createRuntime } from '../../src/runtime.js';
import { describeEachDialect } from '../helpers/test-db.js';

describeEachDialect('runtime start and stop', ({ current }) => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  async function runtime(env: Record<string, string> = {}) {
    const dataDir = mkdtempSync(join(tmpdir(), 'orch-rt-stop-'));
    dirs.push(dataDir);
    return createRuntime({
      config: loadConfig({ ORCH_DATA_DIR: dataDir, ...env }, { dbUrl: current().url }),
      configFile: parseConfigFile({ agents: { defaults: { adapter: 'scripted' } } }),
      log: silentLogger,
      projects: () => [],
    });
  }

  it('runs rechecks in their own pool, apart from webhook deliveries', async () => {
    const rt = await runtime({ ORCH_RECHECK_CONCURRENCY: '3' });
    try {
      // The pipeline's own in-process jobs: stage re-checks and post-deploy probes.
      expect(rt.recheckHandlers.kinds).toEqual([RECHECK_JOB_KIND, POST_DEPLOY_JOB_KIND]);
      expect(rt.webhookHandlers.kinds).not.toContain(RECHECK_JOB_KIND);
      expect(rt.webhookHandlers.kinds.length).toBeGreaterThan(0);
      expect(rt.recheckHandlers.status()).toMatchObject({ concurrency: 3 });
      expect(rt.webhookHandlers.status()).toMatchObject({ concurrency: 1 });
    } finally {
      await rt.stop();
    }
  });

  it('stop() runs every step, closing the store, even when a daemon fails to stop', async () => {
    const rt = await runtime();
    await rt.start();
    rt.recovery.reaper.stop = () => Promise.reject(new Error('reaper would not stop'));
    await expect(rt.stop()).rejects.toThrow('reaper would not stop');
    expect(rt.worker.status().stopping).toBe(true);
    expect(rt.webhookHandlers.status().running).toBe(false);
    expect(rt.recheckHandlers.status().running).toBe(false);
    expect(rt.recovery.reconciler.running).toBe(false);
    await expect(rt.db.get('select 1 as one')).rejects.toThrow();
  });
});

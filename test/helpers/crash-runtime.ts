import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import type { Notifier } from '../../src/integrations/notify/notifier.js';
import { silentLogger } from '../../src/log.js';
import type { Project } from '../../src/pipeline/project.js';
import { DEFAULT_PIPELINE } from '../../src/pipeline/stages.js';
import { createRuntime } from '../../src/runtime.js';

/**
 * A runtime on `dbUrl` with one project (`CR`) on the local tracker and forge: the same in the
 * test and in the child process it kills (test/fixtures/outbox-crash-child.ts).
 */
export function crashRuntime(dbUrl: string, dataDir: string, notifier?: Notifier) {
  return createRuntime({
    config: loadConfig({ ORCH_DATA_DIR: dataDir }, { dbUrl }),
    configFile: parseConfigFile({ agents: { defaults: { adapter: 'scripted' } } }),
    log: silentLogger,
    ...(notifier && { notifier }),
    projects: ({ forge, tracker }): Project[] => [
      {
        key: 'CR',
        prefix: 'CR',
        repo: 'crash',
        baseBranch: 'main',
        tracker,
        trackerProjectId: 'CR',
        forge,
        pipeline: DEFAULT_PIPELINE,
        testCommand: ['true'],
        testTimeoutMs: 10_000,
        approvers: ['alice'],
        maxDeveloperRetries: 3,
      },
    ],
  });
}

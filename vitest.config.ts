import { defineConfig } from 'vitest/config';

/**
 * The slow group: real `orch serve` / agent processes end to end (test/e2e, with the chaos run),
 * the real agent CLIs, the 5,000-job claim race and the dashboard's action walk-through in Chromium. CI runs it after the fast group
 * (`npm run test:all`); `npm test` is the fast group alone.
 */
const SLOW = [
  'test/e2e/**/*.test.ts',
  'test/agents/real-cli-conformance.test.ts',
  'test/queue/concurrency.test.ts',
  'test/web/dashboard-actions.test.ts',
];

export default defineConfig({
  test: {
    // The global setup (templates, the sim-agent bundle) is declared per project: declared here,
    // vitest would run it once more for the root config, whose templates no test uses.
    setupFiles: ['test/helpers/setup-file.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'fast',
          globalSetup: ['test/helpers/global-setup.ts'],
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: SLOW,
          // Most of a test's time is spent waiting on PostgreSQL, git or a child process, so more
          // files than cores run at once (2 cores here: 1 worker by default).
          maxWorkers: 4,
          // A worker runs its files one after another in one process and module graph instead of
          // re-importing Orch for every file: 110 s of summed import time fell to 25 s, and
          // `npm test` from 192 to 142 s on a 2-vCPU host (docs/operations.md). A file must leave
          // that process as it found it; test/helpers/setup-file.ts checks it after every file.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          globalSetup: ['test/helpers/global-setup.ts'],
          include: SLOW,
          // These start many processes each; two at once keep the machine responsive.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

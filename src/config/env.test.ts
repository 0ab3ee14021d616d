import { describe, expect, it } from 'vitest';
import { parseEnv, unknownEnvVars } from './env.js';

describe('unknown ORCH_* variables', () => {
  it('are reported with the nearest setting, and otherwise ignored', () => {
    const env = { ORCH_DB_ULR: 'sqlite:/x.db', ORCH_MAX_CONCURENCY: '4', ORCH_PORT: '9000' };
    expect(unknownEnvVars(env)).toEqual([
      { name: 'ORCH_DB_ULR', closest: 'ORCH_DB_URL' },
      { name: 'ORCH_MAX_CONCURENCY', closest: 'ORCH_MAX_CONCURRENCY' },
    ]);
    expect(parseEnv(env).ORCH_DB_URL).toBe('sqlite:./.orch/orch.db');
  });

  it('leave out what Orch sets for the processes it starts and the test suite’s own', () => {
    const env = {
      ORCH_JOB_ID: '7',
      ORCH_RUN_ID: '3',
      ORCH_ROLE: 'developer',
      ORCH_TASK_FILE: '/w/task.md',
      ORCH_WORK_ITEM: 'ET-1',
      ORCH_SIM_SCENARIO: 'crash',
      ORCH_TEST_PG_URL: 'postgres://x',
      PATH: '/bin',
    };
    expect(unknownEnvVars(env)).toEqual([]);
  });
});

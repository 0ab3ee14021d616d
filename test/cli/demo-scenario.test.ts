import { describe, expect, it } from 'vitest';
import { demoScenario } from '../../src/cli/demo-command.js';
import { orchInProcess } from '../helpers/run-cli.js';

describe('orch demo --scenario', () => {
  it('takes role=behaviour pairs of known behaviours', () => {
    expect(demoScenario(undefined)).toEqual({});
    expect(demoScenario('developer=crash, tester=fail_always')).toEqual({
      developer: 'crash',
      tester: 'fail_always',
    });
    expect(demoScenario('{"reviewer":"request_changes_once"}')).toEqual({
      reviewer: 'request_changes_once',
    });
  });

  it('refuses a typo or a spec without pairs with a usage error, before running anything', async () => {
    expect(() => demoScenario('developer=fail')).toThrow(/developer=fail: unknown behaviour/);
    expect(() => demoScenario('developer')).toThrow(/role=behaviour pairs/);
    const r = await orchInProcess(['demo', '--scenario', 'developer=fail', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown behaviour');
  });
});

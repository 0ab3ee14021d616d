import { describe, expect, it } from 'vitest';
import {
  decideSelfDeploy,
  describeResult,
  renderDeployLog,
  seconds,
  type SelfDeployResult,
  type SelfDeployState,
} from './self-deploy-state.js';

const T0 = Date.UTC(2026, 0, 1);

const state: SelfDeployState = {
  version: 1,
  workItemId: 'ORCH-036',
  taskId: 7,
  stage: 'deploy',
  visitStartedAtMs: T0 - 5000,
  launchId: 'launch-1',
  command: ['sh', 'scripts/deploy-hook.sh'],
  headSha: 'abc123',
  startedAtMs: T0,
  timeoutMs: 600_000,
  deadlineMs: T0 + 600_000,
  pid: 4242,
  finished: null,
};

const result = (o: Partial<SelfDeployResult> = {}): SelfDeployResult => ({
  finishedAtMs: T0 + 30_000,
  ok: true,
  exitCode: 0,
  how: 'exit code 0',
  outputTail: 'restarting orch\ndone\n',
  health: null,
  ...o,
});

describe('decideSelfDeploy', () => {
  it('finalises from the exit code whenever the wrapper recorded one, even past the deadline', () => {
    for (const alive of [true, false, null])
      for (const nowMs of [T0, T0 + 600_000, T0 + 10_000_000])
        expect(decideSelfDeploy(state, { exitCode: 3, alive }, nowMs)).toEqual({
          kind: 'exited',
          exitCode: 3,
        });
  });

  it('waits while the hook runs (or cannot be told apart) before its deadline', () => {
    expect(decideSelfDeploy(state, { exitCode: null, alive: true }, T0 + 1)).toEqual({
      kind: 'wait',
    });
    expect(decideSelfDeploy(state, { exitCode: null, alive: null }, T0 + 599_999)).toEqual({
      kind: 'wait',
    });
  });

  it('times out at the deadline, killing only a hook known to be alive', () => {
    expect(decideSelfDeploy(state, { exitCode: null, alive: true }, T0 + 600_000)).toEqual({
      kind: 'timed_out',
      kill: true,
    });
    expect(decideSelfDeploy(state, { exitCode: null, alive: null }, T0 + 600_000)).toEqual({
      kind: 'timed_out',
      kill: false,
    });
  });

  it('calls a hook that is gone without an exit code lost, before or after its deadline', () => {
    for (const nowMs of [T0 + 1, T0 + 600_000])
      expect(decideSelfDeploy(state, { exitCode: null, alive: false }, nowMs)).toEqual({
        kind: 'lost',
      });
  });
});

describe('renderDeployLog', () => {
  it("writes Orch's verdict in the frontmatter with the exit code, and the output tail", () => {
    const log = renderDeployLog(state, result());
    expect(log).toMatch(
      /^---\ndeploy_status: SUCCESS\nwritten_by: orch\nwork_item: ORCH-036\nhook_exit_code: 0\ndeployed_by: self-deploy\n---\n/,
    );
    expect(log).toContain('`sh scripts/deploy-hook.sh`: exit code 0');
    expect(log).toContain('Head abc123');
    expect(log).toContain('restarting orch\ndone');
  });

  it('gives the same bytes for the same state (a second finalisation changes nothing)', () => {
    expect(renderDeployLog(state, result())).toBe(renderDeployLog({ ...state }, result()));
  });

  it('marks a timed-out or lost hook FAILED with no exit code', () => {
    const log = renderDeployLog(
      state,
      result({ ok: false, exitCode: null, how: 'timed out after 600 s' }),
    );
    expect(log).toMatch(/^---\ndeploy_status: FAILED\nwritten_by: orch\n/);
    expect(log).toContain('hook_exit_code: null');
    expect(log).toContain('timed out after 600 s');
  });

  it('adds the health check after a clean exit', () => {
    const health = { url: 'http://orch/health', ok: false, attempts: 3, detail: 'HTTP 503' };
    const log = renderDeployLog(state, result({ ok: false, health }));
    expect(log).toMatch(/^---\ndeploy_status: FAILED\n/);
    expect(log).toContain('http://orch/health: unhealthy after 3 probe(s) — HTTP 503');
  });
});

describe('describeResult', () => {
  it('says how the hook ended, and why a clean exit still failed', () => {
    expect(describeResult(result({ ok: false, exitCode: 3, how: 'exit code 3' }))).toBe(
      'exit code 3',
    );
    const health = { url: 'u', ok: false, attempts: 1, detail: 'HTTP 503' };
    expect(describeResult(result({ ok: false, health }))).toBe(
      'exit code 0; health check failed: HTTP 503',
    );
  });

  it('formats durations in seconds', () => {
    expect(seconds(600_000)).toBe('600 s');
    expect(seconds(1500)).toBe('1.5 s');
  });
});

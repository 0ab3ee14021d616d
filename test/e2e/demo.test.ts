import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../helpers/test-db.js';

/** Runs `orch demo --json` from source as a real process and returns its exit code and summary. */
function runDemo(
  args: string[],
): Promise<{ code: number | null; summary: Record<string, unknown> | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), 'src/cli/main.ts', 'demo', '--json', ...args],
      {
        env: { ...process.env, ORCH_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let summary: Record<string, unknown> | null = null;
      try {
        summary = JSON.parse(out) as Record<string, unknown>;
      } catch {
        summary = null;
      }
      resolve({ code, summary, stderr: err });
    });
  });
}

describeEachDialect('orch demo', ({ current }) => {
  it('takes the demo work item to done with one REQUEST_CHANGES rollback and exits 0', async () => {
    const { code, summary, stderr } = await runDemo(['--db', current().url]);
    expect(stderr).not.toMatch(/"level":(50|60)/);
    expect(code).toBe(0);
    expect(summary).toMatchObject({
      workItem: 'TRL-001',
      stage: 'done',
      state: 'done',
      rollbacks: 1,
    });
    const jobs = summary!.jobs as { kind: string; status: string }[];
    expect(jobs.map((j) => j.kind)).toEqual([
      'analyst',
      'architect',
      'developer',
      'reviewer',
      'developer',
      'reviewer',
      'tester',
      'deployer',
      'deployer',
    ]);
    expect(jobs.every((j) => j.status === 'done')).toBe(true);
    const gates = summary!.gates as { gate: string; passed: boolean }[];
    expect(gates.filter((g) => !g.passed).map((g) => g.gate)).toEqual(['check_reviewer_verdict']);
    expect(gates.some((g) => g.gate === 'merge_gate' && g.passed)).toBe(true);
    expect(summary!.durationMs).toBeLessThan(120_000);
  }, 180_000);

  it('ends Blocked with its summary and exit 1 when the developer fails, long before the timeout', async () => {
    const { code, summary } = await runDemo([
      '--db',
      current().url,
      '--scenario',
      'developer=crash',
      '--timeout',
      '300',
    ]);
    expect(code).toBe(1);
    expect(summary).toMatchObject({
      workItem: 'TRL-001',
      stage: 'development',
      state: 'blocked',
      timed_out: false,
    });
    expect(summary!.blocked_reason).toMatch(/^developer failed after 2 attempts: exit code 3/);
    expect(summary!.jobs).toContainEqual(
      expect.objectContaining({ kind: 'developer', status: 'failed' }),
    );
  }, 180_000);

  it('prints its summary and exits 1 when the timeout passes first', async () => {
    const { code, summary } = await runDemo([
      '--db',
      current().url,
      '--scenario',
      'analyst=slow',
      '--timeout',
      '3',
    ]);
    expect(code).toBe(1);
    expect(summary).toMatchObject({ stage: 'analysis', state: 'active', timed_out: true });
  }, 120_000);
});

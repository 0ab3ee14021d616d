import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { describeEachDialect } from '../helpers/test-db.js';
import { makeHarness, type Harness } from './agent-harness.js';

function front(path: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---/.exec(readFileSync(path, 'utf8'));
  return parseYaml(m![1]!) as Record<string, unknown>;
}

describeEachDialect('scripted sim agent', ({ current }) => {
  let h: Harness | undefined;
  afterEach(() => h?.cleanup());

  it("runs as a real child process through the runner and writes every role's artifacts", async () => {
    const ledger = join(tmpdir(), `orch-ledger-${process.pid}-${Date.now()}.jsonl`);
    h = makeHarness(current().db, {
      maxConcurrency: 6,
      agents: {
        defaults: {
          adapter: 'scripted',
          timeoutS: 60,
          idleTimeoutS: 60,
          env: { ORCH_SIM_LEDGER: ledger },
        },
      },
    });
    const roles = [
      ['analyst', undefined],
      ['architect', undefined],
      ['developer', undefined],
      ['tester', undefined],
      ['deployer', 'deploy-staging'],
    ] as const;
    const jobs = [];
    for (const [role, stage] of roles)
      jobs.push((await h.enqueue(role, stage ? { stage } : {})).job);
    expect((await h.tick()).claimed).toHaveLength(5);
    for (const j of jobs)
      expect(await h.queue.get(j.id)).toMatchObject({ status: 'done', error: null });
    const runs = await h.runs.listForJob(jobs[0]!.id);
    expect(runs[0]).toMatchObject({
      adapter: 'scripted',
      outcome: 'success',
      sessionId: `sim-${jobs[0]!.id}-${runs[0]!.id}`,
    });

    const wt = h.worktrees.worktreePath(h.repo, 'feature/ET-1-demo');
    const wi = join(wt, 'docs', 'work-items', 'ET-1');
    for (const f of [
      '01-brd.md',
      '02-trz.md',
      '03-acceptance-criteria.md',
      '04-test-plan.yaml',
      '06-adr/ADR-001-et-1-design.md',
    ]) {
      expect(readFileSync(join(wi, f), 'utf8').length).toBeGreaterThan(0);
    }
    expect(front(join(wi, '13-test-report.md'))).toMatchObject({
      type: 'test-report',
      result: 'PASS',
    });
    expect(front(join(wi, '15-staging-log.md'))).toMatchObject({ staging_status: 'SUCCESS' });
    // The developer's code and test are real: the repo's tests pass in the worktree.
    execFileSync(process.execPath, ['--test', 'test/orch-sim/'], { cwd: wt, stdio: 'pipe' });

    const first = await h.enqueue('reviewer', { scenario: { reviewer: 'request_changes_once' } });
    await h.tick();
    expect(front(join(wi, '12-review.md'))).toEqual({
      type: 'review',
      work_item_id: 'ET-1',
      verdict: 'REQUEST_CHANGES',
      version: 1,
    });
    await h.enqueue('reviewer', { scenario: { reviewer: 'request_changes_once' } });
    const deploy = await h.enqueue('deployer', { stage: 'deploy' });
    await h.tick();
    expect(front(join(wi, '12-review.md'))).toMatchObject({ verdict: 'APPROVED', version: 2 });
    expect(front(join(wi, '14-deploy-log.md'))).toMatchObject({ deploy_status: 'SUCCESS' });
    expect((await h.queue.get(deploy.job.id))!.status).toBe('done');

    const entries = readFileSync(ledger, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { jobId: number; attempt: number; role: string });
    expect(entries).toHaveLength(8);
    expect(entries).toContainEqual(
      expect.objectContaining({ jobId: first.job.id, attempt: 1, role: 'reviewer' }),
    );
    rmSync(ledger, { force: true });
  });

  it('fails a simulated crash through the same classification path', async () => {
    h = makeHarness(current().db, {
      agents: { defaults: { adapter: 'scripted', timeoutS: 60, idleTimeoutS: 60 } },
    });
    const { job } = await h.enqueue(
      'developer',
      { scenario: { developer: 'crash' } },
      { maxAttempts: 1 },
    );
    await h.tick();
    expect(await h.queue.get(job.id)).toMatchObject({ status: 'failed' });
    expect((await h.runs.listForJob(job.id))[0]).toMatchObject({
      exitCode: 3,
      outcome: 'permanent',
    });
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { checkCiGreen, checkReviewApproved, checkTestsLocal } from '../../src/gates/forge-gates.js';
import { LocalForge } from '../../src/integrations/forge/local-forge.js';
import type { Db } from '../../src/store/db.js';
import { seedSampleRepo } from '../helpers/pipeline-env.js';
import { processGone } from '../helpers/processes.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { scratchWorkItem } from '../helpers/work-item.js';

async function forgeWithBranch(db: Db) {
  const root = mkdtempSync(join(tmpdir(), 'orch-fg-'));
  const forge = new LocalForge(db, join(root, 'forge'), new ManualClock());
  mkdirSync(join(root, 'forge'));
  seedSampleRepo(join(root, 'seed'));
  await forge.importRepo('demo', join(root, 'seed'));
  await forge.ensureBranch('demo', 'feature/ET-001-x', 'main');
  const sha = execFileSync('git', ['rev-parse', 'feature/ET-001-x'], {
    cwd: forge.cloneUrl('demo'),
    encoding: 'utf8',
  }).trim();
  return { forge, sha, seed: join(root, 'seed') };
}

describeEachDialect('forge gates', ({ current }) => {
  it('check_ci_green: the latest status per context decides', async () => {
    const { forge, sha } = await forgeWithBranch(current().db);
    const ctx = scratchWorkItem().ctx(forge, { branch: 'feature/ET-001-x' });
    expect(await checkCiGreen(ctx)).toMatchObject({
      passed: false,
      reason: 'combined status: none',
    });
    await forge.setStatus('demo', sha, {
      context: 'ci/test',
      state: 'pending',
      description: 'running',
    });
    expect(await checkCiGreen(ctx)).toMatchObject({
      passed: false,
      reason: 'combined status: pending',
    });
    await forge.setStatus('demo', sha, { context: 'ci/test', state: 'success', description: 'ok' });
    await forge.setStatus('demo', sha, { context: 'ci/lint', state: 'success', description: 'ok' });
    expect(await checkCiGreen(ctx)).toMatchObject({
      passed: true,
      reason: 'combined status: success',
    });
    await forge.setStatus('demo', sha, {
      context: 'ci/lint',
      state: 'failure',
      description: 'red',
    });
    expect(await checkCiGreen(ctx)).toMatchObject({
      passed: false,
      reason: 'combined status: failure',
    });
  });

  it('check_review_approved: the reviewer verdict with a PR, the review file without one', async () => {
    const { forge } = await forgeWithBranch(current().db);
    const w = scratchWorkItem();
    const ctx = w.ctx(forge, { branch: 'feature/ET-001-x' });
    expect(await checkReviewApproved(ctx)).toMatchObject({
      passed: false,
      reason: 'No open PR found and no review file',
    });
    w.write('09-review.md', 'legacy review\n');
    expect((await checkReviewApproved(ctx)).reason).toContain('file-based approval');
    await forge.ensurePullRequest('demo', {
      head: 'feature/ET-001-x',
      base: 'main',
      title: 't',
      body: '',
    });
    expect(await checkReviewApproved(ctx)).toMatchObject({
      gate: 'check_review_approved',
      passed: false,
    });
    w.write('12-review.md', '---\nverdict: APPROVED\n---\n');
    expect(await checkReviewApproved(ctx)).toMatchObject({
      gate: 'check_review_approved',
      passed: true,
    });
  });

  it('check_tests_local: runs the command in the worktree with a timeout, output tail as evidence', async () => {
    const { forge, seed } = await forgeWithBranch(current().db);
    const ctx = scratchWorkItem().ctx(forge, { worktree: seed, testCommand: ['sh', 'test.sh'] });
    expect(await checkTestsLocal(ctx)).toMatchObject({
      passed: true,
      evidence: 'all tests pass\n',
    });
    writeFileSync(join(seed, 'BROKEN'), '');
    const red = await checkTestsLocal(ctx);
    expect(red).toMatchObject({ passed: false, reason: '"sh test.sh" failed with exit code 1' });
    expect(red.evidence).toContain('FAIL: BROKEN present');
    const slow = await checkTestsLocal({ ...ctx, testCommand: ['sleep', '5'], testTimeoutMs: 200 });
    expect(slow).toMatchObject({ passed: false, reason: '"sleep 5" timed out after 200 ms' });
    const missing = await checkTestsLocal({ ...ctx, testCommand: ['no-such-binary-orch'] });
    expect(missing.passed).toBe(false);
    expect(missing.reason).toMatch(/could not run/);
  });

  it('check_tests_local: a green suite that leaves a background process is green at once, and the process is killed', async () => {
    const { forge, seed } = await forgeWithBranch(current().db);
    const script = 'sleep 1000 & echo $! > bg.pid; echo "all tests pass"';
    // The full default timeout: before the fix the background process held the output pipe and
    // the verdict waited for it (red, "timed out after 600000 ms").
    const ctx = scratchWorkItem().ctx(forge, {
      worktree: seed,
      testCommand: ['sh', '-c', script],
      testTimeoutMs: 600_000,
    });
    expect(await checkTestsLocal(ctx)).toMatchObject({
      passed: true,
      evidence: 'all tests pass\n',
    });
    const bg = Number(readFileSync(join(seed, 'bg.pid'), 'utf8'));
    expect(await processGone(bg)).toBe(true);
  });
});

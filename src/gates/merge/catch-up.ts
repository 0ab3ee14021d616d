import { childBaseEnv } from '../../config/child-env.js';
import { git, gitMaybe } from '../../git/git.js';
import type { GateContext } from '../gate.js';
import { runCommand } from '../run-command.js';

export type CatchUp =
  | { kind: 'up_to_date'; headSha: string }
  | { kind: 'rebased'; headSha: string; testTail: string }
  | { kind: 'conflict'; detail: string }
  | { kind: 'tests_red'; detail: string };

/**
 * Brings the task branch up to date with its target before a merge (spec ORCH-043): if the
 * target moved, rebase onto it and run the tests again; push the rebased branch only when they
 * pass. A branch that is already up to date is not touched (a re-driven deploy skips the rebase).
 */
export async function catchUp(ctx: GateContext): Promise<CatchUp> {
  const cwd = ctx.worktree;
  const target = `origin/${ctx.baseBranch}`;
  await git(['fetch', '--quiet', 'origin', ctx.baseBranch], { cwd });
  const head = await git(['rev-parse', 'HEAD'], { cwd });
  if ((await gitMaybe(['merge-base', '--is-ancestor', target, 'HEAD'], { cwd })) !== null) {
    return { kind: 'up_to_date', headSha: head };
  }
  // --autostash: the gates before this one rewrite tracked files in the worktree without
  // committing (Orch's 15-staging-log.md, 17-security-report.md); a plain rebase refuses to start
  // on those and was reported as a conflict in "unknown files".
  if ((await gitMaybe(['rebase', '--quiet', '--autostash', target], { cwd })) === null) {
    const files = (await gitMaybe(['diff', '--name-only', '--diff-filter=U'], { cwd })) ?? '';
    await gitMaybe(['rebase', '--abort'], { cwd });
    return {
      kind: 'conflict',
      detail: `rebase onto ${target} conflicts in: ${files.split('\n').filter(Boolean).join(', ') || 'unknown files'}`,
    };
  }
  const tests = await runCommand(ctx.testCommand, {
    cwd,
    timeoutMs: ctx.testTimeoutMs,
    env: childBaseEnv(),
  });
  if (tests.error || tests.timedOut || tests.exitCode !== 0) {
    // Keep the rebased tree: the developer's next run starts on top of the current target.
    const why = tests.error ?? (tests.timedOut ? 'timed out' : `exit code ${tests.exitCode}`);
    return {
      kind: 'tests_red',
      detail: `tests after rebase onto ${target} failed (${why}):\n${tests.tail}`,
    };
  }
  await git(['push', '--quiet', '--force-with-lease', 'origin', `HEAD:refs/heads/${ctx.branch}`], {
    cwd,
  });
  return {
    kind: 'rebased',
    headSha: await git(['rev-parse', 'HEAD'], { cwd }),
    testTail: tests.tail,
  };
}

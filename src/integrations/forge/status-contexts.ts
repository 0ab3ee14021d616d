import type { CommitStatus } from './forge.js';

/**
 * The commit status contexts Orch posts on a task's head, one per concern, stable across
 * pipeline versions so branch protection can require them (docs/integrations.md lists them; a
 * test keeps the two in step). Gates without a context (analysis, staging, merge…) post nothing.
 */
export const STATUS_CONTEXTS = {
  tests: 'orch/tests',
  review: 'orch/review',
  security: 'orch/security',
} as const;
export type StatusContext = (typeof STATUS_CONTEXTS)[keyof typeof STATUS_CONTEXTS];

const CONTEXT_OF_GATE: Readonly<Record<string, StatusContext>> = {
  check_tests_local: STATUS_CONTEXTS.tests,
  check_tests_passed: STATUS_CONTEXTS.tests,
  check_reviewer_verdict: STATUS_CONTEXTS.review,
  check_review_approved: STATUS_CONTEXTS.review,
  security_gate: STATUS_CONTEXTS.security,
};

/** The status context a gate's result is published under, or null. Pure. */
export function statusContextOf(gate: string): StatusContext | null {
  return CONTEXT_OF_GATE[gate] ?? null;
}

/** A gate result as a commit status, or null for a gate without a context. Pure. */
export function gateCommitStatus(gate: {
  gate: string;
  passed: boolean;
  reason: string;
}): CommitStatus | null {
  const context = statusContextOf(gate.gate);
  if (context === null) return null;
  return {
    context,
    state: gate.passed ? 'success' : 'failure',
    description: `${gate.gate}: ${gate.reason}`.slice(0, 140),
  };
}

/**
 * The statuses to post on the exact head about to be merged (after a rebase it is a new commit
 * that no status names yet): every context whose gate's latest result for the task passed, and
 * `orch/tests` when the tests were just re-run on this head. Pure.
 */
export function mergeHeadStatuses(
  passedGates: readonly string[],
  retested: boolean,
): CommitStatus[] {
  const passed = new Set(passedGates.map(statusContextOf).filter((c) => c !== null));
  if (retested) passed.add(STATUS_CONTEXTS.tests);
  return Object.values(STATUS_CONTEXTS)
    .filter((c) => passed.has(c))
    .map((context) => ({
      context,
      state: 'success' as const,
      description:
        context === STATUS_CONTEXTS.tests && retested
          ? 'tests passed on this head (re-run after rebase)'
          : 'passed in the Orch pipeline; head about to be merged',
    }));
}

import { readFile } from 'node:fs/promises';
import type { GateResult } from '../gates/gate.js';
import type { AdvanceResult, CoreEngine } from './engine.js';
import { extractFindings } from './findings-extract.js';
import { analystRerunPrompt, clip, rollbackPrompt, templateFor } from './prompts.js';
import type { Task } from './task.js';

/**
 * Rollback rules (spec §4.5) for a red gate after an agent finished. Every rollback to
 * development shares one cap (`maxDeveloperRetries`); past it the task is Blocked with an alert.
 */
export type RollbackRule =
  | { kind: 'to_development'; reason: string; findingsFile: string | null }
  | { kind: 'to_analysis'; reason: string }
  | { kind: 'block'; reason: string };

const CHANGES_TOKENS = /REQUEST_CHANGES|CHANGES_REQUESTED|REJECTED/;

/** Which rule applies to a red gate in a stage. Pure. */
export function ruleFor(stage: string, failed: GateResult): RollbackRule {
  if (failed.blocked === true) return { kind: 'block', reason: failed.reason };
  switch (failed.gate) {
    case 'check_reviewer_verdict':
      return CHANGES_TOKENS.test(failed.reason)
        ? {
            kind: 'to_development',
            reason: 'REQUEST_CHANGES from reviewer',
            findingsFile: '12-review.md',
          }
        : { kind: 'block', reason: `reviewer gave no usable verdict: ${failed.reason}` };
    case 'check_tests_passed':
      return { kind: 'to_development', reason: 'Tests FAILED', findingsFile: '13-test-report.md' };
    case 'check_tests_local':
      return {
        kind: 'to_development',
        reason: failed.summary ?? 'Local tests are red',
        findingsFile: null,
      };
    case 'check_staging_status':
      return {
        kind: 'to_development',
        reason: 'Staging FAILED',
        findingsFile: '15-staging-log.md',
      };
    case 'security_gate':
      return { kind: 'to_development', reason: 'Security gate FAILED', findingsFile: null };
    case 'merge_gate':
      return { kind: 'to_development', reason: 'Merge gate FAILED', findingsFile: null };
    case 'staging_provenance':
      // The merge gate stopped before merging: staging does not run the branch head.
      return { kind: 'to_development', reason: 'Staging provenance FAILED', findingsFile: null };
    case 'check_architecture_done':
      return failed.reason.includes('10-conflict.md')
        ? { kind: 'to_analysis', reason: 'Architect conflict. Revise TRZ.' }
        : { kind: 'block', reason: `architecture incomplete: ${failed.reason}` };
    default:
      return { kind: 'block', reason: `${failed.gate} failed in ${stage}: ${failed.reason}` };
  }
}

async function findingsText(
  worktree: string,
  task: Task,
  rule: { findingsFile: string | null },
  failed: GateResult,
) {
  if (rule.findingsFile) {
    try {
      const text = await readFile(
        `${worktree}/docs/work-items/${task.workItemId}/${rule.findingsFile}`,
        'utf8',
      );
      const file = `docs/work-items/${task.workItemId}/${rule.findingsFile}`;
      return `From ${rule.findingsFile} (full text: ${file}):\n${extractFindings(rule.findingsFile, text)}`;
    } catch {
      // fall through to the gate's own evidence
    }
  }
  return `${failed.reason}\n${failed.evidence ?? ''}`;
}

/** Sends the task back to development with the findings, or blocks it at the shared cap. */
export async function rollbackToDevelopment(
  engine: CoreEngine,
  task: Task,
  why: { reason: string; detail: string; gate: string | null },
  findings: string,
  gates: GateResult[],
): Promise<AdvanceResult> {
  const max = engine.project(task).maxDeveloperRetries;
  if (task.devRetries >= max) {
    return engine.block(
      task,
      `${why.reason}; developer retries exhausted (${max}/${max}). Manual intervention needed.`,
      gates,
    );
  }
  const attempt = { n: task.devRetries + 1, max };
  const applied = await engine.apply(task, {
    guard: { stage: task.stage, devRetriesBelow: max },
    set: { stage: 'development', state: 'active', devRetriesIncrement: true },
    event: {
      type: 'rollback',
      message: `${why.reason} → development (retry ${attempt.n}/${max})`,
      detail: { from: task.stage, gate: why.gate },
    },
    gates,
    job: {
      role: 'developer',
      stage: 'development',
      prompt: rollbackPrompt(
        task,
        why.reason,
        findings,
        attempt,
        templateFor(engine.deps.workflows, task, 'developer'),
      ),
    },
    effects: [
      { kind: 'tracker_state', state: 'in_progress' },
      {
        kind: 'comment',
        author: 'orch',
        body: `❌ ${why.reason}: ${why.detail}. Developer relaunched (${attempt.n}/${max}).`,
      },
      {
        kind: 'notify',
        event: {
          type: 'rollback',
          to: 'development',
          message: `${why.reason} (${attempt.n}/${max})`,
        },
      },
    ],
  });
  if (!applied) return { kind: 'noop', reason: 'task moved meanwhile' };
  return {
    kind: 'rolled_back',
    from: task.stage,
    to: 'development',
    jobId: applied.jobId,
    reason: why.reason,
  };
}

async function toAnalysis(
  engine: CoreEngine,
  task: Task,
  reason: string,
  failed: GateResult,
  gates: GateResult[],
): Promise<AdvanceResult> {
  const max = engine.project(task).maxDeveloperRetries;
  if (task.devRetries >= max)
    return engine.block(task, `${reason}; retries exhausted (${max}/${max})`, gates);
  const applied = await engine.apply(task, {
    guard: { stage: task.stage, devRetriesBelow: max },
    set: { stage: 'analysis', state: 'active', devRetriesIncrement: true },
    event: {
      type: 'rollback',
      message: `${reason} → analysis`,
      detail: { from: task.stage, gate: failed.gate },
    },
    gates,
    job: {
      role: 'analyst',
      stage: 'analysis',
      prompt: analystRerunPrompt(task, reason, failed.evidence ?? failed.reason, {
        template: templateFor(engine.deps.workflows, task, 'analyst'),
        textAs: 'findings',
      }),
    },
    effects: [
      { kind: 'tracker_state', state: 'in_progress' },
      {
        kind: 'comment',
        author: 'orch',
        body: `🔁 ${reason}\n\n${clip(failed.evidence ?? '', 500)}`,
      },
      { kind: 'notify', event: { type: 'rollback', to: 'analysis', message: reason } },
    ],
  });
  if (!applied) return { kind: 'noop', reason: 'task moved meanwhile' };
  return { kind: 'rolled_back', from: task.stage, to: 'analysis', jobId: applied.jobId, reason };
}

/** Applies the rollback rule for a red gate after the stage's agent finished. */
export async function rollback(
  engine: CoreEngine,
  task: Task,
  gates: GateResult[],
  worktree: string,
): Promise<AdvanceResult> {
  const failed = gates.at(-1)!;
  const rule = ruleFor(task.stage, failed);
  switch (rule.kind) {
    case 'to_development':
      return rollbackToDevelopment(
        engine,
        task,
        { reason: rule.reason, detail: failed.reason, gate: failed.gate },
        await findingsText(worktree, task, rule, failed),
        gates,
      );
    case 'to_analysis':
      return toAnalysis(engine, task, rule.reason, failed, gates);
    case 'block':
      return engine.block(task, rule.reason, gates);
  }
}

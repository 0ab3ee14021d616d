import { describe, expect, it } from 'vitest';
import { analystRerunPrompt, rollbackPrompt, stagePrompt, templateFor } from './prompts.js';
import type { Task } from './task.js';
import type { Workflow } from './workflow-file.js';

const task = {
  workItemId: 'ET-001',
  title: 'GPX export',
  repo: 'demo',
  branch: 'feature/ET-001-gpx',
  projectKey: 'ET',
} as Task;

const HEADER =
  'Work item: ET-001\nTitle: GPX export\nRepo: demo\nBranch: feature/ET-001-gpx\nStage: development\nArtifacts: docs/work-items/ET-001/';

describe('prompts with a workflow template', () => {
  it('replaces the built-in ask and keeps the header', () => {
    const p = stagePrompt(task, 'developer', 'development', {
      template: 'Build {{work_item.id}} ({{ work_item.title }}) in {{stage}}.{{note}}',
    });
    expect(p).toBe(`${HEADER}\n\nBuild ET-001 (GPX export) in development.\n`);
    expect(stagePrompt(task, 'developer', 'development')).toContain('Implement the work item');
  });

  it('puts the findings where the rollback template places them, else after it', () => {
    const attempt = { n: 2, max: 3 };
    const placed = rollbackPrompt(task, 'Review', 'F1', attempt, 'Retry {{attempt}}: {{findings}}');
    expect(placed).toBe(`${HEADER}\n\nRetry 2/3: F1\n\nReview (developer retry 2/3).\n`);
    const after = rollbackPrompt(task, 'Review', 'F1', attempt, 'Do better.');
    expect(after).toBe(
      `${HEADER}\n\nDo better.\n\nReview (developer retry 2/3).\nFix these findings:\n\nF1\n`,
    );
  });

  it('gives the analyst re-run text to the template as the note', () => {
    const p = analystRerunPrompt(task, 'Rejected:', 'too vague', {
      template: 'Redo {{work_item.id}}: {{note}}',
      textAs: 'note',
    });
    expect(p).toContain('Stage: analysis\n');
    expect(p).toContain('\n\nRedo ET-001: too vague\n\nRejected:\n');
    expect(p).not.toContain('Revise the analysis artifacts');
  });

  it("looks the template up in the project's current workflow", () => {
    const wf: Workflow = { templates: { developer: 'D' } };
    const lookup = { current: (key: string) => (key === 'ET' ? wf : undefined) };
    expect(templateFor(lookup, task, 'developer')).toBe('D');
    expect(templateFor(lookup, task, 'tester')).toBeUndefined();
    expect(templateFor(undefined, task, 'developer')).toBeUndefined();
    expect(templateFor(lookup, { ...task, projectKey: 'XX' }, 'developer')).toBeUndefined();
  });
});

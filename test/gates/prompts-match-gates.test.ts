import { describe, expect, it } from 'vitest';
import {
  checkDeployStatus,
  checkReviewerVerdict,
  checkStagingStatus,
  checkTestsPassed,
} from '../../src/gates/artifact-gates.js';
import type { Gate } from '../../src/gates/gate.js';
import type { Forge } from '../../src/integrations/forge/forge.js';
import { stagePrompt } from '../../src/pipeline/prompts.js';
import type { Task } from '../../src/pipeline/task.js';
import { scratchWorkItem } from '../helpers/work-item.js';

const task = { workItemId: 'ET-001', title: 't', repo: 'demo', branch: 'b' } as Task;
const noForge = {} as Forge;

/** Every `field: VALUE` an agent's instructions offer for `field`, e.g. `verdict: APPROVED`. */
function offered(prompt: string, field: string): string[] {
  return [...prompt.matchAll(new RegExp(`\`${field}: ([A-Z_]+)\``, 'g'))].map((m) => m[1]!);
}

// What each role is told to write must be what its gate reads: the first value offered passes,
// every other one fails (an agent following its prompt never writes a value the gate refuses).
const cases: [string, string, string, string, Gate][] = [
  ['reviewer', 'review', '12-review.md', 'verdict', checkReviewerVerdict],
  ['tester', 'testing', '13-test-report.md', 'result', checkTestsPassed],
  ['deployer', 'deploy-staging', '15-staging-log.md', 'staging_status', checkStagingStatus],
  ['deployer', 'deploy', '14-deploy-log.md', 'deploy_status', checkDeployStatus],
];

describe('agent prompts offer only the verdicts their gates read', () => {
  it.each(cases)('%s in %s: %s %s', async (role, stage, file, field, gate) => {
    const values = offered(stagePrompt(task, role, stage), field);
    expect(values.length, `the ${role} prompt names the ${field} values`).toBeGreaterThan(1);
    for (const [i, value] of values.entries()) {
      const w = scratchWorkItem();
      w.write(file, `---\n${field}: ${value}\n---\n`);
      expect((await gate(w.ctx(noForge))).passed, `${field}: ${value}`).toBe(i === 0);
    }
  });

  it('tells the analyst that the test plan needs a tests: list and no file may be empty', () => {
    const prompt = stagePrompt(task, 'analyst', 'analysis');
    expect(prompt).toContain('`tests:`');
    expect(prompt).toMatch(/none may be empty/);
  });
});

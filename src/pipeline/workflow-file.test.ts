import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  parseWorkflowFile,
  renderTemplate,
  templateVariables,
  type TemplateValues,
  type WorkflowParse,
} from './workflow-file.js';

const VALID = `---
testCommand: [sh, test.sh]
budget:
  perItemUsd: 2
---
# Our workflow

Prose before the first section is ignored.

## developer

Implement {{work_item.id}}: {{ work_item.title }} ({{stage}}, attempt {{ attempt }}).
{{findings}}

\`\`\`sh
## not a section inside a fence
\`\`\`

## reviewer
Review {{work_item.id}}. {{note}}
`;

const errorOf = (r: WorkflowParse): string => (r.ok ? '' : r.error);

describe('parseWorkflowFile', () => {
  it('reads the front matter and one template per role section', () => {
    const r = parseWorkflowFile(VALID);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.workflow.testCommand).toEqual(['sh', 'test.sh']);
    expect(r.workflow.budget).toEqual({ perItemUsd: 2 });
    expect(Object.keys(r.workflow.templates)).toEqual(['developer', 'reviewer']);
    expect(r.workflow.templates.developer).toMatch(/^Implement \{\{work_item\.id\}\}/);
    expect(r.workflow.templates.developer).toContain('## not a section inside a fence');
    expect(r.workflow.templates.reviewer).toBe('Review {{work_item.id}}. {{note}}');
  });

  it('accepts a file without front matter and one with empty front matter', () => {
    expect(parseWorkflowFile('## tester\nRun it.\n')).toMatchObject({
      ok: true,
      workflow: { templates: { tester: 'Run it.' } },
    });
    expect(parseWorkflowFile('---\n---\n## analyst\nAnalyse.\n').ok).toBe(true);
  });

  it('rejects an unknown variable, naming it and the valid ones', () => {
    const r = parseWorkflowFile('## developer\nDo {{work_item.id}} for {{ work_item.owner }}.\n');
    expect(r.ok).toBe(false);
    expect(errorOf(r)).toContain('unknown variable "{{work_item.owner}}"');
    expect(errorOf(r)).toContain('section "## developer"');
    expect(errorOf(r)).toContain('valid: work_item.id, work_item.title, stage, findings');
  });

  it('rejects an unknown front-matter key, naming the valid keys', () => {
    const r = parseWorkflowFile(
      '---\nconcurrency: 2\ntestCommand: [make]\n---\n## developer\nGo.\n',
    );
    expect(r.ok).toBe(false);
    expect(errorOf(r)).toBe(
      'front matter: (top level): unknown key "concurrency" (valid: testCommand, budget, hooks, maxConcurrent, agents, pipeline)',
    );
  });

  it('reads hooks (either spelling, default timeout) and maxConcurrent', () => {
    const r = parseWorkflowFile(
      '---\nmaxConcurrent: 2\nhooks:\n  before_run: make deps\n  afterRun: echo done\n---\n',
    );
    expect(errorOf(r)).toBe('');
    expect(r.ok && r.workflow).toEqual({
      maxConcurrent: 2,
      hooks: { beforeRun: 'make deps', afterRun: 'echo done', timeoutS: 60 },
      templates: {},
    });
  });

  it('reads agents per role, checking the names against the configured profiles when given', () => {
    const text = '---\nagents:\n  developer: dev-alt\n  reviewer: reviewer\n---\n';
    const r = parseWorkflowFile(text, { profiles: ['developer', 'reviewer', 'dev-alt'] });
    expect(r.ok && r.workflow.agents).toEqual({ developer: 'dev-alt', reviewer: 'reviewer' });
    expect(errorOf(parseWorkflowFile(text, { profiles: ['developer', 'reviewer'] }))).toBe(
      'front matter: agents.developer: unknown agent profile "dev-alt" (configured: developer, reviewer)',
    );
    expect(errorOf(parseWorkflowFile('---\nagents:\n  coder: dev-alt\n---\n'))).toContain(
      'agents: unknown key "coder" (valid: analyst, architect, developer, reviewer, tester, deployer)',
    );
  });

  it('builds the stage machine from pipeline overrides, checking gates when given', () => {
    const text =
      '---\npipeline:\n  stages:\n    - { name: review, worker: reviewer, gate: lint_gate }\n---\n';
    const r = parseWorkflowFile(text, {
      gates: (g) => g === 'lint_gate' || g.startsWith('check_'),
    });
    expect(errorOf(r)).toContain('stage deploy-staging names unknown gate "security_gate"');
    const ok = parseWorkflowFile(text, { gates: () => true });
    expect(ok.ok && ok.workflow.pipeline?.stages.find((s) => s.name === 'review')).toEqual({
      name: 'review',
      worker: 'reviewer',
      gate: 'lint_gate',
    });
    expect(ok.ok && ok.workflow.pipeline?.tracks.full).toContain('architecture');
  });

  it('rejects an invalid stage machine and an unknown key inside pipeline', () => {
    expect(
      errorOf(parseWorkflowFile('---\npipeline:\n  tracks:\n    full: [created, nowhere]\n---\n')),
    ).toMatch(/^front matter: pipeline: /);
    expect(errorOf(parseWorkflowFile('---\npipeline:\n  stage: []\n---\n'))).toContain(
      'pipeline: unknown key "stage" (valid: stages, tracks)',
    );
  });

  it('rejects an unknown hook with the hook keys, and a maxConcurrent below 1', () => {
    expect(errorOf(parseWorkflowFile('---\nhooks:\n  beforeStart: x\n---\n'))).toContain(
      'hooks: unknown key "beforeStart" (valid: afterCreate, beforeRun, afterRun, beforeRemove, timeoutS)',
    );
    expect(errorOf(parseWorkflowFile('---\nmaxConcurrent: 0\n---\n'))).toContain(
      'front matter: maxConcurrent:',
    );
  });

  it('rejects an unknown key inside the budget with the budget keys', () => {
    const r = parseWorkflowFile('---\nbudget:\n  perWeekUsd: 3\n---\n');
    expect(errorOf(r)).toContain(
      'budget: unknown key "perWeekUsd" (valid: perRunUsd, perItemUsd, perDayUsd)',
    );
  });

  it('rejects a section that names no role, a repeated role and an empty one', () => {
    expect(errorOf(parseWorkflowFile('## developers\nx\n'))).toContain(
      'line 1: unknown section "## developers" (roles: analyst, architect, developer',
    );
    expect(errorOf(parseWorkflowFile('## tester\na\n## tester\nb\n'))).toContain(
      'section "## tester" appears twice',
    );
    expect(errorOf(parseWorkflowFile('## deployer\n\n## tester\nb\n'))).toContain(
      'section "## deployer" is empty',
    );
  });

  it('rejects broken front matter: bad YAML, no closing line, a wrong type', () => {
    expect(errorOf(parseWorkflowFile('---\ntestCommand: [a\n---\n'))).toMatch(/^front matter: /);
    expect(errorOf(parseWorkflowFile('---\ntestCommand: [a]\n'))).toBe(
      'front matter: no closing "---" line',
    );
    expect(errorOf(parseWorkflowFile('---\ntestCommand: npm test\n---\n'))).toContain(
      'front matter: testCommand:',
    );
  });

  it('parses examples/workflow.md', () => {
    const text = readFileSync(new URL('../../examples/workflow.md', import.meta.url), 'utf8');
    const r = parseWorkflowFile(text);
    expect(errorOf(r)).toBe('');
    expect(r.ok && Object.keys(r.workflow.templates)).toEqual(['developer', 'reviewer']);
  });
});

describe('renderTemplate', () => {
  const values: TemplateValues = {
    'work_item.id': 'ET-7',
    'work_item.title': 'GPX export',
    stage: 'development',
    findings: 'fix {{note}}',
    attempt: '2/3',
    note: '',
  };

  it('fills every variable, whitespace inside the braces allowed, values never re-expanded', () => {
    expect(
      renderTemplate(
        '{{work_item.id}} {{ work_item.title }} {{stage}}: {{findings}} [{{note}}] {{ attempt }}',
        values,
      ),
    ).toBe('ET-7 GPX export development: fix {{note}} [] 2/3');
  });

  it('lists the variables a template uses', () => {
    expect([...templateVariables('{{ note }} and {{findings}} and {{note}}')]).toEqual([
      'note',
      'findings',
    ]);
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Forge } from '../../src/integrations/forge/forge.js';
import type { GateContext } from '../../src/gates/gate.js';

/** A scratch worktree with a work-item folder; `write` puts an artifact into it. */
export function scratchWorkItem(workItemId = 'ET-001') {
  const worktree = mkdtempSync(join(tmpdir(), 'orch-wt-'));
  const dir = join(worktree, 'docs', 'work-items', workItemId);
  mkdirSync(dir, { recursive: true });
  return {
    worktree,
    dir,
    write(file: string, text: string) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    },
    ctx(forge: Forge, overrides: Partial<GateContext> = {}): GateContext {
      return {
        workItemId,
        repo: 'demo',
        branch: `feature/${workItemId}-x`,
        baseBranch: 'main',
        worktree,
        testCommand: ['true'],
        testTimeoutMs: 10_000,
        forge,
        ...overrides,
      };
    },
  };
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProjects } from '../../src/config/projects.js';
import { checkPushTargets } from '../../src/integrations/forge/forge-repos-check.js';

describe('checkPushTargets: where done items are pushed back', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'orch-push-to-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const project = (key: string, pushTo?: string) => ({
    key,
    repo: key.toLowerCase(),
    forge: { kind: 'local', ...(pushTo !== undefined && { pushTo }) },
  });

  it('accepts a working tree and a bare repository, names a path that is neither', () => {
    const work = join(dir, 'work');
    const bare = join(dir, 'bare.git');
    execFileSync('git', ['init', '-q', work]);
    execFileSync('git', ['init', '-q', '--bare', bare]);
    const gone = join(dir, 'gone');
    const { projects } = parseProjects([
      project('WT', work),
      project('BR', bare),
      project('GO', gone),
      project('UR', 'https://git.example/app.git'),
      project('NO'),
    ]);
    const checks = checkPushTargets(projects);
    expect(checks.map((c) => [c.key, c.status])).toEqual([
      ['WT', 'ok'],
      ['BR', 'ok'],
      ['GO', 'missing'],
    ]);
    expect(checks[2]!.detail).toContain(`forge.pushTo ${gone} is not a git repository`);
  });
});

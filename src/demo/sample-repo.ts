import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git } from '../git/git.js';

/**
 * The demo's product: a tiny ESM package with its own `node --test` suite, so the development
 * gate (`check_tests_local`) runs real tests on what the scripted developer writes.
 */
const FILES: Record<string, string> = {
  'package.json': `${JSON.stringify({ name: 'trails', version: '1.0.0', type: 'module', private: true, scripts: { test: 'node --test' } }, null, 2)}\n`,
  'README.md': '# trails\n\nA tiny sample product for the Orch demo.\n',
  'src/trails.js':
    'export function distanceKm(points) {\n  return points.reduce((sum, p) => sum + p.km, 0);\n}\n',
  'test/trails.test.js':
    "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { distanceKm } from '../src/trails.js';\n\ntest('sums segment distances', () => {\n  assert.equal(distanceKm([{ km: 1.5 }, { km: 2 }]), 3.5);\n});\n",
};

export async function createSampleRepo(dir: string): Promise<void> {
  for (const [rel, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  await git(['init', '--quiet', '--initial-branch', 'main'], { cwd: dir });
  await git(['add', '-A'], { cwd: dir });
  await git(['commit', '--quiet', '-m', 'trails: initial commit'], { cwd: dir });
}

export const SAMPLE_TEST_COMMAND = ['node', '--test'] as const;

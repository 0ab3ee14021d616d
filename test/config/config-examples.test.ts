import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfigFile } from '../../src/config/config-file.js';
import { parseProjects } from '../../src/config/projects.js';

/** Every ```yaml block of docs/*.md and README.md that is a config file (agents, projects). */
function configBlocks(): { where: string; yaml: string }[] {
  const files = [
    'README.md',
    ...readdirSync('docs')
      .filter((f) => f.endsWith('.md'))
      .map((f) => join('docs', f)),
  ];
  return files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(/```ya?ml\n([\s\S]*?)```/g)]
      .filter((m) => /^(agents|projects):/m.test(m[1] ?? ''))
      .map((m) => ({
        where: `${file}:${text.slice(0, m.index).split('\n').length}`,
        yaml: m[1] ?? '',
      }));
  });
}

describe('the documented orch.config.yaml examples', () => {
  it('use only keys the config schema knows, with valid values', () => {
    const blocks = configBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) {
      const file = parseConfigFile(parse(b.yaml) as unknown, b.where);
      expect(() => parseProjects(file.projects), b.where).not.toThrow();
    }
  });
});

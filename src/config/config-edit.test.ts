import { describe, expect, it } from 'vitest';
import { isOrchError } from '../errors.js';
import { appendProject } from './config-edit.js';
import { parseConfigFile } from './config-file.js';
import { parse } from 'yaml';

const entry = {
  key: 'APP',
  repo: 'app',
  tracker: { kind: 'local', approvers: ['alice'] },
  forge: { kind: 'local', baseBranch: 'main', pushTo: '/srv/app' },
  testCommand: ['npm', 'test'],
};

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return isOrchError(err) ? err.code : 'not an OrchError';
  }
  return undefined;
};

describe('appendProject', () => {
  it('appends after existing projects and keeps every comment', () => {
    const text = [
      '# my agents',
      'agents:',
      '  defaults: { adapter: codex } # codex everywhere',
      'projects:',
      '  # the first one',
      '  - key: ET',
      '    repo: trails',
      '',
    ].join('\n');
    const out = appendProject(text, entry, 'orch.config.yaml');
    expect(out).toContain('# my agents');
    expect(out).toContain('# codex everywhere');
    expect(out).toContain('# the first one');
    expect(out).toContain('testCommand: [npm, test]');
    const parsed = parseConfigFile(parse(out));
    expect(parsed.projects.map((p) => p.key)).toEqual(['ET', 'APP']);
  });

  it('adds a projects list to a file without one', () => {
    const out = appendProject('agents: {}\n', entry, 'f');
    expect(parseConfigFile(parse(out)).projects[0]?.forge).toMatchObject({ pushTo: '/srv/app' });
  });

  it('refuses a duplicate key or repository, and a file that does not validate', () => {
    const text = 'projects:\n  - { key: APP, repo: other }\n';
    expect(codeOf(() => appendProject(text, entry, 'f'))).toBe('PROJECT_EXISTS');
    const sameRepo = 'projects:\n  - { key: ET, repo: app }\n';
    expect(codeOf(() => appendProject(sameRepo, entry, 'f'))).toBe('PROJECT_EXISTS');
    expect(codeOf(() => appendProject('projekts: []\n', entry, 'f'))).toBe('CONFIG_INVALID');
    expect(codeOf(() => appendProject('agents: {}\n', { ...entry, key: 'bad key' }, 'f'))).toBe(
      'CONFIG_INVALID',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { parseProjects } from '../config/projects.js';
import { isOrchError } from '../errors.js';
import type { Forge } from '../integrations/forge/forge.js';
import type { Tracker } from '../integrations/tracker/tracker.js';
import { buildProjects } from '../pipeline/build-projects.js';
import { jsonFieldOf, parseRevision, revisionMatches } from './staging-provenance.js';

const HEAD = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';

describe('revisionMatches', () => {
  it('matches the full head SHA, whatever its case and surrounding whitespace', () => {
    expect(revisionMatches(HEAD, HEAD)).toBe(true);
    expect(revisionMatches(`  ${HEAD.toUpperCase()}\n`, HEAD)).toBe(true);
  });

  it('matches a prefix of the head of at least 7 hex characters', () => {
    expect(revisionMatches('9f8e7d6', HEAD)).toBe(true);
    expect(revisionMatches('9F8E7D6C5B', HEAD)).toBe(true);
  });

  it('refuses a prefix shorter than 7 characters, another SHA, a longer text and non-hex', () => {
    expect(revisionMatches('9f8e7d', HEAD)).toBe(false);
    expect(revisionMatches('', HEAD)).toBe(false);
    expect(revisionMatches('1a2b3c4', HEAD)).toBe(false);
    expect(revisionMatches(`${HEAD}0`, HEAD)).toBe(false);
    expect(revisionMatches('9f8e7d6-dirty', HEAD)).toBe(false);
  });
});

describe('parseRevision', () => {
  it('reads one SHA, trimmed and lower-cased', () => {
    expect(parseRevision(' 9F8E7D6\n')).toEqual({ kind: 'read', revision: '9f8e7d6' });
  });

  it('calls an empty text or one that is not a SHA unreadable, saying what was reported', () => {
    expect(parseRevision('  \n')).toMatchObject({ kind: 'unreadable' });
    const html = parseRevision('<html>Not Found</html>');
    expect(html).toEqual({
      kind: 'unreadable',
      detail: 'staging reported "<html>not found</html>", not a commit SHA',
    });
  });
});

describe('jsonFieldOf', () => {
  it('follows a dotted path through objects and array indexes', () => {
    const body = { revision: 'a', build: { sha: 'b' }, builds: [{ sha: 'c' }] };
    expect(jsonFieldOf(body, 'revision')).toBe('a');
    expect(jsonFieldOf(body, 'build.sha')).toBe('b');
    expect(jsonFieldOf(body, 'builds.0.sha')).toBe('c');
  });

  it('is undefined for a missing key or a path through a non-object', () => {
    expect(jsonFieldOf({ build: { sha: 'b' } }, 'build.rev')).toBeUndefined();
    expect(jsonFieldOf({ build: 'x' }, 'build.sha')).toBeUndefined();
    expect(jsonFieldOf(null, 'revision')).toBeUndefined();
  });
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isOrchError(err) ? err.code : 'NOT_ORCH_ERROR';
  }
  return undefined;
}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

const withProvenance = (provenance: unknown) => [
  { key: 'SP', repo: 'sp', deploy: { staging: { command: ['./deploy.sh'], provenance } } },
];

const parts = {
  localForge: {} as Forge,
  localTracker: {} as Tracker,
  plane: null,
  gitea: null,
};

describe('deploy.staging.provenance config', () => {
  it('maps a command source to milliseconds, 30 s by default', () => {
    const cfg = parseProjects(withProvenance({ command: ['cat', 'REVISION'] }));
    const [p] = buildProjects(cfg, parts);
    expect(p!.deploy?.staging?.provenance).toEqual({
      kind: 'command',
      command: ['cat', 'REVISION'],
      timeoutMs: 30_000,
    });
  });

  it('maps a URL source with its JSON field and timeout', () => {
    const url = { url: 'https://staging.example/version', jsonField: 'build.sha', timeoutS: 5 };
    const [p] = buildProjects(parseProjects(withProvenance(url)), parts);
    expect(p!.deploy?.staging?.provenance).toEqual({
      kind: 'url',
      url: 'https://staging.example/version',
      jsonField: 'build.sha',
      timeoutMs: 5000,
    });
  });

  it('rejects neither or both sources with a CONFIG_INVALID that says so', () => {
    expect(codeOf(() => parseProjects(withProvenance({})))).toBe('CONFIG_INVALID');
    expect(messageOf(() => parseProjects(withProvenance({})))).toContain(
      'projects[0].deploy.staging.provenance: provenance needs exactly one of command or url',
    );
    const both = { command: ['cat', 'REVISION'], url: 'https://staging.example/version' };
    expect(messageOf(() => parseProjects(withProvenance(both)))).toContain(
      'provenance needs exactly one of command or url',
    );
  });

  it('rejects unknown keys, jsonField without a url, and provenance on production', () => {
    const typo = { url: 'https://staging.example/version', field: 'sha' };
    expect(codeOf(() => parseProjects(withProvenance(typo)))).toBe('CONFIG_INVALID');
    const stray = { command: ['cat', 'REVISION'], jsonField: 'sha' };
    expect(messageOf(() => parseProjects(withProvenance(stray)))).toContain(
      'provenance.jsonField applies to url only',
    );
    const production = { production: { provenance: { command: ['cat', 'REVISION'] } } };
    expect(codeOf(() => parseProjects([{ key: 'SP', repo: 'sp', deploy: production }]))).toBe(
      'CONFIG_INVALID',
    );
  });
});

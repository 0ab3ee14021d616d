import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOwnership } from './fs-ownership.js';

function tree(): string {
  const root = mkdtempSync(join(tmpdir(), 'orch-own-'));
  mkdirSync(join(root, 'repos', 'app'), { recursive: true });
  writeFileSync(join(root, 'repos', 'app', 'README.md'), 'x');
  writeFileSync(join(root, 'orch.db'), 'x');
  return root; // 5 entries: root, repos, repos/app, README.md, orch.db
}

describe('checkOwnership', () => {
  const uid = process.getuid!();
  const gid = process.getgid!();

  it('finds nothing foreign in a tree Orch created', async () => {
    const root = tree();
    const r = await checkOwnership({ roots: [root], uid, gid, nowMs: 7 });
    expect(r).toEqual({
      enabled: true,
      uid,
      checkedAtMs: 7,
      scanned: 5,
      truncated: false,
      foreign: 0,
      examples: [],
      fix: null,
    });
  });

  it('reports files another user owns with the chown that fixes them', async () => {
    const root = tree();
    // Seen from another uid, every file is foreign: the same as a tree left behind by root.
    const r = await checkOwnership({
      roots: [root, '/does/not/exist'],
      uid: uid + 1,
      gid,
      nowMs: 0,
    });
    expect(r.foreign).toBe(5);
    expect(r.scanned).toBe(5);
    expect(r.examples).toHaveLength(5);
    expect(r.examples.every((e) => e.uid === uid && e.path.startsWith(root))).toBe(true);
    expect(r.fix).toBe(`sudo chown -R ${uid + 1}:${gid} ${JSON.stringify(root)}`);
  });

  it('stops at the entry bound and says so', async () => {
    const r = await checkOwnership({ roots: [tree()], uid, gid, nowMs: 0, maxEntries: 2 });
    expect(r).toMatchObject({ scanned: 2, truncated: true, foreign: 0 });
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orchInProcess as orch } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'orch-token-cli-'));
const db = `sqlite:${join(dir, 'orch.db')}`;
beforeAll(async () => {
  expect((await orch(['db', 'migrate', '--db', db])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('orch token', () => {
  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const args = ['--tenant', 'acme', '--name', 'scanner', '--kinds', 'scan,zap', '--db', db];
    const created = await orch(['token', 'create', ...args, '--expires-in', '3600', '--json']);
    expect(created.code).toBe(0);
    const { id, token } = JSON.parse(created.stdout) as { id: number; token: string };
    expect(token).toMatch(/^orch_at_/);
    const listed = await orch(['token', 'list', '--json', '--db', db]);
    expect(listed.stdout).not.toContain(token);
    const [info] = JSON.parse(listed.stdout) as { id: number; expiresAtMs: number | null }[];
    expect(info).toMatchObject({ id, revokedAtMs: null });
    expect(info!.expiresAtMs).not.toBeNull();
    const revoked = await orch(['token', 'revoke', String(id), '--json', '--db', db]);
    const after = JSON.parse(revoked.stdout) as { id: number; revokedAtMs: number | null };
    expect(after.id).toBe(id);
    expect(after.revokedAtMs).not.toBeNull();
    const active = await orch(['token', 'list', '--active', '--json', '--db', db]);
    expect(JSON.parse(active.stdout)).toEqual([]);
  });

  it('refuses an internal kind or Orch’s own tenant (exit 1) and a bad id (exit 2)', async () => {
    const base = ['token', 'create', '--name', 'n', '--db', db];
    const internal = await orch([...base, '--tenant', 'acme', '--kinds', 'developer']);
    expect(internal.code).toBe(1);
    expect(internal.stderr).toContain('KIND_RESERVED');
    const own = await orch([...base, '--tenant', 'default', '--kinds', 'scan']);
    expect(own.stderr).toContain('TENANT_RESERVED');
    expect((await orch(['token', 'revoke', 'abc', '--db', db])).code).toBe(2);
  });
});

describe('orch token create --help', () => {
  it('marks the options it cannot run without as required, and only those', async () => {
    const r = await orch(['token', 'create', '--help']);
    expect(r.code).toBe(0);
    // One entry per option: its line plus the lines its description wrapped onto.
    const entries = r.stdout.split(/\n(?=\s{2}-)/).map((e) => e.replace(/\s+/g, ' ').trim());
    const line = (flag: string) => entries.find((e) => e.startsWith(flag));
    for (const flag of ['--tenant', '--name', '--kinds'])
      expect(line(flag)).toMatch(/\(required\)$/);
    expect(line('--expires-in')).not.toContain('(required)');
  });
});

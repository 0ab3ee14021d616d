import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readDeployedRevision,
  stagingProvenance,
  type ProvenanceSource,
} from '../../src/gates/staging-provenance.js';

/**
 * Reading staging's revision for real: commands are real processes in a directory standing in for
 * the worktree, and URLs are served by a loopback HTTP server that records what it was asked.
 */
const HEAD = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';
const cwd = mkdtempSync(join(tmpdir(), 'orch-provenance-'));
writeFileSync(join(cwd, 'REVISION'), `${HEAD}\n`);

let server: Server;
let base = '';
const requests: string[] = [];
const routes: Record<string, { status: number; type: string; body: string }> = {
  '/plain': { status: 200, type: 'text/plain', body: '9F8E7D6\n' },
  '/json': {
    status: 200,
    type: 'application/json',
    body: JSON.stringify({ build: { sha: '1a2b3c4d5e6f', at: 1 } }),
  },
  '/down': { status: 503, type: 'text/plain', body: 'maintenance' },
  '/html': { status: 200, type: 'text/html', body: '<html>hello</html>' },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const r = routes[req.url ?? ''] ?? { status: 404, type: 'text/plain', body: 'no' };
    res.writeHead(r.status, { 'content-type': r.type });
    res.end(r.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const command = (...argv: string[]): ProvenanceSource => ({
  kind: 'command',
  command: argv,
  timeoutMs: 10_000,
});
const url = (path: string, jsonField?: string): ProvenanceSource => ({
  kind: 'url',
  url: `${base}${path}`,
  jsonField,
  timeoutMs: 10_000,
});

describe('readDeployedRevision', () => {
  it('runs the command in the worktree and reads the last line it prints on stdout', async () => {
    expect(await readDeployedRevision(command('cat', 'REVISION'), { cwd })).toEqual({
      kind: 'read',
      revision: HEAD,
    });
    const chatty = command('sh', '-c', 'echo "fetching..."; echo warn >&2; echo 1A2B3C4; echo');
    expect(await readDeployedRevision(chatty, { cwd })).toEqual({
      kind: 'read',
      revision: '1a2b3c4',
    });
  });

  it('gives the command only the allowlisted environment', async () => {
    process.env.ORCH_PROVENANCE_TEST_SECRET = 'deadbeef00';
    try {
      const leak = command('sh', '-c', 'echo "${ORCH_PROVENANCE_TEST_SECRET:-absent}"');
      expect(await readDeployedRevision(leak, { cwd })).toMatchObject({
        kind: 'unreadable',
        detail: 'staging reported "absent", not a commit SHA',
      });
    } finally {
      delete process.env.ORCH_PROVENANCE_TEST_SECRET;
    }
  });

  it('calls a failing, missing or timed-out command unreadable with the reason', async () => {
    const failing = await readDeployedRevision(command('sh', '-c', 'echo nope >&2; exit 3'), {
      cwd,
    });
    expect(failing).toEqual({
      kind: 'unreadable',
      detail: '`sh -c echo nope >&2; exit 3` failed (exit code 3): nope',
    });
    const missing = await readDeployedRevision(command('no-such-binary-orch'), { cwd });
    expect(missing).toMatchObject({ kind: 'unreadable' });
    expect(missing.kind === 'unreadable' && missing.detail).toContain('could not run');
    const slow = { ...command('sleep', '30'), timeoutMs: 200 };
    expect(await readDeployedRevision(slow, { cwd })).toEqual({
      kind: 'unreadable',
      detail: '`sleep 30` timed out after 200 ms',
    });
  });

  it('GETs a URL whose body is the revision as plain text', async () => {
    expect(await readDeployedRevision(url('/plain'), { cwd })).toEqual({
      kind: 'read',
      revision: '9f8e7d6',
    });
    expect(requests).toContain('GET /plain');
  });

  it('reads a dotted JSON field of the body', async () => {
    expect(await readDeployedRevision(url('/json', 'build.sha'), { cwd })).toEqual({
      kind: 'read',
      revision: '1a2b3c4d5e6f',
    });
  });

  it('calls a non-2xx answer, a missing or non-string field and a body without a SHA unreadable', async () => {
    expect(await readDeployedRevision(url('/down'), { cwd })).toEqual({
      kind: 'unreadable',
      detail: `GET ${base}/down: HTTP 503`,
    });
    expect(await readDeployedRevision(url('/json', 'build.rev'), { cwd })).toEqual({
      kind: 'unreadable',
      detail: `GET ${base}/json: no string at "build.rev"`,
    });
    expect(await readDeployedRevision(url('/json', 'build.at'), { cwd })).toMatchObject({
      kind: 'unreadable',
    });
    expect(await readDeployedRevision(url('/html', 'sha'), { cwd })).toEqual({
      kind: 'unreadable',
      detail: `GET ${base}/html: the body is not JSON`,
    });
    expect(await readDeployedRevision(url('/html'), { cwd })).toMatchObject({
      kind: 'unreadable',
    });
  });

  it('calls an unreachable URL unreadable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const gone: ProvenanceSource = {
      kind: 'url',
      url: `http://127.0.0.1:${port}/version`,
      timeoutMs: 5000,
    };
    expect(await readDeployedRevision(gone, { cwd })).toMatchObject({ kind: 'unreadable' });
  });
});

describe('stagingProvenance', () => {
  it('is ok when staging runs the head, in full or abbreviated', async () => {
    expect(await stagingProvenance({ worktree: cwd }, command('cat', 'REVISION'), HEAD)).toEqual({
      kind: 'ok',
      revision: HEAD,
      reason: 'staging runs 9f8e7d6…, the branch head',
    });
    expect(await stagingProvenance({ worktree: cwd }, url('/plain'), HEAD)).toMatchObject({
      kind: 'ok',
    });
  });

  it('is a mismatch naming both revisions when staging runs something else', async () => {
    expect(await stagingProvenance({ worktree: cwd }, url('/json', 'build.sha'), HEAD)).toEqual({
      kind: 'mismatch',
      revision: '1a2b3c4d5e6f',
      reason: 'staging runs 1a2b3c4… but the branch head is 9f8e7d6…',
    });
  });

  it('shows the revisions in full when their first 7 characters agree', async () => {
    const near = command('echo', '9f8e7d6c5b4a0000');
    expect(await stagingProvenance({ worktree: cwd }, near, HEAD)).toMatchObject({
      kind: 'mismatch',
      reason: `staging runs 9f8e7d6c5b4a0000 but the branch head is ${HEAD}`,
    });
  });

  it('is unreadable with the reason when the revision cannot be read', async () => {
    expect(await stagingProvenance({ worktree: cwd }, url('/down'), HEAD)).toEqual({
      kind: 'unreadable',
      reason: `staging's revision is unreadable: GET ${base}/down: HTTP 503`,
    });
  });
});

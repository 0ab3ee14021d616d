import { afterEach, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDialect } from '../helpers/test-db.js';
import type { Db } from '../../src/store/db.js';
import { Fuzz } from './fuzz-gen.js';
import { ADMIN, bearer, createToken, lease, makeServer } from './http-helpers.js';

const TABLES = [
  'tenants',
  'agent_tokens',
  'agents',
  'runs',
  'run_events',
  'artifacts',
  'findings',
  'job_events',
  'jobs',
];

async function snapshot(db: Db): Promise<string> {
  const parts: string[] = [];
  for (const t of TABLES) {
    const rows = await db.all<Record<string, unknown>>(`select * from ${t} order by 1`);
    // A token's last use changes with every authenticated request; it is not a write by the fuzz.
    for (const r of rows) delete r.last_used_at_ms;
    parts.push(`${t}:${JSON.stringify(rows)}`);
  }
  return parts.join('\n');
}

interface Target {
  url: string;
  headers: Record<string, string>;
  /** A valid body; every fuzzed body breaks it. */
  valid: Record<string, unknown>;
  /** Whether any extra object (unknown keys only) would be valid: then only typed breakage. */
  allOptional?: boolean;
}

/** One body that must be rejected: wrong top-level type, missing/wrong field, or bad JSON text. */
function breakBody(f: Fuzz, t: Target): { payload: string; contentType: string | undefined } {
  const validText = JSON.stringify(t.valid);
  const keys = Object.keys(t.valid);
  const mode = f.int(t.allOptional ? 4 : 5);
  const json = (v: unknown) => ({ payload: JSON.stringify(v), contentType: 'application/json' });
  switch (mode) {
    case 0:
      return json(f.pick([null, true, 3, 'str', [], [t.valid], f.string()]));
    case 1: {
      const key = f.pick(keys);
      return json({ ...t.valid, [key]: f.wrongType(t.valid[key]) });
    }
    case 2:
      return { payload: f.malformedText(validText), contentType: 'application/json' };
    case 3:
      return {
        payload: f.malformedText(validText),
        contentType: f.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml']),
      };
    default: {
      const o = { ...t.valid };
      delete o[f.pick(keys)];
      return json({ ...o, [f.string()]: f.value() });
    }
  }
}

describeEachDialect('http fuzz', ({ current }) => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers 2,000+ random and malformed POST bodies with 4xx and writes nothing', async () => {
    const s = makeServer(current().db);
    app = s.app;
    const token = await createToken(s.app, { tenant_id: 'acme', kinds: ['scan'] });
    await s.queue.enqueue({ kind: 'scan', tenantId: 'acme', runId: null });
    const run = await s.app.inject({
      method: 'POST',
      url: '/v2/runs',
      headers: bearer(token),
      payload: { plan: [{ kind: 'scan' }] },
    });
    const runId = run.json<{ id: number }>().id;
    const [job] = await lease(s.app, token);
    const agent = bearer(token);
    const lt = job!.lease_token;
    const targets: Target[] = [
      {
        url: '/v2/agent_tokens',
        headers: ADMIN,
        valid: { tenant_id: 'acme', name: 'n', kinds: ['scan'] },
      },
      {
        url: '/v2/agents/lease2',
        headers: agent,
        valid: { kinds: ['scan'], labels: [], max: 1, wait_ms: 0 },
        allOptional: true,
      },
      { url: `/v2/jobs/${job!.id}/heartbeat`, headers: agent, valid: { lease_token: lt } },
      {
        url: `/v2/jobs/${job!.id}/events`,
        headers: agent,
        valid: { lease_token: lt, type: 'job.progress' },
      },
      {
        url: `/v2/jobs/${job!.id}/complete`,
        headers: agent,
        valid: { lease_token: lt, status: 'succeeded' },
      },
      { url: '/v2/runs', headers: agent, valid: { plan: [{ kind: 'scan' }] } },
      {
        url: `/v2/runs/${runId}/artifacts`,
        headers: agent,
        valid: { label: 'l', kind: 'report', content_base64: 'aGk=' },
      },
      { url: `/v2/runs/${runId}/findings`, headers: agent, valid: { findings: [{ title: 't' }] } },
      { url: '/admin/jobs/999999/retry', headers: ADMIN, valid: { x: 1 } },
      { url: '/admin/jobs/999999/cancel', headers: ADMIN, valid: { x: 1 } },
    ];
    const before = await snapshot(s.deps.db);
    const f = new Fuzz(20261122);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 2200; i++) {
      const t = targets[i % targets.length]!;
      const { payload, contentType } = breakBody(f, t);
      const headers = contentType ? { ...t.headers, 'content-type': contentType } : t.headers;
      const res = await s.app.inject({ method: 'POST', url: t.url, headers, payload });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode < 400 || res.statusCode >= 500) {
        throw new Error(
          `${t.url} answered ${res.statusCode} to ${payload.slice(0, 200)}: ${res.body.slice(0, 200)}`,
        );
      }
      expect(res.json<{ error: { code: string } }>().error.code).toMatch(/^[A-Z_]+$/);
    }
    expect(await snapshot(s.deps.db)).toBe(before);
    expect([...statuses.keys()].every((c) => c >= 400 && c < 500)).toBe(true);
  });
});

import { expect, it } from 'vitest';
import { serverForRuntime } from '../../src/http/runtime-server.js';
import type { AgentMetrics, CostMetrics } from '../../src/metrics/run-stats.js';
import type { StageMetrics } from '../../src/metrics/store-metrics.js';
import { describeEachDialect } from '../helpers/test-db.js';
import { drive, fileItem, matrixRuntime } from './failure-matrix-harness.js';

/**
 * Metrics that are true (issue 17): one demo item (the reviewer asks for changes once) runs end
 * to end with real scripted agents, then GET /metrics reports it — the JSON envelope and the
 * Prometheus text — from the store.
 */
const TOKEN = 'metrics-admin-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const ROLES = ['analyst', 'architect', 'developer', 'reviewer', 'tester', 'deployer'];

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments skipped). */
function parseProm(text: string): Sample[] {
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z0-9_:]+)(?:\{(.*)\})? (\S+)$/.exec(line)!;
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!]),
      );
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);

describeEachDialect('GET /metrics after a demo item', ({ current }) => {
  it('reports stages, agents and cost in the JSON and non-zero run and cost series in the text', async () => {
    const { rt } = await matrixRuntime(
      current().url,
      [{ key: 'MT', scenario: { reviewer: 'request_changes_once' } }],
      { env: { ORCH_ADMIN_TOKEN: TOKEN } },
    );
    try {
      const task = await fileItem(rt, 'MT');
      await rt.start({ daemons: false });
      await drive(rt, [task.id], (t) => t.state === 'done', 150_000);
      // A lease nobody renews (a remote agent that vanished): the reaper expires it.
      await rt.queue.enqueue({ kind: 'remote.scan' });
      await rt.queue.claim({ kinds: ['remote.scan'], leaseMs: 1, owner: 'gone' });
      await new Promise((r) => setTimeout(r, 20));
      await rt.recovery.reaper.runOnce();
      // A kind whose breaker opened (transient failures in a row) shows in orch_breaker_state.
      let opened = false;
      for (let i = 0; i < 20 && !opened; i++)
        opened = (await rt.breakers.record('remote.scan', 'transient')).opened;

      const app = serverForRuntime(rt);
      const res = await app.inject({
        url: '/metrics',
        headers: { ...AUTH, accept: 'application/json' },
      });
      expect(res.statusCode).toBe(200);
      const body = res.json<{
        schema_version: number;
        stages: StageMetrics[];
        agents: AgentMetrics[];
        cost: CostMetrics;
      }>();
      expect(body.schema_version).toBe(1);

      const stages = Object.fromEntries(body.stages.map((s) => [s.stage, s]));
      expect(body.stages.map((s) => s.stage)).toEqual(expect.arrayContaining(['review', 'done']));
      expect(stages.review!.rollbacks).toBe(1);
      expect(stages.development!.time_in_stage_s.count).toBe(2);
      for (const s of ['analysis', 'architecture', 'review', 'testing', 'deploy']) {
        expect(stages[s]!.time_in_stage_s.count, s).toBeGreaterThan(0);
      }
      expect(body.stages.every((s) => s.items === 0)).toBe(true);

      const agents = Object.fromEntries(body.agents.map((a) => [a.kind, a]));
      for (const role of ROLES) {
        expect(agents[role]?.runs, role).toBeGreaterThan(0);
        expect(agents[role]!.outcomes.success, role).toBe(agents[role]!.runs);
        expect(agents[role]!.cost_usd, role).toBeGreaterThan(0);
        expect(agents[role]!.duration_s.p50, role).toBeGreaterThan(0);
      }
      expect(agents.developer!.runs).toBe(2);
      expect(agents.reviewer!.runs).toBe(2);

      const stored = await rt.db.get<{ cost: number | string; n: number | string }>(
        'select sum(cost_usd) as cost, count(*) as n from agent_runs',
      );
      const totalUsd = Number(stored!.cost);
      expect(totalUsd).toBeGreaterThan(0);
      expect(body.cost.total_usd).toBeCloseTo(totalUsd, 6);
      expect(body.cost.by_day).toHaveLength(1);
      expect(body.cost.by_day[0]!.runs).toBe(Number(stored!.n));
      expect(body.cost.by_item).toEqual([
        expect.objectContaining({ work_item_id: task.workItemId, runs: Number(stored!.n) }),
      ]);
      expect(body.cost.by_item[0]!.cost_usd).toBeCloseTo(totalUsd, 6);

      const text = await app.inject({ url: '/metrics', headers: AUTH });
      expect(text.statusCode).toBe(200);
      const samples = parseProm(text.body);
      for (const role of ROLES) {
        const runs = value(samples, 'orch_agent_runs_total', { kind: role, outcome: 'success' });
        expect(runs, role).toBe(agents[role]!.runs);
        const usd = value(samples, 'orch_agent_cost_usd_total', { kind: role });
        expect(usd, role).toBeCloseTo(agents[role]!.cost_usd, 6);
        expect(
          value(samples, 'orch_agent_tokens_total', { kind: role, direction: 'input' }),
          role,
        ).toBeGreaterThan(0);
        // Every local claim of the role was counted by this process.
        const claims = value(samples, 'orch_job_claims_total', { kind: role, source: 'local' });
        expect(claims, role).toBe(agents[role]!.runs);
      }
      expect(value(samples, 'orch_agent_cost_usd_total', {})).toBeCloseTo(totalUsd, 6);
      expect(value(samples, 'orch_rollbacks_total', { stage: 'review' })).toBe(1);
      const verdicts = { stage: 'review', gate: 'check_reviewer_verdict' };
      expect(value(samples, 'orch_gate_results_total', { ...verdicts, verdict: 'fail' })).toBe(1);
      expect(value(samples, 'orch_gate_results_total', { ...verdicts, verdict: 'pass' })).toBe(1);
      expect(value(samples, 'orch_lease_expirations_total', { kind: 'remote.scan' })).toBe(1);
      expect(value(samples, 'orch_breaker_state', { kind: 'remote.scan' })).toBe(2);
      expect(value(samples, 'orch_stage_items', { stage: 'review' })).toBe(0);
      expect(
        value(samples, 'orch_stage_duration_seconds', { stage: 'review', quantile: '0.95' }),
      ).toBeGreaterThan(0);
      expect(
        value(samples, 'orch_agent_run_duration_seconds', { kind: 'developer', quantile: '0.5' }),
      ).toBeGreaterThan(0);
    } finally {
      await rt.stop();
    }
  }, 240_000);
});

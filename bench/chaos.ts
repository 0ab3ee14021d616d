/**
 * `npm run chaos -- [--db sqlite|postgres|<url>] [--items 50] [--kills 5] [--concurrency 4]
 *   [--dist|--tsx] [--scenario reviewer=request_changes_once] [--keep] [--json]`
 *
 * Chaos run (issue #6): work items through the full pipeline with the scripted agents while
 * `orch serve` is killed with SIGKILL at random moments and restarted. Prints the figures and
 * exits 1 if an invariant broke (an item not in a final state, a job lost, a side effect twice).
 * By default `orch` runs from a fresh esbuild bundle of the working tree (agents start in ~0.3 s);
 * `--dist` uses the compiled CLI (`npm run build` first), `--tsx` the source through tsx (slow).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { runChaos, type ChaosReport } from './chaos/chaos-run.js';

const ADMIN_URL = process.env.ORCH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

async function withAdmin(fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    await fn(c);
  } finally {
    await c.end();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)]!;
}

function print(r: ChaosReport): void {
  const c = r.checks;
  const lines = [
    `chaos: ${r.items} items, ${r.kills} × kill -9, ${(r.durationMs / 1000).toFixed(1)} s (${r.dbUrl})`,
    `  recovery (kill → restarted & recovered): min ${Math.min(...r.recoveryMs)} ms, median ${median(r.recoveryMs)} ms, max ${Math.max(...r.recoveryMs)} ms`,
    `  startup recovery: ${r.counters.startupRequeued} jobs requeued, ${r.counters.startupFinished} finished (exit 0), ${r.counters.startupFailed} failed, ${r.counters.orphanAgentsStopped} orphaned agents stopped, ${r.counters.orphanRuns} orphan runs closed`,
    `  reaper: ${r.counters.reaped} jobs reaped, ${r.counters.leaseExpired} leases expired; reconciler actions: ${r.counters.reconcilerActions}`,
    `  tasks: ${c.done} done, ${c.blocked.length} blocked, ${c.cancelled} cancelled, ${c.unfinished.length} unfinished; live jobs at end: ${c.liveJobs}`,
    `  agent runs: ${c.agentRuns}; ledger entries: ${c.ledgerEntries}; duplicate attempts: ${c.duplicateAttempts.length}; double merges: ${c.doubleMerges.length}; duplicate advances: ${c.duplicateAdvances.length}`,
    `  result: ${c.ok ? 'OK' : 'FAILED'}`,
  ];
  for (const b of c.blocked) lines.push(`  blocked ${b.workItemId}: ${b.reason ?? '(no reason)'}`);
  for (const u of c.unfinished) lines.push(`  unfinished ${u}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const db = arg('db', 'sqlite');
  let dbUrl = db;
  let dropDb: string | null = null;
  if (db === 'postgres') {
    dropDb = `orch_chaos_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    await withAdmin((c) => c.query(`create database "${dropDb}"`));
    const u = new URL(ADMIN_URL);
    u.pathname = `/${dropDb}`;
    dbUrl = u.toString();
  } else if (db === 'sqlite') {
    dbUrl = ''; // set below, inside the workspace
  }
  try {
    const report = await runChaos({
      dbUrl,
      items: Number(arg('items', '50')),
      kills: Number(arg('kills', '5')),
      concurrency: Number(arg('concurrency', '4')),
      killGapMs: [Number(arg('min-gap-ms', '4000')), Number(arg('max-gap-ms', '20000'))],
      timeoutMs: Number(arg('timeout-s', '3600')) * 1000,
      cli: flag('dist') ? 'dist' : flag('tsx') ? 'tsx' : 'bundle',
      ...(flag('scenario') ? { scenario: arg('scenario', '') } : {}),
      keep: flag('keep'),
      progress: (l) => {
        if (!flag('json')) process.stdout.write(`${l}\n`);
      },
    });
    if (flag('json')) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else print(report);
    process.exitCode = report.checks.ok ? 0 : 1;
  } finally {
    if (dropDb && !flag('keep'))
      await withAdmin((c) => c.query(`drop database if exists "${dropDb}" with (force)`));
  }
}

await main();

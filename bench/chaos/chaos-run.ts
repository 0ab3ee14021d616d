import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { parseConfigFile } from '../../src/config/config-file.js';
import { createSampleRepo } from '../../src/demo/sample-repo.js';
import { silentLogger } from '../../src/log.js';
import { intake } from '../../src/pipeline/intake.js';
import { DEFAULT_PIPELINE } from '../../src/pipeline/stages.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { checkChaos, type ChaosChecks } from './chaos-check.js';
import { bundleCli } from './bundle-cli.js';
import { emptyCounters, orchArgv, ServeProcess, type ServeCounters } from './serve-process.js';

export interface ChaosOptions {
  dbUrl: string;
  items: number;
  kills: number;
  concurrency: number;
  /** Random pause between a (re)start and the next kill -9. */
  killGapMs: [number, number];
  timeoutMs: number;
  /** How `orch` runs: a fresh esbuild bundle of the working tree (default), `dist`, or tsx. */
  cli: 'bundle' | 'dist' | 'tsx';
  /** Sim-agent scenario for every item, e.g. `reviewer=request_changes_once`. */
  scenario?: string;
  progress?: (line: string) => void;
  keep?: boolean;
}

export interface ChaosReport {
  dbUrl: string;
  items: number;
  kills: number;
  durationMs: number;
  /** kill -9 → restarted process listening (startup recovery included), per kill. */
  recoveryMs: number[];
  counters: ServeCounters;
  checks: ChaosChecks;
  workspace: string;
}

export const CHAOS_APPROVER = 'chaos-approver';

/**
 * Chaos run: `items` work items through the full pipeline with the scripted agents, `orch serve`
 * as a real child process killed with SIGKILL `kills` times at random moments and restarted.
 * Approvals are human comments posted to the local tracker; the serve's reconciler picks them up
 * by polling (no webhook, no in-process call). Returns the figures and the invariant checks.
 */
export async function runChaos(input: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const ws = mkdtempSync(join(tmpdir(), 'orch-chaos-'));
  const dataDir = join(ws, '.orch');
  // An empty dbUrl: a SQLite file in the workspace.
  const o = { ...input, dbUrl: input.dbUrl || `sqlite:${join(dataDir, 'orch.db')}` };
  mkdirSync(join(dataDir, 'forge'), { recursive: true });
  const bundle = o.cli === 'bundle' ? await bundleCli() : null;
  const cliArgv = bundle ? [process.execPath, bundle.file] : orchArgv(o.cli === 'dist');
  const cfgPath = writeConfig(ws, o.cli === 'bundle' ? cliArgv : null);
  const ledger = join(ws, 'ledger.jsonl');
  writeFileSync(ledger, '');
  const env = serveEnv(o, dataDir, ledger);
  const driver = await driverRuntime(env, o.dbUrl);
  try {
    await seed(driver, ws, o.items);
    o.progress?.(`filed ${o.items} work items; starting orch serve (${o.cli})`);
    const argv = [...cliArgv, 'serve', '--db', o.dbUrl, '--config', cfgPath, '--port', '0'];
    const run = await killLoop(driver, o, { argv, env, logPath: join(ws, 'serve.log'), started });
    const checks = await checkChaos(driver, { ledgerPath: ledger, repo: 'trails' });
    return {
      dbUrl: o.dbUrl.replace(/\/\/[^@]*@/, '//'),
      items: o.items,
      kills: run.recoveryMs.length,
      durationMs: Date.now() - started,
      recoveryMs: run.recoveryMs,
      counters: run.counters,
      checks,
      workspace: ws,
    };
  } finally {
    await driver.stop();
    bundle?.dispose();
    if (!o.keep) rmSync(ws, { recursive: true, force: true });
  }
}

/** Runs `orch serve` until every item is final, killing it with SIGKILL `kills` times. */
async function killLoop(
  driver: Runtime,
  o: ChaosOptions,
  p: { argv: string[]; env: Record<string, string>; logPath: string; started: number },
): Promise<{ recoveryMs: number[]; counters: ServeCounters }> {
  const counters = emptyCounters();
  const recoveryMs: number[] = [];
  const spawnServe = () => new ServeProcess({ argv: p.argv, env: p.env, logPath: p.logPath });
  let serve = spawnServe();
  await serve.listening;
  let nextKillMs = Date.now() + gap(o.killGapMs);
  const approved = new Map<number, number>();
  for (;;) {
    await approveWaiting(driver, approved);
    if (await allFinal(driver)) break;
    if (Date.now() > p.started + o.timeoutMs) {
      await serve.kill9();
      throw new Error(`chaos timeout: ${await summary(driver)}`);
    }
    if (recoveryMs.length < o.kills && Date.now() >= nextKillMs) {
      const killedAt = Date.now();
      await serve.kill9();
      add(counters, serve.counters);
      serve = spawnServe();
      await serve.listening;
      recoveryMs.push(Date.now() - killedAt);
      o.progress?.(
        `kill -9 #${recoveryMs.length}: back up in ${Date.now() - killedAt} ms; ${await summary(driver)}`,
      );
      nextKillMs = Date.now() + gap(o.killGapMs);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await serve.stop();
  add(counters, serve.counters);
  return { recoveryMs, counters };
}

function writeConfig(ws: string, agentCommand: string[] | null): string {
  const cfgPath = join(ws, 'orch.config.yaml');
  writeFileSync(
    cfgPath,
    [
      'agents:',
      '  defaults:',
      '    adapter: scripted',
      ...(agentCommand ? [`    command: ${JSON.stringify(agentCommand)}`] : []),
      'projects:',
      '  - key: CH',
      '    repo: trails',
      '    tracker:',
      '      kind: local',
      `      approvers: [${CHAOS_APPROVER}]`,
      '    testCommand: [node, --test]',
      '    testTimeoutS: 120',
      '',
    ].join('\n'),
  );
  return cfgPath;
}

/** Fast daemons so a run takes minutes: 1 s ticks, a 3 s reconciler grace, 15 s leases. */
function serveEnv(o: ChaosOptions, dataDir: string, ledger: string): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    ORCH_DATA_DIR: dataDir,
    ORCH_LOG_LEVEL: 'warn',
    ORCH_MAX_CONCURRENCY: String(o.concurrency),
    ORCH_QUEUE_POLL_INTERVAL_MS: '200',
    ORCH_LEASE_SECONDS: '15',
    ORCH_MAX_ATTEMPTS: '3',
    ORCH_REAPER_INTERVAL_S: '1',
    ORCH_RECONCILE_INTERVAL_S: '1',
    ORCH_RECONCILE_GRACE_S: '3',
    ORCH_SIM_LEDGER: ledger,
    ...(o.scenario ? { ORCH_SIM_SCENARIO: o.scenario } : {}),
  };
}

/** The driver's own view of the store (never started: no worker, no daemons). */
function driverRuntime(env: Record<string, string>, dbUrl: string): Promise<Runtime> {
  return createRuntime({
    config: loadConfig(env, { dbUrl }),
    configFile: parseConfigFile({ agents: { defaults: { adapter: 'scripted' } } }),
    log: silentLogger,
    projects: ({ forge, tracker }) => [
      {
        key: 'CH',
        prefix: 'CH',
        repo: 'trails',
        baseBranch: 'main',
        tracker,
        trackerProjectId: 'CH',
        forge,
        pipeline: DEFAULT_PIPELINE,
        testCommand: ['node', '--test'],
        testTimeoutMs: 120_000,
        approvers: [CHAOS_APPROVER],
        maxDeveloperRetries: 3,
      },
    ],
  });
}

function gap([min, max]: [number, number]): number {
  return min + Math.random() * (max - min);
}

function add(into: ServeCounters, from: ServeCounters): void {
  for (const k of Object.keys(into) as (keyof ServeCounters)[]) into[k] += from[k];
}

async function seed(rt: Runtime, ws: string, items: number): Promise<void> {
  mkdirSync(join(ws, 'seed'));
  await createSampleRepo(join(ws, 'seed'));
  await rt.forge.importRepo('trails', join(ws, 'seed'));
  const project = rt.projects.get('CH');
  for (let i = 1; i <= items; i++) {
    const title = `Chaos item ${i}: show trail ${i} in miles`;
    const item = await rt.tracker.createItem('CH', { title, description: `Item ${i}.` });
    await intake(
      rt.core,
      rt.workspace,
      project,
      { trackerItemId: item.ref.itemId, title, description: `Item ${i}.` },
      silentLogger,
    );
  }
}

/** The human: one `:approved:` comment per approval request (a new request after a rerun gets a new one). */
async function approveWaiting(rt: Runtime, approved: Map<number, number>): Promise<void> {
  for (const t of await rt.tasks.list({ activeOnly: true, limit: 10_000 })) {
    if (t.state !== 'awaiting_approval' || approved.get(t.id) === t.updatedAtMs) continue;
    approved.set(t.id, t.updatedAtMs);
    await rt.tracker.addHumanComment(
      { projectId: t.trackerProjectId, itemId: t.trackerItemId },
      CHAOS_APPROVER,
      'Looks good :approved:',
    );
  }
}

async function allFinal(rt: Runtime): Promise<boolean> {
  const live = await rt.admin.counts();
  if (live.byStatus.queued + live.byStatus.running > 0) return false;
  const open = await rt.tasks.list({ activeOnly: true, limit: 10_000 });
  return open.every((t) => t.state === 'blocked');
}

async function summary(rt: Runtime): Promise<string> {
  const tasks = await rt.tasks.list({ limit: 10_000 });
  const by = new Map<string, number>();
  for (const t of tasks)
    by.set(
      t.state === 'active' ? t.stage : t.state,
      (by.get(t.state === 'active' ? t.stage : t.state) ?? 0) + 1,
    );
  const c = (await rt.admin.counts()).byStatus;
  return `${[...by].map(([k, v]) => `${k}:${v}`).join(' ')} | jobs q${c.queued} r${c.running} d${c.done} f${c.failed}`;
}

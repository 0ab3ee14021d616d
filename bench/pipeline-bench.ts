/**
 * Pipeline benchmark: N work items through every stage of the full track (analysis → … → done)
 * with the scripted agents as real child processes, a trivial test command (`true`) and analysis
 * approved by a label (label auto-mode), `--concurrency` agents at a time, on SQLite and
 * PostgreSQL. Prints items per minute, Orch's own CPU and RSS per item (the agents are separate
 * processes and not counted), and the stage-transition latency — one agent's exit to the next
 * agent's start on the same item — p50/p99, for the transitions that run no gate command and for
 * all of them.
 *
 *   npm run bench:pipeline [-- --db sqlite|postgres|both --items 200 --concurrency 8
 *                              --agent-seconds 0 --timeout 1800 --trace]
 *
 * `--agent-seconds S` makes every agent run take S seconds (a `sleep` before the scripted agent
 * starts; the transition latency does not include it). With instant agents the bench is a closed
 * loop that keeps the host busy all the time, so the transition latency is mostly waiting for CPU
 * that the other items' transitions use; agents that take time, as real ones do, leave it free.
 *
 * Results: docs/benchmarks.md "## Pipeline (bench:pipeline)".
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { parseConfigFile } from '../src/config/config-file.js';
import { createSampleRepo } from '../src/demo/sample-repo.js';
import { silentLogger } from '../src/log.js';
import { intake } from '../src/pipeline/intake.js';
import type { Project } from '../src/pipeline/project.js';
import { DEFAULT_PIPELINE } from '../src/pipeline/stages.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { bundleSimAgent } from '../test/helpers/sim-agent-bundle.js';
import { benchArgs, runBench } from './bench-options.js';
import { createBenchDb, dropBenchDb } from './queue/bench-db.js';

/** The bench database's system name: `orch_bench_pipeline` (bench/queue/bench-db.ts). */
const PG_SYSTEM = 'pipeline';
const KEY = 'BEN';
const LABEL = 'bench';
/** Edges whose gate runs a command (tests; security + merge with its re-test): reported apart. */
const GATE_COMMAND_EDGES = new Set(['developer→reviewer', 'deployer→deployer']);

interface Options {
  dbs: ('sqlite' | 'postgres')[];
  items: number;
  concurrency: number;
  /** Each agent run sleeps this long before the scripted agent starts (0: instant agents). */
  agentSeconds: number;
  timeoutS: number;
  /** Print the first item's merged timeline (jobs, agent runs, events) to see where time goes. */
  trace: boolean;
}

function parseOptions(argv: string[]): Options {
  const a = benchArgs(argv, {
    values: ['db', 'items', 'concurrency', 'agent-seconds', 'timeout'],
    flags: ['trace'],
    usage: 'bench/pipeline-bench.ts',
  });
  const db = a.choice('db', 'both', ['both', 'sqlite', 'postgres']);
  return {
    dbs: db === 'both' ? ['sqlite', 'postgres'] : [db],
    items: a.num('items', '200', 1, { whole: true }),
    concurrency: a.num('concurrency', '8', 1, { whole: true }),
    agentSeconds: a.num('agent-seconds', '0', 0),
    timeoutS: a.num('timeout', '1800', 1),
    trace: a.flag('trace'),
  };
}

/**
 * The scripted agent bundled into one plain JS file: run through tsx it costs ~350 ms of CPU to
 * start, which on two vCPUs with 8 agents at once stretched every git call Orch makes; bundled it
 * starts like a compiled CLI. The bench measures Orch, not the simulated agents' start-up.
 */
async function simAgentCommand(dir: string, agentSeconds: number): Promise<string[]> {
  const out = join(dir, 'sim-agent.mjs');
  await bundleSimAgent(out);
  if (!(agentSeconds > 0)) return [process.execPath, out];
  // sh runs `sleep`, then becomes the scripted agent with the runner's arguments ("$@").
  return ['/bin/sh', '-c', `sleep ${agentSeconds}; exec "$0" "$@"`, process.execPath, out];
}

async function startRuntime(dbUrl: string, dataDir: string, o: Options): Promise<Runtime> {
  const simAgent = await simAgentCommand(dataDir, o.agentSeconds);
  const rt = await createRuntime({
    config: loadConfig(
      {
        ORCH_DATA_DIR: dataDir,
        ORCH_MAX_CONCURRENCY: String(o.concurrency),
        ORCH_QUEUE_POLL_INTERVAL_MS: '250',
        ORCH_PREFLIGHT_CACHE_TTL: '3600',
      },
      { dbUrl },
    ),
    configFile: parseConfigFile({
      agents: {
        defaults: { adapter: 'scripted', command: simAgent, timeoutS: 300, idleTimeoutS: 120 },
      },
    }),
    log: silentLogger,
    projects: ({ forge, tracker }): Project[] => [
      {
        key: KEY,
        prefix: KEY,
        repo: 'bench',
        baseBranch: 'main',
        tracker,
        trackerProjectId: KEY,
        forge,
        pipeline: DEFAULT_PIPELINE,
        labels: { tracks: {}, autoApprove: [LABEL] },
        testCommand: ['true'],
        testTimeoutMs: 60_000,
        approvers: ['bench-approver'],
        maxDeveloperRetries: 3,
        scenario: {},
      },
    ],
  });
  mkdirSync(join(dataDir, 'forge'), { recursive: true });
  const seed = join(dataDir, 'seed');
  mkdirSync(seed);
  await createSampleRepo(seed);
  await rt.forge.importRepo('bench', seed);
  return rt;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

interface RunRow {
  task_id: number;
  kind: string;
  started_at_ms: number;
  finished_at_ms: number | null;
  /** The run's job: when it was enqueued and when a worker claimed it. */
  job_created_at_ms: number;
  job_started_at_ms: number | null;
}

interface Transitions {
  /** Agent exit → next agent start, on edges that run no gate command. */
  plain: number[];
  all: number[];
  byEdge: Map<string, number[]>;
  /** The same edges (no gate command) in three parts: Orch's step after the run (hook, gates,
   * next job enqueued), the next job's wait in the queue, and claim → agent spawned (worktree). */
  hook: number[];
  queueWait: number[];
  prepare: number[];
}

/** Agent exit → next agent start on the same item, split by edge and into its parts. */
function transitions(runs: RunRow[]): Transitions {
  const byTask = new Map<number, RunRow[]>();
  for (const r of runs) byTask.set(r.task_id, [...(byTask.get(r.task_id) ?? []), r]);
  const t: Transitions = {
    plain: [],
    all: [],
    byEdge: new Map(),
    hook: [],
    queueWait: [],
    prepare: [],
  };
  for (const list of byTask.values()) {
    list.sort((a, b) => Number(a.started_at_ms) - Number(b.started_at_ms));
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const next = list[i]!;
      if (prev.finished_at_ms === null || next.job_started_at_ms === null) continue;
      const exited = Number(prev.finished_at_ms);
      const ms = Number(next.started_at_ms) - exited;
      t.all.push(ms);
      const edge = `${prev.kind}→${next.kind}`;
      t.byEdge.set(edge, [...(t.byEdge.get(edge) ?? []), ms]);
      if (GATE_COMMAND_EDGES.has(edge)) continue;
      t.plain.push(ms);
      t.hook.push(Number(next.job_created_at_ms) - exited);
      t.queueWait.push(Number(next.job_started_at_ms) - Number(next.job_created_at_ms));
      t.prepare.push(Number(next.started_at_ms) - Number(next.job_started_at_ms));
    }
  }
  for (const list of [t.plain, t.all, t.hook, t.queueWait, t.prepare, ...t.byEdge.values()])
    list.sort((a, b) => a - b);
  return t;
}

const stats = (list: number[]) => ({
  n: list.length,
  p50: percentile(list, 50),
  p99: percentile(list, 99),
});

async function runOne(dialect: 'sqlite' | 'postgres', o: Options) {
  const dataDir = mkdtempSync(join(tmpdir(), 'orch-bench-pipeline-'));
  const dbUrl =
    dialect === 'sqlite' ? `sqlite:${join(dataDir, 'orch.db')}` : await createBenchDb(PG_SYSTEM);
  const rt = await startRuntime(dbUrl, dataDir, o);
  try {
    const project = rt.projects.get(KEY);
    const ids: number[] = [];
    /** Files the next item (intake: worktree, business request, analyst job). */
    const fileNext = async () => {
      const title = `Bench item ${ids.length + 1}`;
      const labels = [LABEL];
      const item = await rt.tracker.createItem(KEY, { title, description: 'bench', labels });
      const { task } = await intake(
        rt.core,
        rt.workspace,
        project,
        { trackerItemId: item.ref.itemId, title, description: 'bench', labels },
        silentLogger,
      );
      ids.push(task.id);
    };
    // `concurrency` items in flight at a time, each next one filed as one finishes: every stage
    // job then finds a free agent slot, so a transition measures Orch, not a backlog of items.
    for (let i = 0; i < Math.min(o.concurrency, o.items); i++) await fileNext();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let maxRss = process.memoryUsage().rss;
    await rt.start();
    const deadline = Date.now() + o.timeoutS * 1000;
    const states: Record<string, number> = {};
    const ended = new Set<number>();
    const blockedReasons = new Map<string, number>();
    while (Date.now() < deadline && ended.size < o.items) {
      await new Promise((r) => setTimeout(r, 100));
      maxRss = Math.max(maxRss, process.memoryUsage().rss);
      for (const id of ids) {
        if (ended.has(id)) continue;
        const t = (await rt.tasks.get(id))!;
        if (t.state !== 'done' && t.state !== 'blocked' && t.state !== 'cancelled') continue;
        ended.add(id);
        states[t.state] = (states[t.state] ?? 0) + 1;
        if (t.state === 'blocked') {
          const why = (t.lastError ?? '?').slice(0, 160);
          blockedReasons.set(why, (blockedReasons.get(why) ?? 0) + 1);
        }
        if (ids.length < o.items) await fileNext();
      }
    }
    const active = ids.length - ended.size + (o.items - ids.length);
    if (active > 0) states.unfinished = active;
    for (const [why, n] of blockedReasons) console.log(`  blocked ×${n}: ${why}`);
    await rt.worker.whenIdle();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const runs = await rt.db.all<RunRow>(
      `-- bench: every agent run's role and times
       select r.task_id, r.kind, r.started_at_ms, r.finished_at_ms,
              j.created_at_ms as job_created_at_ms, j.started_at_ms as job_started_at_ms
       from agent_runs r join all_jobs j on j.id = r.job_id
       where r.task_id is not null`,
    );
    const t = transitions(runs);
    if (o.trace) await printTrace(rt, ids[0]!);
    const done = states.done ?? 0;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      dialect,
      items: o.items,
      done,
      notDone: o.items - done,
      states: { ...states },
      wallS: wallMs / 1000,
      itemsPerMin: done / (wallMs / 60_000),
      agentRuns: runs.length,
      cpuMsPerItem: cpuMs / Math.max(1, done),
      orchCpuShare: cpuMs / wallMs,
      maxRssMb: maxRss / 2 ** 20,
      transitionNoGate: stats(t.plain),
      transitionAll: stats(t.all),
      hook: stats(t.hook),
      queueWait: stats(t.queueWait),
      prepare: stats(t.prepare),
      byEdge: [...t.byEdge].map(([edge, list]) => ({ edge, ...stats(list) })),
    };
  } finally {
    await rt.stop({ drainMs: 0 });
    rmSync(dataDir, { recursive: true, force: true });
    if (dialect === 'postgres') await dropBenchDb(PG_SYSTEM);
  }
}

/** One item's jobs, agent runs and timeline events in time order, relative to its first job. */
async function printTrace(rt: Runtime, taskId: number): Promise<void> {
  const rows = await rt.db.all<{ at: number; what: string }>(
    `-- bench trace: job created/started/finished, agent run start/exit, timeline events
     select created_at_ms as at, 'job ' || kind || ' created' as what from all_jobs where task_id = $1
     union all select started_at_ms, 'job ' || kind || ' claimed' from all_jobs where task_id = $1 and started_at_ms is not null
     union all select finished_at_ms, 'job ' || kind || ' finished' from all_jobs where task_id = $1 and finished_at_ms is not null
     union all select started_at_ms, 'run ' || kind || ' started' from agent_runs where task_id = $1
     union all select finished_at_ms, 'run ' || kind || ' exited' from agent_runs where task_id = $1 and finished_at_ms is not null
     union all select at_ms, 'event ' || type || ' ' || stage from task_events where task_id = $1
     order by 1`,
    [taskId],
  );
  const t0 = Number(rows[0]?.at ?? 0);
  let prev = t0;
  for (const r of rows) {
    console.log(
      `  +${String(Number(r.at) - t0).padStart(6)} ms (+${String(Number(r.at) - prev).padStart(5)})  ${r.what}`,
    );
    prev = Number(r.at);
  }
}

async function main() {
  const o = parseOptions(process.argv.slice(2));
  console.log(
    `bench:pipeline — ${o.items} items, ${Math.min(o.items, o.concurrency)} at a time, full track, scripted agents` +
      (o.agentSeconds > 0 ? ` taking ${o.agentSeconds} s each` : ' (instant)') +
      ', ' +
      `test command 'true'; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  for (const dialect of o.dbs) {
    const r = await runOne(dialect, o);
    const ms = (n: number) => `${n.toFixed(0)} ms`;
    console.log(`\n${dialect}: ${r.done}/${r.items} done (${JSON.stringify(r.states)})`);
    console.log(
      `  wall ${r.wallS.toFixed(1)} s, ${r.itemsPerMin.toFixed(1)} items/min, ${r.agentRuns} agent runs`,
    );
    console.log(
      `  Orch CPU ${r.cpuMsPerItem.toFixed(0)} ms/item (${(r.orchCpuShare * 100).toFixed(0)} % of a core), max RSS ${r.maxRssMb.toFixed(0)} MiB`,
    );
    console.log(
      `  stage transition (agent exit → next agent start), no gate command: p50 ${ms(r.transitionNoGate.p50)} p99 ${ms(r.transitionNoGate.p99)} (n=${r.transitionNoGate.n}); goal p50 ≤ 100 ms`,
    );
    console.log(
      `  stage transition, all edges (tests, security, merge included): p50 ${ms(r.transitionAll.p50)} p99 ${ms(r.transitionAll.p99)} (n=${r.transitionAll.n})`,
    );
    console.log(
      `  no-gate transitions in parts: after-run step (hook, gates, enqueue) p50 ${ms(r.hook.p50)} p99 ${ms(r.hook.p99)}; ` +
        `queue wait p50 ${ms(r.queueWait.p50)} p99 ${ms(r.queueWait.p99)}; ` +
        `claim → agent spawned p50 ${ms(r.prepare.p50)} p99 ${ms(r.prepare.p99)}`,
    );
    for (const e of r.byEdge) {
      const gate = GATE_COMMAND_EDGES.has(e.edge) ? ' (runs a gate command)' : '';
      console.log(`    ${e.edge.padEnd(24)} p50 ${ms(e.p50)} p99 ${ms(e.p99)} (n=${e.n})${gate}`);
    }
  }
}

runBench(main);

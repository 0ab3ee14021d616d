/**
 * The simulated agents of bench:agents, in processes of their own: each process runs its share of
 * the agents, each agent long-polling `POST /v2/agents/lease2` and completing what it leases. A
 * process's tally (pickup latencies, lease and complete counts, its CPU) is reset and collected
 * over IPC around each measured window.
 *
 * Why several processes: real agents are separate processes, and one Node process driving 200
 * `fetch` agents takes ~80 % of a core on these hosts. A job enqueued in a burst (one insert per
 * producer tick) then waits in that one event loop for the responses ahead of it, and that wait,
 * not the server's, was most of the full phase's pickup p99 (docs/benchmarks.md).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export type Client = 'fetch' | 'http';

/** What one window measured, summed over the agent processes. */
export interface Tally {
  leases: number;
  completes: number;
  latenciesMs: number[];
  /** When each of `latenciesMs` was received (ms since the epoch), for the per-second p99. */
  receivedAtMs: number[];
  errors: number;
  /** CPU (user + system) of the agent processes over the window. */
  cpuUs: number;
}

type ToAgents = { type: 'measure' } | { type: 'collect' } | { type: 'stop' };
type FromAgents = { type: 'ready' } | { type: 'measuring' } | ({ type: 'tally' } & Tally);

/** Wall clock in ms with sub-ms precision, comparable between processes on one host. */
export const now = () => performance.timeOrigin + performance.now();

type Post = <T>(url: string, token: string, body: unknown, signal: AbortSignal) => Promise<T>;

const postFetch: Post = async <T>(
  url: string,
  token: string,
  body: unknown,
  signal: AbortSignal,
) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

function httpPoster(agent: http.Agent): Post {
  return <T>(url: string, token: string, body: unknown, signal: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      const data = JSON.stringify(body);
      const headers = {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(data),
      };
      const req = http.request(url, { method: 'POST', agent, headers, signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) reject(new Error(`${url}: HTTP ${status} ${text}`));
          else resolve(JSON.parse(text) as T);
        });
      });
      req.on('error', reject);
      req.end(data);
    });
}

interface BenchJob {
  id: number;
  lease_token: string;
  payload: { t: number };
}

/** An agent whose request failed waits this long before it polls again. */
const ERROR_PAUSE_MS = 100;

interface LiveTally extends Omit<Tally, 'cpuUs'> {
  measuring: boolean;
}

async function agentLoop(
  post: Post,
  base: string,
  token: string,
  tally: LiveTally,
  signal: AbortSignal,
) {
  while (!signal.aborted) {
    try {
      const { jobs } = await post<{ jobs: BenchJob[] }>(
        `${base}/v2/agents/lease2`,
        token,
        { max: 1, wait_ms: 5000 },
        signal,
      );
      const received = now();
      for (const job of jobs) {
        if (tally.measuring) {
          tally.leases++;
          tally.latenciesMs.push(received - job.payload.t);
          tally.receivedAtMs.push(received);
        }
        const body = { lease_token: job.lease_token, status: 'succeeded' };
        await post(`${base}/v2/jobs/${job.id}/complete`, token, body, signal);
        if (tally.measuring) tally.completes++;
      }
    } catch (err) {
      if (signal.aborted) return;
      tally.errors++;
      if (tally.errors <= 3) console.error((err as Error).message);
      // A server that is gone fails every request at once: do not spin a core on it.
      await new Promise((r) => setTimeout(r, ERROR_PAUSE_MS));
    }
  }
}

/** Entry of one agent process: `--sim-agents <count> <url> <token> <client>`. */
function runAgentsProcess(argv: string[]): void {
  const [count, base, token, client] = argv;
  const tally: LiveTally = {
    measuring: false,
    leases: 0,
    completes: 0,
    latenciesMs: [],
    receivedAtMs: [],
    errors: 0,
  };
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const httpAgent = new http.Agent({ keepAlive: true });
  const post = client === 'http' ? httpPoster(httpAgent) : postFetch;
  const loops = Array.from({ length: Number(count) }, () =>
    agentLoop(post, base!, token!, tally, ac.signal),
  );
  let cpu0 = process.cpuUsage();
  process.on('message', (msg: ToAgents) => {
    if (msg.type === 'measure') {
      Object.assign(tally, { leases: 0, completes: 0, latenciesMs: [], receivedAtMs: [] });
      tally.errors = 0;
      tally.measuring = true;
      cpu0 = process.cpuUsage();
      process.send!({ type: 'measuring' } satisfies FromAgents);
    }
    if (msg.type === 'collect') {
      tally.measuring = false;
      const cpu = process.cpuUsage(cpu0);
      const { leases, completes, latenciesMs, receivedAtMs, errors } = tally;
      const cpuUs = cpu.user + cpu.system;
      const reply = { leases, completes, latenciesMs, receivedAtMs, errors, cpuUs };
      process.send!({ type: 'tally', ...reply } satisfies FromAgents);
    }
    if (msg.type === 'stop') {
      ac.abort();
      void Promise.allSettled(loops).then(() => {
        httpAgent.destroy();
        process.exit(0);
      });
    }
  });
  // The bench died without stopping us: nothing would ever collect or stop these agents.
  process.on('disconnect', () => process.exit(1));
  process.send!({ type: 'ready' } satisfies FromAgents);
}

/** The next message from `child`, or an error if it exits first (never a hang on a dead one). */
function reply(child: ChildProcess): Promise<FromAgents> {
  return new Promise((resolve, reject) => {
    const exited = (code: number | null) => {
      child.off('message', got);
      reject(new Error(`bench: an agents' process exited (code ${code}) during the run`));
    };
    const got = (m: FromAgents) => {
      child.off('exit', exited);
      resolve(m);
    };
    if (child.exitCode !== null || child.signalCode !== null) return exited(child.exitCode);
    child.once('message', got);
    child.once('exit', exited);
  });
}

function ask(child: ChildProcess, msg: ToAgents): Promise<FromAgents> {
  const answer = reply(child);
  if (child.connected) child.send(msg);
  return answer;
}

/** The agent processes of one store's run. */
export class AgentFleet {
  readonly #children: ChildProcess[];

  private constructor(children: ChildProcess[]) {
    this.#children = children;
  }

  /** Starts `agents` agents spread over `processes` processes; resolves once every process has
   * started its agents' loops. */
  static async start(o: {
    agents: number;
    processes: number;
    url: string;
    token: string;
    client: Client;
  }): Promise<AgentFleet> {
    if (!Number.isInteger(o.processes) || o.processes < 1)
      throw new Error(`bench: --agent-procs must be a whole number ≥ 1, not ${o.processes}`);
    const n = Math.max(1, Math.min(o.processes, o.agents));
    const children = Array.from({ length: n }, (_, i) => {
      const share = Math.floor(o.agents / n) + (i < o.agents % n ? 1 : 0);
      return fork(
        fileURLToPath(import.meta.url),
        ['--sim-agents', String(share), o.url, o.token, o.client],
        { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      );
    });
    const fleet = new AgentFleet(children);
    try {
      await Promise.all(children.map((c) => reply(c)));
    } catch (err) {
      await fleet.stop();
      throw err;
    }
    return fleet;
  }

  /** Opens a window: every process resets its tally and starts counting. */
  async measure(): Promise<void> {
    await Promise.all(this.#children.map((c) => ask(c, { type: 'measure' })));
  }

  /** Closes the window and sums the processes' tallies. */
  async collect(): Promise<Tally> {
    const parts = (await Promise.all(this.#children.map((c) => ask(c, { type: 'collect' })))) as ({
      type: 'tally';
    } & Tally)[];
    const sum: Tally = {
      leases: 0,
      completes: 0,
      latenciesMs: [],
      receivedAtMs: [],
      errors: 0,
      cpuUs: 0,
    };
    for (const p of parts) {
      sum.leases += p.leases;
      sum.completes += p.completes;
      sum.latenciesMs = sum.latenciesMs.concat(p.latenciesMs);
      sum.receivedAtMs = sum.receivedAtMs.concat(p.receivedAtMs);
      sum.errors += p.errors;
      sum.cpuUs += p.cpuUs;
    }
    return sum;
  }

  /** Stops every process still running (it finishes its requests in flight, then exits). */
  async stop(): Promise<void> {
    await Promise.all(
      this.#children.map((c) =>
        c.exitCode !== null || c.signalCode !== null
          ? Promise.resolve()
          : new Promise((resolve) => {
              c.once('exit', resolve);
              if (c.connected) c.send({ type: 'stop' } satisfies ToAgents);
              else c.kill();
            }),
      ),
    );
  }
}

const at = process.argv.indexOf('--sim-agents');
if (at >= 0) runAgentsProcess(process.argv.slice(at + 1));

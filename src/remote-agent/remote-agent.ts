import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastWords } from '../agents/run-outcome.js';
import { isOrchError } from '../errors.js';
import { toSafeText } from '../store/safe-text.js';
import type { Logger } from '../log.js';
import { LeaseKeeper, type BeatResult } from '../queue/lease-keeper.js';
import { AgentClient, type LeasedJob } from './agent-client.js';
import { listFiles, readBase64 } from './artifacts-dir.js';
import { startJobProcess, type JobExit, type JobProcess } from './job-process.js';

export interface RemoteAgentOptions {
  url: string;
  token: string;
  kinds: string[];
  labels: string[];
  name?: string | undefined;
  /** The command run once per job (argv). */
  command: string[];
  /** Jobs run at once (lease `max`). */
  concurrency: number;
  /** Long-poll length per lease request. */
  waitMs: number;
  /** SIGTERM → SIGKILL grace for a job's process group. */
  killGraceMs: number;
  /** The environment job commands get, plus their job variables (config/child-env.ts `childBaseEnv`). */
  baseEnv: Readonly<Record<string, string>>;
  logger: Logger;
}

/** Why a job's process is being stopped before it finished on its own. */
type StopReason = 'cancelled' | 'lease_lost' | 'shutdown';

interface Running {
  proc?: JobProcess;
  stopReason?: StopReason;
  done: Promise<void>;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * `orch agent`: leases jobs over HTTP, runs the command for each (payload on stdin and in
 * ORCH_JOB_PAYLOAD), uploads the files the command wrote to ORCH_ARTIFACTS_DIR, and completes
 * (exit 0 → succeeded, else failed, with the command's last line on stderr as the reason). A
 * LeaseKeeper heartbeats from the lease until the complete, so a slow upload never lets the lease
 * expire. A cancel in a heartbeat response kills the job's process group and completes it as
 * cancelled. `stop()` (SIGTERM) ends the long-poll, stops running jobs and hands them back as
 * retryable failures.
 */
export class RemoteAgent {
  readonly #o: RemoteAgentOptions;
  readonly #client: AgentClient;
  readonly #poll = new AbortController();
  readonly #running = new Set<Running>();
  #stopping = false;

  constructor(options: RemoteAgentOptions) {
    this.#o = options;
    this.#client = new AgentClient(options.url, options.token);
  }

  /** Runs until `stop()`; resolves once every running job was reported. */
  async run(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    while (!this.#stopping) {
      const free = this.#o.concurrency - this.#running.size;
      if (free <= 0) {
        await Promise.race([...this.#running].map((r) => r.done));
        continue;
      }
      try {
        const res = await this.#client.lease(this.#leaseBody(free), this.#poll.signal);
        retryMs = RETRY_MIN_MS;
        for (const job of res.jobs) this.#track(job, res.heartbeat_interval_ms);
      } catch (err) {
        if (this.#stopping) break;
        if (isOrchError(err) && [401, 403].includes(Number(err.details?.status))) throw err;
        this.#o.logger.warn({ err }, 'lease failed; retrying');
        await sleep(retryMs, this.#poll.signal);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
    await Promise.all([...this.#running].map((r) => r.done));
  }

  stop(): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#poll.abort();
    for (const r of this.#running) this.#stopJob(r, 'shutdown');
  }

  #leaseBody(max: number) {
    const { kinds, labels, waitMs, name } = this.#o;
    return { kinds, labels, max, wait_ms: waitMs, ...(name ? { agent: name } : {}) };
  }

  #track(job: LeasedJob, heartbeatMs: number): void {
    const r: Running = { done: Promise.resolve() };
    r.done = this.#runJob(job, r, heartbeatMs)
      .catch((err: unknown) => this.#o.logger.error({ err, jobId: job.id }, 'job handling failed'))
      .finally(() => this.#running.delete(r));
    this.#running.add(r);
  }

  #stopJob(r: Running, reason: StopReason): void {
    r.stopReason ??= reason;
    r.proc?.kill();
  }

  async #runJob(job: LeasedJob, r: Running, heartbeatMs: number): Promise<void> {
    const log = this.#o.logger.child({ jobId: job.id, runId: job.run_id });
    const artifactsDir = await mkdtemp(join(tmpdir(), `orch-agent-${job.id}-`));
    const keeper = new LeaseKeeper({
      beat: () => this.#beat(job),
      intervalMs: heartbeatMs,
      log,
      onLost: () => this.#stopJob(r, 'lease_lost'),
      onCancel: () => this.#stopJob(r, 'cancelled'),
    }).start();
    try {
      await this.#client.event(job.id, job.lease_token, 'job.started').catch((err: unknown) => {
        if (isOrchError(err, 'LEASE_LOST')) r.stopReason = 'lease_lost';
      });
      if (leaseLost(r)) return;
      r.proc = startJobProcess(this.#o.command, {
        payloadJson: JSON.stringify(job.payload ?? {}),
        env: { ...this.#o.baseEnv, ...jobEnv(job, artifactsDir) },
        killGraceMs: this.#o.killGraceMs,
      });
      if (this.#stopping) this.#stopJob(r, 'shutdown');
      const exit = await r.proc.exited;
      // Not the stderr tail: the command's output is on the agent's stderr already.
      log.info(
        { code: exit.code, signal: exit.signal, stopReason: r.stopReason },
        'job process ended',
      );
      if (leaseLost(r)) return;
      if (job.run_id !== null) await this.#upload(job, artifactsDir, log);
      await keeper.stop();
      if (leaseLost(r)) return;
      await this.#client.complete(job.id, completion(job, exit, r.stopReason));
    } finally {
      await keeper.stop();
      await rm(artifactsDir, { recursive: true, force: true });
    }
  }

  /** One heartbeat over HTTP, as the LeaseKeeper reads it (other errors: retried next tick). */
  async #beat(job: LeasedJob): Promise<BeatResult> {
    try {
      const res = await this.#client.heartbeat(job.id, job.lease_token);
      return { kind: 'ok', cancelRequested: res.cancel };
    } catch (err) {
      if (isOrchError(err, 'LEASE_LOST') || isOrchError(err, 'JOB_NOT_FOUND'))
        return { kind: 'lease_lost' };
      throw err;
    }
  }

  async #upload(job: LeasedJob, dir: string, log: Logger): Promise<void> {
    for (const file of await listFiles(dir)) {
      try {
        await this.#client.uploadArtifact(job.run_id!, {
          label: file,
          kind: 'file',
          path: file,
          job_id: job.id,
          content_base64: await readBase64(dir, file),
        });
      } catch (err) {
        log.warn({ err, file }, 'artifact upload failed');
      }
    }
  }
}

/** A function, not an inline check: the reason changes while the job's promise is pending. */
function leaseLost(r: Running): boolean {
  return r.stopReason === 'lease_lost';
}

function jobEnv(job: LeasedJob, artifactsDir: string): Record<string, string> {
  return {
    ORCH_JOB_ID: String(job.id),
    ORCH_JOB_KIND: job.kind,
    ORCH_RUN_ID: job.run_id === null ? '' : String(job.run_id),
    ORCH_ARTIFACTS_DIR: artifactsDir,
  };
}

/**
 * A terminal escape sequence: CSI (colours, cursor moves), OSC (titles, hyperlinks; ended by BEL
 * or ESC + backslash), or a lone two-character escape.
 */
const ANSI_ESCAPE =
  // eslint-disable-next-line no-control-regex -- matching ESC is the point
  /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
/** Control characters other than tab and newline. */
// eslint-disable-next-line no-control-regex -- removing them is the point
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * Pure: a command's stderr as text a person can read and the server accepts (safe text): terminal
 * colour codes and other control characters go, lone UTF-16 surrogates (a tail cut inside a
 * character) become U+FFFD.
 */
export function readableStderr(text: string): string {
  const visible = text
    .replace(ANSI_ESCAPE, '')
    .replace(/\r(?!\n)/g, '\n')
    .replace(CONTROL_CHARS, '');
  return toSafeText(visible);
}

/**
 * Pure: the complete request for a finished process. A failure's error names the exit and, when
 * the command wrote any, its last line on stderr ("command failed: exit code 3: cannot reach
 * host"), so the job says why without the agent's terminal.
 */
export function completion(
  job: Pick<LeasedJob, 'lease_token'>,
  exit: JobExit,
  stopReason: StopReason | undefined,
) {
  const lease_token = job.lease_token;
  if (stopReason === 'cancelled')
    return { lease_token, status: 'cancelled' as const, error: 'cancelled' };
  if (stopReason === 'shutdown') {
    return { lease_token, status: 'failed' as const, error: 'agent shut down', retryable: true };
  }
  if (exit.code === 0)
    return { lease_token, status: 'succeeded' as const, result: { exit_code: 0 } };
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
  const words = lastWords(readableStderr(exit.stderrTail));
  return {
    lease_token,
    status: 'failed' as const,
    error: `command failed: ${how}${words ? `: ${words}` : ''}`,
    result: { exit_code: exit.code },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

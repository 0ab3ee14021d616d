import {
  Logger,
  makeWorkerUtils,
  run,
  type Runner,
  type TaskList,
  type WorkerUtils,
} from 'graphile-worker';
import { createBenchDb, dropBenchDb } from './bench-db.js';
import { chunks } from './stats.js';
import { WORKLOAD, type BenchPayload, type BenchSystem } from './bench-system.js';

const TASK = 'bench';

/** Errors only: graphile-worker logs every job start at info level otherwise. */
const quietLogger = new Logger(() => (level, message) => {
  if (level === 'error') console.error(`graphile-worker: ${message}`);
});

export interface GraphileSystemOptions {
  /** `localQueue.size` and `completeJobBatchDelay` (ms); null = graphile-worker's defaults. */
  batching: { localQueueSize: number; completeJobBatchDelayMs: number } | null;
}

/** graphile-worker 0.18 through `run()` and `makeWorkerUtils()`; completing a job deletes it. */
export class GraphileSystem implements BenchSystem {
  readonly id: string;
  readonly label: string;
  readonly settings: string;
  readonly completedRows = 'deleted' as const;
  readonly pgDatabase: string;
  readonly #batching: GraphileSystemOptions['batching'];
  #url = '';
  #utils: WorkerUtils | undefined;
  #runner: Runner | undefined;

  constructor(options: GraphileSystemOptions) {
    const b = options.batching;
    this.#batching = b;
    this.id = b ? 'graphile_batched' : 'graphile_default';
    this.label = b ? 'graphile-worker batched' : 'graphile-worker default';
    this.pgDatabase = `orch_bench_${this.id}`;
    this.settings =
      `run({concurrency: ${WORKLOAD.workers}}), pool 10, pollInterval 2000, LISTEN` +
      (b
        ? `, localQueue.size ${b.localQueueSize}, completeJobBatchDelay ${b.completeJobBatchDelayMs} ms`
        : ', no localQueue, unbatched completes');
  }

  get #u(): WorkerUtils {
    if (!this.#utils) throw new Error('setup() first');
    return this.#utils;
  }

  async setup(): Promise<void> {
    this.#url = await createBenchDb(this.id);
    this.#utils = await makeWorkerUtils({ connectionString: this.#url, logger: quietLogger });
    await this.#utils.migrate();
  }

  async enqueueOne(payload: BenchPayload): Promise<void> {
    await this.#u.addJob(TASK, payload);
  }

  async prefill(payloads: readonly BenchPayload[]): Promise<void> {
    for (const part of chunks(payloads, WORKLOAD.prefillChunk)) {
      await this.#u.addJobs(part.map((payload) => ({ identifier: TASK, payload })));
    }
  }

  async reset(): Promise<void> {
    await this.#u.withPgClient((c) => c.query('delete from graphile_worker._private_jobs'));
  }

  async #start(concurrency: number, taskList: TaskList): Promise<void> {
    const b = this.#batching;
    this.#runner = await run({
      connectionString: this.#url,
      concurrency,
      noHandleSignals: true,
      logger: quietLogger,
      taskList,
      preset: {
        worker: b
          ? {
              localQueue: { size: b.localQueueSize },
              completeJobBatchDelay: b.completeJobBatchDelayMs,
              failJobBatchDelay: b.completeJobBatchDelayMs,
            }
          : {},
      },
    });
  }

  startDrain(onStarted: (count: number) => void): Promise<void> {
    return this.#start(WORKLOAD.workers, {
      [TASK]: () => {
        onStarted(1);
      },
    });
  }

  async remaining(): Promise<number> {
    const res = await this.#u.withPgClient((c) =>
      c.query<{ n: string }>('select count(*) as n from graphile_worker._private_jobs'),
    );
    return Number(res.rows[0]?.n ?? 0);
  }

  async stopWorkers(): Promise<void> {
    const runner = this.#runner;
    this.#runner = undefined;
    await runner?.stop();
  }

  startLatencyWorker(onStart: (i: number) => void): Promise<void> {
    return this.#start(1, {
      [TASK]: (payload) => {
        onStart((payload as BenchPayload).i);
      },
    });
  }

  async enqueueLatency(payload: BenchPayload): Promise<void> {
    await this.#u.addJob(TASK, payload);
  }

  async teardown(): Promise<void> {
    await this.stopWorkers().catch(() => undefined);
    await this.#utils?.release();
    await dropBenchDb(this.id);
  }
}

import { PgBoss } from 'pg-boss';
import { createBenchDb, dropBenchDb } from './bench-db.js';
import { chunks } from './stats.js';
import { WORKLOAD, type BenchPayload, type BenchSystem } from './bench-system.js';

const QUEUE = 'bench';
/** pg-boss's own pool default. */
const POOL_SIZE = 10;

function newBoss(connectionString: string, listen: boolean): PgBoss {
  const boss = new PgBoss({
    connectionString,
    max: POOL_SIZE,
    useListenNotify: listen,
    schedule: false,
  });
  boss.on('error', (err: Error) => console.error(`pg-boss: ${err.message}`));
  return boss;
}

/**
 * pg-boss 12.30 through `send`/`insert`/`work`. A batch handler's jobs are completed together
 * when it resolves. Completed rows are retained (deleteAfterSeconds default 7 days).
 */
export class PgBossSystem implements BenchSystem {
  readonly id = 'pgboss';
  readonly label = 'pg-boss batch 100';
  readonly settings =
    `work({batchSize: 100, localConcurrency: ${WORKLOAD.workers}, burstWhenBatchFull: true}), ` +
    'pool 10, queue notify: true + useListenNotify (latency: separate producer instance)';
  readonly completedRows = 'retained' as const;
  readonly pgDatabase = 'orch_bench_pgboss';
  #url = '';
  #boss: PgBoss | undefined;
  #worker: PgBoss | undefined;

  get #b(): PgBoss {
    if (!this.#boss) throw new Error('setup() first');
    return this.#boss;
  }

  async setup(): Promise<void> {
    this.#url = await createBenchDb(this.id);
    this.#boss = newBoss(this.#url, false);
    await this.#boss.start();
    await this.#boss.createQueue(QUEUE, { notify: true });
  }

  async enqueueOne(payload: BenchPayload): Promise<void> {
    await this.#b.send(QUEUE, payload);
  }

  async prefill(payloads: readonly BenchPayload[]): Promise<void> {
    for (const part of chunks(payloads, WORKLOAD.prefillChunk)) {
      await this.#b.insert(
        QUEUE,
        part.map((data) => ({ data })),
      );
    }
  }

  async reset(): Promise<void> {
    await this.#b.deleteAllJobs(QUEUE);
  }

  async #startWorker(localConcurrency: number, onJob: (p: BenchPayload) => void): Promise<void> {
    const boss = newBoss(this.#url, true);
    await boss.start();
    this.#worker = boss;
    await boss.work<BenchPayload>(
      QUEUE,
      { batchSize: 100, localConcurrency, burstWhenBatchFull: true },
      (jobs) => {
        for (const job of jobs) onJob(job.data);
        return Promise.resolve();
      },
    );
  }

  startDrain(onStarted: (count: number) => void): Promise<void> {
    return this.#startWorker(WORKLOAD.workers, () => onStarted(1));
  }

  async remaining(): Promise<number> {
    const res = await this.#b
      .getDb()
      .executeSql("select count(*) as n from pgboss.job where name = $1 and state <> 'completed'", [
        QUEUE,
      ]);
    return Number((res.rows[0] as { n: string } | undefined)?.n ?? 0);
  }

  async stopWorkers(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.stop({ graceful: true, timeout: 5_000 });
  }

  startLatencyWorker(onStart: (i: number) => void): Promise<void> {
    return this.#startWorker(1, (p) => onStart(p.i));
  }

  async enqueueLatency(payload: BenchPayload): Promise<void> {
    await this.#b.send(QUEUE, payload);
  }

  async teardown(): Promise<void> {
    await this.stopWorkers().catch(() => undefined);
    await this.#boss?.stop({ graceful: false, timeout: 2_000 });
    await dropBenchDb(this.id);
  }
}

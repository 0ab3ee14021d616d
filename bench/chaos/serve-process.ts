import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** argv of the `orch` CLI: the compiled one with `dist`, else from source through tsx. */
export function orchArgv(useDist: boolean): string[] {
  const js = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
  if (useDist) {
    if (!existsSync(js)) throw new Error('dist/cli/main.js missing: run `npm run build` first');
    return [process.execPath, js];
  }
  const ts = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
  return [process.execPath, '--import', import.meta.resolve('tsx'), ts];
}

/** What one `orch serve` process logged that the chaos report counts (pino JSON on stderr). */
export interface ServeCounters {
  reaped: number;
  leaseExpired: number;
  startupRequeued: number;
  startupFailed: number;
  /** Jobs whose run had exited 0 when Orch died, finished by the reaper's exit-0 path at startup. */
  startupFinished: number;
  orphanRuns: number;
  orphanAgentsStopped: number;
  reconcilerActions: number;
}

export function emptyCounters(): ServeCounters {
  return {
    reaped: 0,
    leaseExpired: 0,
    startupRequeued: 0,
    startupFailed: 0,
    startupFinished: 0,
    orphanRuns: 0,
    orphanAgentsStopped: 0,
    reconcilerActions: 0,
  };
}

function count(c: ServeCounters, line: string): void {
  let msg = '';
  let report:
    | { requeued?: unknown[]; failed?: unknown[]; finished?: unknown[]; orphanRuns?: unknown[] }
    | undefined;
  try {
    const o = JSON.parse(line) as { msg?: string; report?: typeof report };
    msg = o.msg ?? '';
    report = o.report;
  } catch {
    return;
  }
  if (msg.startsWith('reaper: job ')) c.reaped++;
  else if (msg.startsWith('reaper: lease expired')) c.leaseExpired++;
  else if (msg === 'stopping orphaned agent of a dead Orch process') c.orphanAgentsStopped++;
  else if (msg.startsWith('reconciler: ')) c.reconcilerActions++;
  else if (msg === 'startup recovery' && report) {
    c.startupRequeued += report.requeued?.length ?? 0;
    c.startupFailed += report.failed?.length ?? 0;
    c.startupFinished += report.finished?.length ?? 0;
    c.orphanRuns += report.orphanRuns?.length ?? 0;
  }
}

/** A running `orch serve` child: started, awaited until it listens, killed or stopped. */
export class ServeProcess {
  readonly child: ChildProcess;
  readonly listening: Promise<number>;
  readonly exited: Promise<number | null>;
  readonly counters = emptyCounters();
  readonly #log: WriteStream;

  constructor(o: { argv: string[]; env: Record<string, string>; logPath: string }) {
    const [cmd, ...args] = o.argv;
    this.#log = createWriteStream(o.logPath, { flags: 'a' });
    const startedMs = Date.now();
    this.child = spawn(cmd!, args, { env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
    let out = '';
    this.listening = new Promise((resolve, reject) => {
      this.child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('orch listening on')) resolve(Date.now() - startedMs);
      });
      void this.exited.then((code) =>
        reject(new Error(`orch serve exited (${code}) before listening`)),
      );
    });
    this.listening.catch(() => undefined);
    let buf = '';
    this.child.stderr!.on('data', (b: Buffer) => {
      this.#log.write(b);
      buf += b.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) count(this.counters, l);
    });
  }

  kill9(): Promise<number | null> {
    this.child.kill('SIGKILL');
    return this.exited.finally(() => this.#log.end());
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    const code = await this.exited;
    this.#log.end();
    return code;
  }
}

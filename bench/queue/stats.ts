import { performance } from 'node:perf_hooks';

/** The q-quantile (0..1) of samples, nearest-rank. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const now = (): number => performance.now();

/** Rejects with a labelled error when `promise` takes longer than `ms`; the bench must end. */
export async function withTimeout<T>(label: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes. */
export async function waitUntil(
  label: string,
  check: () => Promise<boolean>,
  options: { intervalMs: number; timeoutMs: number },
): Promise<void> {
  const deadline = now() + options.timeoutMs;
  while (!(await check())) {
    if (now() > deadline) throw new Error(`${label}: not done after ${options.timeoutMs} ms`);
    await sleep(options.intervalMs);
  }
}

/** A promise with its resolve function, for "the worker saw job i" hand-offs. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

import type { StatusBlock } from './deps.js';

/** A block that takes longer than this reports `{ error: 'timeout' }` instead of holding /queue. */
export const BLOCK_TIMEOUT_MS = 2000;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs one block; a throw, rejection or timeout becomes `{ error }` and never propagates. */
export async function runBlock(block: StatusBlock, timeoutMs = BLOCK_TIMEOUT_MS): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<unknown>((resolve) => {
    timer = setTimeout(() => resolve({ error: 'timeout' }), timeoutMs);
  });
  try {
    const value = Promise.resolve().then(block);
    return await Promise.race([
      value.catch((err: unknown) => ({ error: errorMessage(err) })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every block concurrently and returns them by name, in registration order. */
export async function runBlocks(
  blocks: Readonly<Record<string, StatusBlock>>,
  timeoutMs = BLOCK_TIMEOUT_MS,
): Promise<Record<string, unknown>> {
  const entries = Object.entries(blocks);
  const values = await Promise.all(entries.map(([, block]) => runBlock(block, timeoutMs)));
  return Object.fromEntries(entries.map(([name], i) => [name, values[i]]));
}

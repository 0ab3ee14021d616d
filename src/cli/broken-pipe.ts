import type { EventEmitter } from 'node:events';

/**
 * `orch jobs list | head -1`: once the reader has gone, a write fails with EPIPE. Stop quietly
 * with exit code 0, as other command-line tools do, instead of an unhandled error and a stack.
 * Any other stream error is rethrown.
 */
export function exitQuietlyOnBrokenPipe(
  stream: EventEmitter,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return exit(0);
    throw err;
  });
}

import type { Logger } from './log.js';

/** One named shutdown step. */
export interface StopStep {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * Runs shutdown steps in order, each one whatever happened to the ones before (try/finally
 * throughout: a daemon that fails to stop must not leave the store open). A failed step is logged;
 * after the last step the first failure is thrown, so the caller still exits non-zero.
 */
export async function stopAll(steps: readonly StopStep[], log: Logger): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step.run();
    } catch (err) {
      log.error({ err, step: step.name }, 'shutdown step failed; continuing');
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, 'several shutdown steps failed');
}

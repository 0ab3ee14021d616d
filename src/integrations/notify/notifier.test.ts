import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../log.js';
import { RecordingNotifier, safeNotify, type Notifier } from './notifier.js';

describe('safeNotify', () => {
  const event = {
    type: 'kind_paused',
    kind: 'developer',
    pausedUntilMs: 1,
    reason: 'quota',
  } as const;

  it('delivers to the notifier', async () => {
    const n = new RecordingNotifier();
    await safeNotify(n, event, silentLogger);
    expect(n.ofType('kind_paused')).toEqual([event]);
  });

  it('never lets a notifier failure reach the caller', async () => {
    const broken: Notifier = { notify: () => Promise.reject(new Error('telegram down')) };
    await expect(safeNotify(broken, event, silentLogger)).resolves.toBeUndefined();
    const throwing: Notifier = {
      notify: () => {
        throw new Error('sync boom');
      },
    };
    await expect(safeNotify(throwing, event, silentLogger)).resolves.toBeUndefined();
  });
});

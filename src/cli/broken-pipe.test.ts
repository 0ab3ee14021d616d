import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';

describe('exitQuietlyOnBrokenPipe', () => {
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });

  it('exits 0 when the reader has gone (EPIPE)', () => {
    const stream = new EventEmitter();
    const codes: number[] = [];
    exitQuietlyOnBrokenPipe(stream, (code) => codes.push(code));
    stream.emit('error', epipe);
    expect(codes).toEqual([0]);
  });

  it('rethrows any other stream error', () => {
    const stream = new EventEmitter();
    exitQuietlyOnBrokenPipe(stream, () => undefined);
    const other = Object.assign(new Error('disk full'), { code: 'ENOSPC' });
    expect(() => stream.emit('error', other)).toThrow('disk full');
  });
});

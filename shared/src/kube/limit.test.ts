import { describe, expect, it } from 'vitest';
import { limit } from './limit.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('limit', () => {
  it('runs at most n tasks at once, in FIFO order', async () => {
    const run = limit(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    let active = 0;
    let peak = 0;
    const all = gates.map((g, i) =>
      run(async () => {
        started.push(i);
        active += 1;
        peak = Math.max(peak, active);
        await g.promise;
        active -= 1;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await expect.poll(() => started).toEqual([0, 1, 2]);
    gates[0]!.resolve();
    gates[2]!.resolve();
    gates[3]!.resolve();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3]);
    expect(peak).toBe(2);
  });

  it('frees the slot of a rejected task and rejects only its caller', async () => {
    const run = limit(1);
    const failed = run(() => Promise.reject(new Error('boom')));
    const next = run(() => Promise.resolve('ok'));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });

  it('rejects a nonsensical bound', () => {
    expect(() => limit(0)).toThrow(RangeError);
  });
});

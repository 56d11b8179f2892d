/* eslint-disable @typescript-eslint/require-await -- fakes keep the async signatures of the APIs they stand in for. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ProcessOutcome, WorkQueue } from './work-queue.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A process function whose calls complete only when the test releases them. */
function controllable(): {
  process: (key: string) => Promise<ProcessOutcome>;
  calls: string[];
  release: (outcome?: ProcessOutcome) => void;
  inFlight: () => number;
} {
  const calls: string[] = [];
  const pending: ((o: ProcessOutcome) => void)[] = [];
  return {
    calls,
    process: (key) => {
      calls.push(key);
      return new Promise<ProcessOutcome>((resolve) => pending.push(resolve));
    },
    release: (outcome = 'done') => pending.shift()?.(outcome),
    inFlight: () => pending.length,
  };
}

describe('WorkQueue', () => {
  it('de-duplicates keys queued before processing', async () => {
    const seen: string[] = [];
    const q = new WorkQueue({ process: async (k) => (seen.push(k), 'done') });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    q.start();
    await vi.runAllTimersAsync();
    expect(seen).toEqual(['a', 'b']);
  });

  it('re-queues a key added while it is processed, never processing it concurrently', async () => {
    const c = controllable();
    const q = new WorkQueue({ process: c.process, concurrency: 4 });
    q.start();
    q.add('a');
    expect(c.calls).toEqual(['a']);
    q.add('a');
    q.add('a');
    await vi.advanceTimersByTimeAsync(0);
    expect(c.calls).toEqual(['a']); // not a second concurrent run
    c.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.calls).toEqual(['a', 'a']); // exactly one re-run
    c.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.calls).toEqual(['a', 'a']);
  });

  it('bounds concurrency', async () => {
    const c = controllable();
    const q = new WorkQueue({ process: c.process, concurrency: 2 });
    for (const k of ['a', 'b', 'c', 'd']) q.add(k);
    q.start();
    expect(c.inFlight()).toBe(2);
    c.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(c.calls).toEqual(['a', 'b', 'c']);
    expect(c.inFlight()).toBe(2);
  });

  it('retries with per-key exponential backoff and forgets on success', async () => {
    const times: number[] = [];
    let failuresLeft = 3;
    const q = new WorkQueue({
      baseDelayMs: 100,
      maxDelayMs: 1000,
      process: async () => {
        times.push(Date.now());
        return failuresLeft-- > 0 ? 'retry' : 'done';
      },
    });
    q.start();
    q.add('k');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times).toEqual([0, 100, 300, 700]);
    expect(q.numRequeues('k')).toBe(0);
  });

  it('treats a throwing process as a bug: reported, then retried', async () => {
    const errors: unknown[] = [];
    let first = true;
    const q = new WorkQueue({
      baseDelayMs: 50,
      onError: (_k, e) => errors.push(e),
      process: async () => {
        if (first) {
          first = false;
          throw new Error('bug');
        }
        return 'done';
      },
    });
    q.start();
    q.add('k');
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    expect(q.numRequeues('k')).toBe(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(q.numRequeues('k')).toBe(0);
  });

  it('addAfter keeps the earliest deadline per key', async () => {
    const seen: number[] = [];
    const q = new WorkQueue({ process: async () => (seen.push(Date.now()), 'done') });
    q.start();
    q.addAfter('k', 500);
    q.addAfter('k', 200);
    q.addAfter('k', 900);
    await vi.advanceTimersByTimeAsync(2000);
    expect(seen).toEqual([200]);
  });

  it('stop drains queued and in-flight keys, drops new and delayed ones', async () => {
    const c = controllable();
    const q = new WorkQueue({ process: c.process });
    q.add('a');
    q.add('b');
    q.addAfter('late', 100);
    q.start();
    let drained = false;
    const done = q.stop().then(() => (drained = true));
    q.add('c');
    c.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(drained).toBe(false);
    c.release('retry'); // a retry while stopping is dropped
    await vi.advanceTimersByTimeAsync(1000);
    await done;
    expect(c.calls).toEqual(['a', 'b']);
    expect(drained).toBe(true);
  });

  it('start(signal): aborting shuts the queue down', async () => {
    const q = new WorkQueue({ process: async () => 'done' });
    const ac = new AbortController();
    q.start(ac.signal);
    ac.abort();
    q.add('x');
    expect(q.len()).toBe(0);
  });
});

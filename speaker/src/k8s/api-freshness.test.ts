import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiFreshness } from './api-freshness.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ApiFreshness', () => {
  it('counts staleness from the last successful probe, reports each stale transition once', async () => {
    vi.useFakeTimers();
    let up = true;
    const transitions: boolean[] = [];
    const f = new ApiFreshness({
      probe: () => Promise.resolve(up),
      intervalMs: 1000,
      timeoutMs: 500,
      staleAfterMs: 3000,
      now: () => Date.now(),
      onStaleChange: (stale) => transitions.push(stale),
    });
    const controller = new AbortController();
    f.start(controller.signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(f.stalenessMs()).toBe(0);
    await vi.advanceTimersByTimeAsync(2500);
    expect(f.stalenessMs()).toBeLessThan(1000);
    up = false; // last success: the probe sent at t = 2 s
    await vi.advanceTimersByTimeAsync(2000);
    expect(f.stale()).toBe(false);
    await vi.advanceTimersByTimeAsync(1500);
    expect(f.stale()).toBe(true);
    expect(f.stalenessMs()).toBeGreaterThan(3000);
    await vi.advanceTimersByTimeAsync(5000);
    up = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.stale()).toBe(false);
    expect(transitions).toEqual([true, false]);
    controller.abort();
  });

  it('aborts a probe that outlives its timeout and counts it as a failure', async () => {
    vi.useFakeTimers();
    const aborted: boolean[] = [];
    const f = new ApiFreshness({
      // Hangs until aborted, then (too late) claims success.
      probe: (signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted.push(true);
            resolve(true);
          });
        }),
      intervalMs: 1000,
      timeoutMs: 1000,
      staleAfterMs: 3000,
      now: () => Date.now(),
    });
    f.start(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(5000);
    expect(aborted.length).toBeGreaterThanOrEqual(4);
    expect(f.stale()).toBe(true);
    f.stop();
  });

  it('is as old as the attempt to confirm it until the first probe succeeds', async () => {
    vi.useFakeTimers();
    const f = new ApiFreshness({
      probe: () => Promise.resolve(false),
      intervalMs: 1000,
      timeoutMs: 1000,
      staleAfterMs: 3000,
      now: () => Date.now(),
    });
    f.start(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(4000);
    expect(f.stalenessMs()).toBe(4000);
    f.stop();
  });

  it('with a view: freezes it on turning stale, and is fresh again only once the view has caught up', async () => {
    vi.useFakeTimers();
    let up = true;
    const log: string[] = [];
    let finish: ((done: boolean) => void) | undefined;
    const f = new ApiFreshness({
      probe: () => Promise.resolve(up),
      intervalMs: 1000,
      timeoutMs: 500,
      staleAfterMs: 3000,
      now: () => Date.now(),
      onStaleChange: (stale) => log.push(stale ? 'stale' : 'fresh'),
      view: {
        freeze: () => log.push('freeze'),
        catchUp: () => {
          log.push('catch-up');
          return new Promise((resolve) => {
            finish = resolve;
          });
        },
      },
    });
    f.start(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual([]);
    up = false; // last success: the probe at t = 0
    await vi.advanceTimersByTimeAsync(4000);
    expect(log).toEqual(['freeze', 'stale']);
    // The API server answers again: the view relists, and until that completes it stays stale and ageing.
    up = true;
    await vi.advanceTimersByTimeAsync(3000);
    expect(log).toEqual(['freeze', 'stale', 'catch-up']);
    expect(f.stale()).toBe(true);
    expect(f.stalenessMs()).toBe(7000);
    // One catch-up did not make it (a LIST failed): the next successful probe asks again.
    finish?.(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(log).toEqual(['freeze', 'stale', 'catch-up', 'catch-up']);
    expect(f.stale()).toBe(true);
    // Caught up 500 ms after it began: fresh, as old as the catch-up.
    await vi.advanceTimersByTimeAsync(500);
    finish?.(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(['freeze', 'stale', 'catch-up', 'catch-up', 'fresh']);
    expect(f.stalenessMs()).toBe(500);
    // Back to plain probing: the next outage freezes the view again.
    up = false;
    await vi.advanceTimersByTimeAsync(5000);
    expect(log.slice(5)).toEqual(['freeze', 'stale']);
    f.stop();
  });

  it('fresh since: null until a probe confirms the view, then the start of the unbroken fresh spell', async () => {
    vi.useFakeTimers();
    let up = false;
    const f = new ApiFreshness({
      probe: () => Promise.resolve(up),
      intervalMs: 1000,
      timeoutMs: 500,
      staleAfterMs: 3000,
      now: () => Date.now(),
    });
    const t0 = Date.now();
    f.start(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(1500);
    // Not stale yet (1.5 s < 3 s), but nothing confirmed it: not fresh either for the settle rule.
    expect(f.stale()).toBe(false);
    expect(f.freshSinceMs()).toBeNull();
    up = true;
    await vi.advanceTimersByTimeAsync(1000); // the probe at t = 2 s succeeds
    expect(f.freshSinceMs()).toBe(t0 + 2000);
    await vi.advanceTimersByTimeAsync(3000); // more successes keep the spell
    expect(f.freshSinceMs()).toBe(t0 + 2000);
    up = false;
    await vi.advanceTimersByTimeAsync(4000); // stale from t = 8 s: the spell is over
    expect(f.stale()).toBe(true);
    expect(f.freshSinceMs()).toBeNull();
    up = true;
    await vi.advanceTimersByTimeAsync(1000); // the probe at t = 10 s: fresh again, a new spell
    expect(f.stale()).toBe(false);
    expect(f.freshSinceMs()).toBe(t0 + 10_000);
    f.stop();
  });

  it('fresh since: a gap longer than stale-after restarts the spell even if no probe saw the view stale', async () => {
    vi.useFakeTimers();
    let up = true;
    const transitions: boolean[] = [];
    const f = new ApiFreshness({
      probe: () => Promise.resolve(up),
      intervalMs: 1000,
      timeoutMs: 500,
      staleAfterMs: 3000,
      now: () => Date.now(),
      onStaleChange: (stale) => transitions.push(stale),
    });
    const t0 = Date.now();
    f.start(new AbortController().signal);
    await vi.advanceTimersByTimeAsync(100);
    expect(f.freshSinceMs()).toBe(t0);
    // The probes at 1, 2 and 3 s fail: at 3 s the view is exactly 3 s old, not yet stale; the one at 4 s answers.
    up = false;
    await vi.advanceTimersByTimeAsync(3400);
    expect(f.freshSinceMs()).toBeNull(); // 3.5 s old: stale by the clock, though no probe has reported it
    up = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(transitions).toEqual([]);
    expect(f.freshSinceMs()).toBeGreaterThanOrEqual(t0 + 4000);
    expect(f.freshSinceMs()).toBeLessThan(t0 + 4100);
    f.stop();
  });
});

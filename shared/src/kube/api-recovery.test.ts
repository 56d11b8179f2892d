import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiRecovery } from './api-recovery.js';

afterEach(() => {
  vi.useRealTimers();
});

/** A probe whose answer the test sets; counts calls. */
function fakeProbe(initial: boolean): {
  probe: () => Promise<boolean>;
  calls: () => number;
  set: (up: boolean) => void;
} {
  let up = initial;
  let calls = 0;
  return {
    probe: () => {
      calls += 1;
      return Promise.resolve(up);
    },
    calls: () => calls,
    set: (v) => {
      up = v;
    },
  };
}

describe('ApiRecovery', () => {
  it('does not probe while nobody waits', async () => {
    vi.useFakeTimers();
    const p = fakeProbe(true);
    const recovery = new ApiRecovery({ probe: p.probe, intervalMs: 100 });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(p.calls()).toBe(0);
    expect(recovery.waiting()).toBe(0);
  });

  it('many waiters share one probe per interval and all fire at the first ready probe after a failed one', async () => {
    vi.useFakeTimers();
    const p = fakeProbe(false);
    const recovery = new ApiRecovery({ probe: p.probe, intervalMs: 100 });
    const fired: number[] = [];
    for (let i = 0; i < 5; i++)
      recovery.whenRecovered({
        unreachable: false,
        onRecovered: () => fired.push(i),
      });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fired).toEqual([]);
    // One probe at t=0, then one per 100 ms: 11 in 1 s for 5 waiters, not 55.
    expect(p.calls()).toBe(11);
    p.set(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toEqual([0, 1, 2, 3, 4]);
    expect(recovery.waiting()).toBe(0);
    const calls = p.calls();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(p.calls()).toBe(calls);
  });

  it('a waiter that saw the server reachable only fires after the probe has seen it fail', async () => {
    vi.useFakeTimers();
    const p = fakeProbe(true);
    const recovery = new ApiRecovery({ probe: p.probe, intervalMs: 100 });
    let fired = 0;
    const cancel = recovery.whenRecovered({
      unreachable: false,
      onRecovered: () => (fired += 1),
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fired).toBe(0);
    p.set(false);
    await vi.advanceTimersByTimeAsync(100);
    p.set(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toBe(1);
    cancel(); // after firing: a no-op
    expect(recovery.waiting()).toBe(0);
  });

  it('an unreachable waiter fires at the first ready probe; a cancelled one never fires', async () => {
    vi.useFakeTimers();
    const p = fakeProbe(true);
    const recovery = new ApiRecovery({ probe: p.probe, intervalMs: 100 });
    const fired: string[] = [];
    recovery.whenRecovered({ unreachable: true, onRecovered: () => fired.push('a') });
    const cancel = recovery.whenRecovered({ unreachable: true, onRecovered: () => fired.push('b') });
    cancel();
    await vi.advanceTimersByTimeAsync(0);
    expect(fired).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fired).toEqual(['a']);
    expect(p.calls()).toBe(1);
  });

  it('a probe that hangs or throws counts as not ready', async () => {
    vi.useFakeTimers();
    let mode: 'hang' | 'throw' | 'up' = 'hang';
    const recovery = new ApiRecovery({
      probe: () => {
        if (mode === 'hang') return new Promise<boolean>(() => undefined);
        if (mode === 'throw') return Promise.reject(new Error('boom'));
        return Promise.resolve(true);
      },
      intervalMs: 100,
      timeoutMs: 500,
    });
    let fired = 0;
    recovery.whenRecovered({ unreachable: false, onRecovered: () => (fired += 1) });
    await vi.advanceTimersByTimeAsync(550); // the hung probe timed out at 500 ms: a failure; next at 600
    expect(fired).toBe(0);
    mode = 'throw';
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toBe(0);
    mode = 'up';
    await vi.advanceTimersByTimeAsync(100);
    expect(fired).toBe(1);
  });
});

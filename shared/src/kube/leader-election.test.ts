import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaderElector } from './leader-election.js';
import { FakeLeaseStore } from './testing/fake-lease-api.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

interface Candidate {
  elector: LeaderElector;
  log: string[];
  state: { partitioned: boolean };
  leadingSignal: () => AbortSignal | undefined;
}

function candidate(store: FakeLeaseStore, identity: string, random = 0.5): Candidate {
  const log: string[] = [];
  const api = store.client(identity);
  let signal: AbortSignal | undefined;
  const elector = new LeaderElector({
    leases: api,
    namespace: 'ironlb-system',
    name: 'ironlb-controller',
    identity,
    leaseDurationSeconds: 15,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    now: () => Date.now(),
    random: () => random,
    onStartedLeading: (s) => {
      signal = s;
      log.push('started');
    },
    onStoppedLeading: () => log.push('stopped'),
    onNewLeader: (id) => log.push(`leader:${id}`),
  });
  return { elector, log, state: api.state, leadingSignal: () => signal };
}

/** Advance time in 100 ms steps, asserting at each step that at most one candidate leads. */
async function runFor(ms: number, all: Candidate[]): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    await vi.advanceTimersByTimeAsync(100);
    expect(all.filter((c) => c.elector.isLeader()).length).toBeLessThanOrEqual(1);
  }
}

describe('LeaderElector', () => {
  it('creates the lease, leads, and writes MicroTime with 6 fractional digits', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    a.elector.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.log).toEqual(['leader:a', 'started']);
    const wire = JSON.parse(store.writes[0]!.wire) as { spec: Record<string, unknown> };
    expect(wire.spec.renewTime).toMatch(/\.\d{6}Z$/);
    expect(wire.spec.acquireTime).toMatch(/\.\d{6}Z$/);
    expect(wire.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    await runFor(20_000, [a]);
    expect(store.current()?.spec?.leaseTransitions).toBe(0);
    expect(store.writes.length).toBeGreaterThanOrEqual(10); // renewed every ~2 s
    await a.elector.stop();
  });

  it('a second candidate stays follower while the leader renews', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    const b = candidate(store, 'b');
    a.elector.start();
    await vi.advanceTimersByTimeAsync(0);
    b.elector.start();
    await runFor(60_000, [a, b]);
    expect(a.elector.isLeader()).toBe(true);
    expect(b.log).toEqual(['leader:a']);
    expect(b.elector.leader()).toBe('a');
    await Promise.all([a.elector.stop(), b.elector.stop()]);
  });

  it('partitioned leader steps down at the renew deadline; the other takes over only after the lease duration', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    const b = candidate(store, 'b');
    a.elector.start();
    await vi.advanceTimersByTimeAsync(0);
    b.elector.start();
    await runFor(5_000, [a, b]);
    a.state.partitioned = true;
    const cut = Date.now();
    let aDown: number | undefined;
    let bUp: number | undefined;
    for (let t = 0; t < 30_000; t += 100) {
      await runFor(100, [a, b]);
      if (aDown === undefined && !a.elector.isLeader()) aDown = Date.now() - cut;
      if (bUp === undefined && b.elector.isLeader()) bUp = Date.now() - cut;
    }
    expect(aDown).toBeDefined();
    expect(aDown!).toBeLessThanOrEqual(10_000);
    expect(a.leadingSignal()?.aborted).toBe(true);
    expect(a.log).toContain('stopped');
    expect(bUp).toBeDefined();
    expect(bUp!).toBeGreaterThan(aDown!);
    expect(bUp!).toBeLessThanOrEqual(15_000 + 2 * 2_000 * 2.2);
    expect(store.current()?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    a.state.partitioned = false;
    await runFor(20_000, [a, b]); // healed: a does not steal the lease back
    expect(b.elector.isLeader()).toBe(true);
    await Promise.all([a.elector.stop(), b.elector.stop()]);
  });

  it('graceful stop aborts the work, then releases, so the follower takes over within one retry', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    const b = candidate(store, 'b');
    a.elector.start();
    await vi.advanceTimersByTimeAsync(0);
    b.elector.start();
    await runFor(3_000, [a, b]);
    await a.elector.stop();
    expect(a.leadingSignal()?.aborted).toBe(true);
    expect(a.log.at(-1)).toBe('stopped');
    expect(store.writes.at(-1)).toMatchObject({ by: 'a', holder: '' });
    const released = Date.now();
    while (!b.elector.isLeader()) await runFor(100, [a, b]);
    expect(Date.now() - released).toBeLessThanOrEqual(2_000 * 2.2 + 100);
    await b.elector.stop();
  });

  it('two candidates starting together: exactly one wins (the other gets 409)', async () => {
    const store = new FakeLeaseStore();
    const a = candidate(store, 'a');
    const b = candidate(store, 'b');
    a.elector.start();
    b.elector.start();
    await runFor(10_000, [a, b]);
    expect([a, b].filter((c) => c.elector.isLeader())).toHaveLength(1);
    await Promise.all([a.elector.stop(), b.elector.stop()]);
  });
});

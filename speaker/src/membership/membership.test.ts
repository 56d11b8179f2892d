import { afterEach, describe, expect, it } from 'vitest';
import type { MembershipChange, Peer } from './membership.js';
import { Membership } from './membership.js';

const secret = Buffer.from('test-secret');
const basePort = 17_946 + Math.floor(Math.random() * 1000);
const names = ['n1', 'n2', 'n3'];
const peers: Peer[] = names.map((name, i) => ({ name, address: '127.0.0.1', port: basePort + i }));

let running: Membership[] = [];

function startAll(opts: { timeoutMs: number }): { members: Membership[]; changes: MembershipChange[][] } {
  const changes: MembershipChange[][] = names.map(() => []);
  const members = names.map(
    (self, i) =>
      new Membership({
        self,
        secret,
        bindAddress: '127.0.0.1',
        port: basePort + i,
        intervalMs: 50,
        timeoutMs: opts.timeoutMs,
        stallToleranceMs: 2000,
        onChange: (c) => changes[i]?.push(...c),
      }),
  );
  members.forEach((m, i) => {
    m.publish({ claims: new Map(), stalenessMs: 0, stale: false, macs: [`02:00:00:00:00:1${i}`] });
  });
  running = members;
  return { members, changes };
}

async function until(check: () => boolean, timeoutMs: number): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

afterEach(async () => {
  await Promise.all(running.map((m) => m.stop()));
  running = [];
});

describe('Membership over UDP', () => {
  it('sees every peer alive, and a stopped peer dead within the timeout', async () => {
    const { members } = startAll({ timeoutMs: 300 });
    for (const m of members) {
      await m.start();
      m.setPeers(peers);
    }
    await until(() => members.every((m) => m.alive().size === 3), 2000);
    expect(members[0]?.peerMacs().get('n2')).toEqual(['02:00:00:00:00:11']);

    await members[2]?.stop();
    const took = await until(() => !members[0]?.alive().has('n3') && !members[1]?.alive().has('n3'), 3000);
    // Never declared dead before the timeout (minus the interval in which its last heartbeat was sent);
    // how fast it is detected is a benchmark (the failover e2e), not a unit-test bound.
    expect(took).toBeGreaterThanOrEqual(300 - 50);
  });

  it('takes a leaving peer out at once, without waiting for the timeout', async () => {
    const { members } = startAll({ timeoutMs: 5000 });
    for (const m of members) {
      await m.start();
      m.setPeers(peers);
    }
    await until(() => members.every((m) => m.alive().size === 3), 2000);
    await members[1]?.leave();
    // The timeout is 5 s: seeing n2 gone within 2 s can only come from its leave message.
    await until(() => !members[0]?.alive().has('n2'), 2000);
  });

  it('declares nobody dead while our own event loop is blocked', async () => {
    const { members, changes } = startAll({ timeoutMs: 300 });
    for (const m of members) {
      await m.start();
      m.setPeers(peers);
    }
    await until(() => members.every((m) => m.alive().size === 3), 2000);
    for (const c of changes) c.length = 0;
    const end = performance.now() + 900; // three times the timeout
    while (performance.now() < end) {
      // busy: the main thread cannot read sockets or run timers
    }
    await new Promise((r) => setTimeout(r, 400));
    expect(changes.flat().filter((c) => !c.alive)).toEqual([]);
    expect(members.every((m) => m.alive().size === 3)).toBe(true);
  });

  it('ignores heartbeats signed with another secret', async () => {
    const invalid: string[] = [];
    const a = new Membership({
      self: 'n1',
      secret,
      bindAddress: '127.0.0.1',
      port: basePort,
      intervalMs: 50,
      timeoutMs: 300,
      stallToleranceMs: 1000,
      onChange: () => undefined,
      onInvalid: (r) => invalid.push(r),
    });
    const b = new Membership({
      self: 'n2',
      secret: Buffer.from('wrong'),
      bindAddress: '127.0.0.1',
      port: basePort + 1,
      intervalMs: 50,
      timeoutMs: 300,
      stallToleranceMs: 1000,
      onChange: () => undefined,
    });
    running = [a, b];
    await a.start();
    await b.start();
    a.setPeers(peers.slice(0, 2));
    b.setPeers(peers.slice(0, 2));
    await until(() => invalid.length >= 3, 2000);
    expect(invalid[0]).toBe('bad signature');
    expect(a.alive()).toEqual(new Set(['n1']));
  });
});

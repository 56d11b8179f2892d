import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { MembershipChange, Peer } from './membership.js';
import { Membership } from './membership.js';

const secret = Buffer.from('test-secret');
const basePort = 17_946 + Math.floor(Math.random() * 1000);
const names = ['n1', 'n2', 'n3'];
const peers: Peer[] = names.map((name, i) => ({ name, address: '127.0.0.1', port: basePort + i }));

let running: Membership[] = [];

interface Started {
  members: Membership[];
  changes: MembershipChange[][];
  peerStates: string[][];
  invalid: string[][];
}

function startAll(opts: { timeoutMs: number }): Started {
  const changes: MembershipChange[][] = names.map(() => []);
  const peerStates: string[][] = names.map(() => []);
  const invalid: string[][] = names.map(() => []);
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
        onPeerState: (node) => peerStates[i]?.push(node),
        onInvalid: (reason) => invalid[i]?.push(reason),
      }),
  );
  members.forEach((m, i) => {
    m.publish({ claims: new Map(), stalenessMs: 0, stale: false, macs: [`02:00:00:00:00:1${i}`] });
  });
  running = members;
  return { members, changes, peerStates, invalid };
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

// Generous waits: the machine running the suite may be loaded; no wait below is a speed assertion.
describe('Membership over UDP', { timeout: 30_000 }, () => {
  it('sees every peer alive, and a stopped peer dead within the timeout', async () => {
    const { members } = startAll({ timeoutMs: 300 });
    for (const m of members) {
      await m.start();
      m.setPeers(peers);
    }
    await until(() => members.every((m) => m.alive().size === 3), 8000);
    expect(members[0]?.peerMacs().get('n2')).toEqual(['02:00:00:00:00:11']);
    expect(members[0]?.peers().get('n2')).toEqual({
      node: 'n2',
      stalenessMs: expect.any(Number) as number,
      stale: false,
      claims: new Map(),
      macs: ['02:00:00:00:00:11'],
    });

    // Measured from the moment we begin stopping n3: its last heartbeat left at most one interval before.
    const stopping = performance.now();
    await members[2]?.stop();
    await until(() => !members[0]?.alive().has('n3') && !members[1]?.alive().has('n3'), 8000);
    const took = performance.now() - stopping;
    // Never declared dead before the timeout (minus the interval in which its last heartbeat was sent);
    // how fast it is detected is a benchmark (the failover e2e), not a unit-test bound.
    expect(took).toBeGreaterThanOrEqual(300 - 50);
  });

  it('takes a leaving peer out at once, without waiting for the timeout', async () => {
    const { members } = startAll({ timeoutMs: 20_000 });
    for (const m of members) {
      await m.start();
      m.setPeers(peers);
    }
    await until(() => members.every((m) => m.alive().size === 3), 8000);
    await members[1]?.leave();
    // The timeout is 20 s: seeing n2 gone within 8 s can only come from its leave message.
    await until(() => !members[0]?.alive().has('n2'), 8000);
  });

  it('declares nobody dead while our own event loop is blocked', async () => {
    const { members, changes } = startAll({ timeoutMs: 300 });
    for (const m of members) {
      await m.start();
      m.setPeers(peers);
    }
    await until(() => members.every((m) => m.alive().size === 3), 8000);
    for (const c of changes) c.length = 0;
    const end = performance.now() + 900; // three times the timeout
    while (performance.now() < end) {
      // busy: the main thread cannot read sockets or run timers
    }
    await new Promise((r) => setTimeout(r, 400));
    expect(changes.flat().filter((c) => !c.alive)).toEqual([]);
    expect(members.every((m) => m.alive().size === 3)).toBe(true);
  });

  it('declares nobody dead when our event loop blocks between a sweep and its verdict', async () => {
    const { members, changes } = startAll({ timeoutMs: 300 });
    for (const m of members) {
      await m.start();
      m.setPeers(peers);
    }
    await until(() => members.every((m) => m.alive().size === 3), 8000);
    for (const c of changes) c.length = 0;
    // A callback queued in the same turn as a sweep's verdict and run before it (as a plan is): 12 tries at
    // spread-out moments, each blocking for more than the timeout.
    for (let i = 0; i < 12; i++) {
      await new Promise<void>((resolve) => {
        setTimeout(
          () => {
            setImmediate(() => {
              const end = performance.now() + 400;
              while (performance.now() < end) {
                // busy
              }
              resolve();
            });
          },
          7 + i * 3,
        );
      });
      await new Promise((r) => setTimeout(r, 60));
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(changes.flat().filter((c) => !c.alive)).toEqual([]);
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
    await until(() => invalid.length >= 3, 8000);
    expect(invalid[0]).toBe('bad signature');
    expect(a.alive()).toEqual(new Set(['n1']));
  });

  it('pushes a changed claim set to every peer, and a late peer pulls it', async () => {
    const { members, peerStates } = startAll({ timeoutMs: 300 });
    const [n1, n2, n3] = members;
    if (!n1 || !n2 || !n3) throw new Error('three members');
    for (const m of [n1, n2]) {
      await m.start();
      m.setPeers(peers);
    }
    await until(() => n1.alive().size === 2 && n2.alive().size === 2, 8000);
    // 1,000 IPs: several chunk datagrams.
    const claims = new Map<string, number>(
      Array.from({ length: 1000 }, (_, i) => [`10.9.${i >> 8}.${i & 255}`, i]),
    );
    claims.set('2001:db8::9', 0xffff_ffff);
    n1.publish({ claims, stalenessMs: 20, stale: false, macs: ['02:00:00:00:00:10'] });
    await until(() => n2.peers().get('n1')?.claims?.size === 1001, 8000);
    expect(n2.peers().get('n1')?.claims).toEqual(claims);
    expect(peerStates[1]).toContain('n1');

    // n3 starts after the push: it never received the chunks and must pull them.
    await n3.start();
    n3.setPeers(peers);
    await until(() => n3.peers().get('n1')?.claims?.size === 1001, 8000);
    expect(n3.peers().get('n1')?.claims).toEqual(claims);

    // A stale view is reported, and fewer claims replace the set (never a mix of both).
    n1.publish({ claims: new Map([['10.9.0.1', 1]]), stalenessMs: 30_000, stale: true, macs: [] });
    await until(() => n3.peers().get('n1')?.stale === true && n3.peers().get('n1')?.claims?.size === 1, 8000);
    expect(n3.peers().get('n1')?.claims).toEqual(new Map([['10.9.0.1', 1]]));
  });

  it("ignores a peer whose signed address is not its Node's address", async () => {
    const { members, invalid } = startAll({ timeoutMs: 300 });
    const [n1, n2] = members;
    if (!n1 || !n2) throw new Error('two members');
    await n1.start();
    await n2.start();
    // n1 believes n2's Node has 127.0.0.2; n2 signs (and sends from) 127.0.0.1.
    n1.setPeers([peers[0] as Peer, { ...(peers[1] as Peer), address: '127.0.0.2' }]);
    n2.setPeers(peers.slice(0, 2));
    await until(() => invalid[0]?.some((r) => r.includes("is not the node's 127.0.0.2")) ?? false, 8000);
    expect(n1.alive()).toEqual(new Set(['n1']));
  });

  it('rejects a captured heartbeat re-sent from another source address', async () => {
    const { members, invalid } = startAll({ timeoutMs: 300 });
    const [n1, n2] = members;
    if (!n1 || !n2) throw new Error('two members');
    // A listener on n3's port captures what n2 sends to n3.
    const capture = createSocket('udp4');
    const captured: Buffer[] = [];
    capture.on('message', (msg) => captured.push(msg));
    await new Promise<void>((resolve) => capture.bind(basePort + 2, '127.0.0.1', resolve));
    const attacker = createSocket('udp4');
    await new Promise<void>((resolve) => attacker.bind(0, '127.0.0.5', resolve));
    try {
      await n2.start();
      n2.setPeers(peers);
      await until(() => captured.length > 0, 8000);
      await n2.stop();
      await n1.start();
      n1.setPeers(peers);
      // n2 is gone; the attacker replays its fresh heartbeat from 127.0.0.5 (within the clock window).
      const replay = captured.at(-1) ?? Buffer.alloc(0);
      for (let i = 0; i < 5; i++) attacker.send(replay, basePort, '127.0.0.1');
      await until(() => invalid[0]?.some((r) => r.includes('is not the source 127.0.0.5')) ?? false, 8000);
      expect(n1.alive()).toEqual(new Set(['n1']));
    } finally {
      capture.close();
      attacker.close();
    }
  });

  it('warns once when the node address is not local and heartbeats cannot be sent from it', async () => {
    const warnings: string[] = [];
    const a = new Membership({
      self: 'n1',
      secret,
      bindAddress: '127.0.0.1',
      port: basePort,
      intervalMs: 50,
      timeoutMs: 300,
      stallToleranceMs: 1000,
      onChange: () => undefined,
      onWarning: (m) => warnings.push(m),
    });
    running = [a];
    await a.start();
    // 198.18.0.0/15 is not on this host: binding the heartbeat socket to it fails.
    a.setPeers([{ ...(peers[0] as Peer), address: '198.18.0.250' }, peers[1] as Peer]);
    await until(() => warnings.length > 0, 8000);
    expect(warnings).toEqual([
      expect.stringContaining('cannot send heartbeats from the node address 198.18.0.250') as string,
    ]);
  });
});

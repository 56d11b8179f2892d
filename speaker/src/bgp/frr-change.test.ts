import { describe, expect, it } from 'vitest';
import { frrChange } from './frr-change.js';
import type { FrrPeer, FrrPlan, FrrPrefix } from './frr-plan.js';

const px = (prefix: string, o: Partial<FrrPrefix> = {}): FrrPrefix => ({
  prefix,
  communities: [],
  largeCommunities: [],
  ...o,
});

function peer(over: Partial<FrrPeer> = {}): FrrPeer {
  return {
    name: 'router',
    address: '198.51.100.1',
    asn: 64513,
    localASN: 64512,
    ebgpMultihop: false,
    prefixes: [],
    ...over,
  };
}

const v6 = (prefixes: FrrPrefix[]): FrrPeer => peer({ name: 'v6', address: '2001:db8::1', prefixes });

function plan(peers: FrrPeer[], o: Partial<FrrPlan> = {}): FrrPlan {
  return { routerId: '192.0.2.11', bfdProfiles: [], peers, ...o };
}

function commands(before: FrrPlan | undefined, after: FrrPlan): string[] {
  const c = frrChange(before, after);
  if (c.kind !== 'incremental') throw new Error(`expected incremental, got ${JSON.stringify(c)}`);
  expect(c.commands[0]).toBe('configure terminal');
  expect(c.commands.at(-1)).toBe('end');
  return c.commands.slice(1, -1);
}

/** The tag number of a route-map name in a command. */
const tagIn = (line: string): string => /ironlb-tag-(\d+)/.exec(line)?.[1] ?? '';

describe('frrChange', () => {
  it('nothing applied yet, or the same plan', () => {
    const p = plan([peer({ prefixes: [px('203.0.113.1/32')] })]);
    expect(frrChange(undefined, p)).toEqual({ kind: 'structural', reason: 'nothing applied yet' });
    expect(frrChange(p, structuredClone(p))).toEqual({ kind: 'unchanged' });
    // Order of the lists does not matter (the rendered text does not either).
    const two = plan([peer({ prefixes: [px('203.0.113.1/32'), px('203.0.113.2/32')] })]);
    const swapped = plan([peer({ prefixes: [px('203.0.113.2/32'), px('203.0.113.1/32')] })]);
    expect(frrChange(two, swapped)).toEqual({ kind: 'unchanged' });
  });

  it('a first prefix of a class: its tag map and the peer entry come before the network statement', () => {
    const before = plan([peer()]);
    const after = plan([peer({ prefixes: [px('203.0.113.1/32')] })]);
    const c = commands(before, after);
    const tag = tagIn(c.find((l) => l.startsWith('network ')) ?? '');
    expect(tag).not.toBe('');
    expect(c).toEqual([
      `route-map ironlb-tag-${tag} permit 1`,
      `set tag ${tag}`,
      'exit',
      'route-map ironlb-out-198-51-100-1 permit 1',
      `match tag ${tag}`,
      'exit',
      'router bgp 64512',
      'address-family ipv4 unicast',
      `network 203.0.113.1/32 route-map ironlb-tag-${tag}`,
      'exit-address-family',
      'exit',
    ]);
    expect(frrChange(before, after)).toMatchObject({ added: 1, removed: 0, changed: 0 });
  });

  it('another prefix of an existing class is one network statement; removing it one `no network`', () => {
    const one = plan([peer({ prefixes: [px('203.0.113.1/32')] })]);
    const two = plan([peer({ prefixes: [px('203.0.113.1/32'), px('203.0.113.2/32')] })]);
    const add = commands(one, two);
    expect(add).toEqual([
      'router bgp 64512',
      'address-family ipv4 unicast',
      expect.stringMatching(/^network 203\.0\.113\.2\/32 route-map ironlb-tag-\d+$/),
      'exit-address-family',
      'exit',
    ]);
    expect(commands(two, one)).toEqual([
      'router bgp 64512',
      'address-family ipv4 unicast',
      'no network 203.0.113.2/32',
      'exit-address-family',
      'exit',
    ]);
  });

  it('the last prefix of a class: `no network` first, then its route-map entries', () => {
    const before = plan([peer({ prefixes: [px('203.0.113.1/32')] })]);
    const after = plan([peer()]);
    const c = commands(before, after);
    const tag = tagIn(commands(after, before).find((l) => l.startsWith('network ')) ?? '');
    expect(c).toEqual([
      'router bgp 64512',
      'address-family ipv4 unicast',
      'no network 203.0.113.1/32',
      'exit-address-family',
      'exit',
      `no route-map ironlb-tag-${tag} permit 1`,
      'no route-map ironlb-out-198-51-100-1 permit 1',
    ]);
  });

  it('new communities or local preference move the prefix to another class: new entries, then the network again', () => {
    const before = plan([peer({ prefixes: [px('203.0.113.1/32'), px('203.0.113.2/32')] })]);
    const after = plan([
      peer({
        prefixes: [
          px('203.0.113.1/32'),
          px('203.0.113.2/32', { communities: ['65000:1'], largeCommunities: ['1:2:3'], localPref: 200 }),
        ],
      }),
    ]);
    const c = commands(before, after);
    const net = c.find((l) => l.startsWith('network ')) ?? '';
    expect(net).toMatch(/^network 203\.0\.113\.2\/32 route-map ironlb-tag-\d+$/);
    const tag = tagIn(net);
    const oldTag = tagIn(commands(after, before).find((l) => l.startsWith('network ')) ?? '');
    expect(tag).not.toBe(oldTag);
    expect(c.join('\n')).toContain(
      `match tag ${tag}\nset community 65000:1 additive\nset large-community 1:2:3 additive\nset local-preference 200\nexit`,
    );
    // No `no network`: re-stating the network with another route-map updates the route in place.
    expect(c.some((l) => l.startsWith('no network'))).toBe(false);
    const networkAt = c.indexOf(net);
    expect(c.findIndex((l) => l === `set tag ${tag}`)).toBeLessThan(networkAt);
    expect(c.findIndex((l) => l === `match tag ${tag}`)).toBeLessThan(networkAt);
    expect(frrChange(before, after)).toMatchObject({ added: 0, removed: 0, changed: 1 });
    // A rewritten entry of the peer's route-map is deleted and written again, before the network statement.
    const rewritten = c.filter((l) => l.startsWith('no route-map'));
    for (const r of rewritten) expect(c.indexOf(r)).toBeLessThan(networkAt);
  });

  it('a changed community of a whole class changes the class: every prefix of it gets the new tag', () => {
    const before = plan([peer({ prefixes: [px('203.0.113.1/32', { communities: ['1:1'] })] })]);
    const after = plan([peer({ prefixes: [px('203.0.113.1/32', { communities: ['1:2'] })] })]);
    const c = commands(before, after);
    expect(c.filter((l) => l.includes('network'))).toEqual([
      expect.stringMatching(/^network 203\.0\.113\.1\/32 route-map ironlb-tag-\d+$/),
    ]);
    expect(c).toContain('set community 1:2 additive');
    expect(c.filter((l) => l.startsWith('no route-map ironlb-tag-'))).toHaveLength(1);
  });

  it('IPv4 and IPv6 prefixes go to their own address families', () => {
    const before = plan([peer(), v6([])]);
    const after = plan([peer({ prefixes: [px('203.0.113.1/32')] }), v6([px('2001:db8:ff::1/128')])]);
    const c = commands(before, after);
    const start = c.indexOf('router bgp 64512');
    expect(c.slice(start).map((l) => l.replace(/ironlb-tag-\d+/, 'T'))).toEqual([
      'router bgp 64512',
      'address-family ipv4 unicast',
      'network 203.0.113.1/32 route-map T',
      'exit-address-family',
      'address-family ipv6 unicast',
      'network 2001:db8:ff::1/128 route-map T',
      'exit-address-family',
      'exit',
    ]);
    expect(c).toContain('route-map ironlb-out-2001-db8--1 permit 1');
  });

  it('a prefix for a second peer changes its class (sent to both now)', () => {
    const p2 = (prefixes: FrrPrefix[]): FrrPeer => peer({ name: 'r2', address: '198.51.100.2', prefixes });
    const before = plan([peer({ prefixes: [px('203.0.113.1/32')] }), p2([])]);
    const after = plan([peer({ prefixes: [px('203.0.113.1/32')] }), p2([px('203.0.113.1/32')])]);
    const c = commands(before, after);
    expect(c).toContain('route-map ironlb-out-198-51-100-2 permit 1');
    expect(c.filter((l) => l.includes('network'))).toHaveLength(1);
  });

  it.each<[string, (p: FrrPlan) => FrrPlan]>([
    ['router ID', (p) => ({ ...p, routerId: '192.0.2.99' })],
    ['a new peer', (p) => ({ ...p, peers: [...p.peers, peer({ address: '198.51.100.7' })] })],
    ['a peer gone', (p) => ({ ...p, peers: [] })],
    ['peer ASN', (p) => ({ ...p, peers: p.peers.map((x) => ({ ...x, asn: 65000 })) })],
    ['local ASN', (p) => ({ ...p, peers: p.peers.map((x) => ({ ...x, localASN: 65001 })) })],
    ['password', (p) => ({ ...p, peers: p.peers.map((x) => ({ ...x, password: 'pw' })) })],
    ['timers', (p) => ({ ...p, peers: p.peers.map((x) => ({ ...x, holdTimeSeconds: 30 })) })],
    [
      'BFD profile',
      (p) => ({
        ...p,
        bfdProfiles: [{ name: 'fast', receiveIntervalMs: 50 }],
        peers: p.peers.map((x) => ({ ...x, bfdProfile: 'fast' })),
      }),
    ],
  ])('%s is structural, also together with prefix changes', (_, change) => {
    const before = plan([peer({ prefixes: [px('203.0.113.1/32')] })]);
    expect(frrChange(before, change(before)).kind).toBe('structural');
    const withPrefix = change(plan([peer({ prefixes: [px('203.0.113.2/32')] })]));
    expect(frrChange(before, withPrefix).kind).toBe('structural');
  });

  it('a BFD profile changed that a peer uses is structural', () => {
    const withBfd = (ms: number): FrrPlan =>
      plan([peer({ bfdProfile: 'fast', prefixes: [px('203.0.113.1/32')] })], {
        bfdProfiles: [{ name: 'fast', receiveIntervalMs: ms }],
      });
    expect(frrChange(withBfd(50), withBfd(100)).kind).toBe('structural');
  });
});

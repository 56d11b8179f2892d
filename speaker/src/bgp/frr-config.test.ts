import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sortCommunities, sortLargeCommunities } from './communities.js';
import { mergeByPrefix } from './frr-classes.js';
import { renderFrrConfig } from './frr-config.js';
import type { FrrPeer, FrrPlan } from './frr-plan.js';
import { GOLDEN_PLANS } from './testing/frr-plans.js';

const golden = (name: string): string =>
  readFileSync(new URL(`./testing/golden/${name}.conf`, import.meta.url), 'utf8');

const peer = (over: Partial<FrrPeer> = {}): FrrPeer => ({
  name: 'r',
  address: '198.51.100.1',
  asn: 64513,
  localASN: 64512,
  ebgpMultihop: false,
  prefixes: [],
  ...over,
});

describe('renderFrrConfig', () => {
  it.each(Object.keys(GOLDEN_PLANS))('%s matches its golden file', (name) => {
    expect(renderFrrConfig(GOLDEN_PLANS[name]!)).toBe(golden(name));
  });

  it('restarts gracefully but lets a hold-timer expiry remove the node (graceful restart without the N-bit)', () => {
    const lines = renderFrrConfig({ routerId: '192.0.2.11', bfdProfiles: [], peers: [peer()] }).split('\n');
    const bgp = lines.slice(lines.indexOf('router bgp 64512'), lines.indexOf('exit'));
    expect(bgp).toContain(' bgp graceful-restart');
    expect(bgp).toContain(' bgp graceful-restart preserve-fw-state');
    expect(bgp).toContain(' no bgp graceful-restart notification');
    expect(bgp.filter((l) => l.includes('graceful-restart'))).toHaveLength(3);
  });

  it('does not depend on the order of its input lists', () => {
    const plan = GOLDEN_PLANS['dual-stack-everything']!;
    const shuffled: FrrPlan = {
      ...plan,
      bfdProfiles: [...plan.bfdProfiles].reverse(),
      peers: [...plan.peers].reverse().map((p) => ({ ...p, prefixes: [...p.prefixes].reverse() })),
    };
    expect(renderFrrConfig(shuffled)).toBe(renderFrrConfig(plan));
  });

  it('advertises to each peer exactly its prefixes, in its own address family', () => {
    const text = renderFrrConfig({
      routerId: '192.0.2.11',
      bfdProfiles: [],
      peers: [
        peer({ prefixes: [{ prefix: '203.0.113.1/32', communities: [], largeCommunities: [] }] }),
        peer({
          address: '198.51.100.2',
          prefixes: [{ prefix: '203.0.113.2/32', communities: [], largeCommunities: [] }],
        }),
        peer({
          address: '2001:db8::1',
          prefixes: [{ prefix: '2001:db8:ff::1/128', communities: [], largeCommunities: [] }],
        }),
      ],
    });
    const lines = text.split('\n');
    // Each prefix is its own class (a different peer each): three tags, each permitted by one peer's map only.
    const tagOf = (prefix: string): string =>
      /route-map ironlb-tag-(\d+)$/.exec(lines.find((l) => l.includes(`network ${prefix} `)) ?? '')?.[1] ??
      '';
    const permitted = (peerMap: string): string[] => {
      const out: string[] = [];
      lines.forEach((l, i) => {
        if (l.startsWith(`route-map ${peerMap} permit`)) out.push(lines[i + 1] ?? '');
      });
      return out;
    };
    expect(permitted('ironlb-out-198-51-100-1')).toEqual([` match tag ${tagOf('203.0.113.1/32')}`]);
    expect(permitted('ironlb-out-198-51-100-2')).toEqual([` match tag ${tagOf('203.0.113.2/32')}`]);
    expect(permitted('ironlb-out-2001-db8--1')).toEqual([` match tag ${tagOf('2001:db8:ff::1/128')}`]);
    expect(new Set(['203.0.113.1/32', '203.0.113.2/32', '2001:db8:ff::1/128'].map(tagOf)).size).toBe(3);
    expect(text).not.toContain('prefix-list');
    const v4 = text.slice(text.indexOf('address-family ipv4'), text.indexOf('address-family ipv6'));
    const v6 = text.slice(text.indexOf('address-family ipv6'));
    expect(v4).not.toContain('2001:db8::1 activate');
    expect(v6).not.toContain('198.51.100.1 activate');
    expect(v6.split('\n').filter((l) => l.includes('network'))).toEqual([
      `  network 2001:db8:ff::1/128 route-map ironlb-tag-${tagOf('2001:db8:ff::1/128')}`,
    ]);
  });

  it('uses the ASN most peers share and local-as for the others', () => {
    const text = renderFrrConfig({
      routerId: '192.0.2.11',
      bfdProfiles: [],
      peers: [
        peer({ address: '198.51.100.1', localASN: 65002 }),
        peer({ address: '198.51.100.2', localASN: 65001 }),
        peer({ address: '198.51.100.3', localASN: 65001 }),
      ],
    });
    expect(text).toContain('router bgp 65001\n');
    expect(text).toContain(' neighbor 198.51.100.1 local-as 65002 no-prepend replace-as\n');
    expect(text).not.toContain('198.51.100.2 local-as');
  });

  it.each([
    [{ holdTimeSeconds: 90 }, '30 90'],
    [{ keepaliveTimeSeconds: 20 }, '20 60'],
    [{ keepaliveTimeSeconds: 5, holdTimeSeconds: 15 }, '5 15'],
    [{ holdTimeSeconds: 0 }, '0 0'],
  ])('timers %j → %s', (over, expected) => {
    const text = renderFrrConfig({ routerId: '192.0.2.11', bfdProfiles: [], peers: [peer(over)] });
    expect(text).toContain(` neighbor 198.51.100.1 timers ${expected}\n`);
  });

  it('refuses (as a bug) a value that would break an FRR line', () => {
    const plan = { routerId: '192.0.2.11', bfdProfiles: [], peers: [peer({ password: 'a b' })] };
    expect(() => renderFrrConfig(plan)).toThrow(/white space/);
  });
});

describe('mergeByPrefix', () => {
  it('unions communities and keeps the highest local preference', () => {
    expect(
      mergeByPrefix([
        { prefix: '203.0.113.0/24', communities: ['1:1'], largeCommunities: ['1:1:1'], localPref: 10 },
        { prefix: '203.0.113.0/24', communities: ['1:2'], largeCommunities: [] },
        { prefix: '203.0.113.0/24', communities: [], largeCommunities: [], localPref: 30 },
      ]),
    ).toEqual([
      { prefix: '203.0.113.0/24', communities: ['1:1', '1:2'], largeCommunities: ['1:1:1'], localPref: 30 },
    ]);
  });
});

describe('communities', () => {
  it('sorts numerically, drops duplicates and names well-known values as FRR prints them', () => {
    expect(sortCommunities(['65535:65281', '10:2', '9:300', 'no-export', '10:2', '0:0'])).toEqual([
      'internet',
      '9:300',
      '10:2',
      'no-export',
    ]);
    expect(sortLargeCommunities(['2:1:1', '1:10:1', '1:9:4294967295', '1:9:4294967295'])).toEqual([
      '1:9:4294967295',
      '1:10:1',
      '2:1:1',
    ]);
  });

  it.each(['65536:1', '1:2:3', 'nope', '01:2'])(
    'keeps %j, not a standard community value, after the numbers',
    (c) => {
      expect(sortCommunities([c, '1:1', c])).toEqual(['1:1', c]);
    },
  );

  it.each(['1:2', '4294967296:1:1', 'a:b:c'])(
    'keeps %j, not a large community value, after the numbers',
    (c) => {
      expect(sortLargeCommunities([c, '1:1:1'])).toEqual(['1:1:1', c]);
    },
  );
});

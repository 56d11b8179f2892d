import { describe, expect, it } from 'vitest';
import { nodeFrrPlan, routerIdFor } from './node-frr-plan.js';
import type { BgpPeerFacts } from './types.js';

const peer = (name: string, address: string, bfdProfile?: string): BgpPeerFacts => ({
  name,
  address,
  asn: 64512,
  localASN: 64513,
  ebgpMultihop: false,
  bfdProfile,
  nodeSelector: { matchLabels: { zone: 'a' } },
});

describe('nodeFrrPlan', () => {
  it('keeps one session per address, drops unknown BFD profiles and lists only the profiles in use', () => {
    const prefixes = [{ prefix: '203.0.113.10/32', communities: [], largeCommunities: [] }];
    const plan = nodeFrrPlan({
      routerId: '192.0.2.11',
      plan: {
        ips: [],
        sessions: [
          { peer: peer('a', '192.0.2.61', 'fast'), prefixes },
          { peer: peer('b', '192.0.2.61', 'slow'), prefixes: [] },
          { peer: peer('c', '192.0.2.62', 'missing'), prefixes: [] },
        ],
      },
      bfdProfiles: [{ name: 'fast' }, { name: 'slow' }, { name: 'unused' }],
    });
    expect(plan.peers.map((p) => [p.name, p.address, p.bfdProfile, p.prefixes.length])).toEqual([
      ['a', '192.0.2.61', 'fast', 1],
      ['c', '192.0.2.62', undefined, 0],
    ]);
    expect(plan.peers[0]).not.toHaveProperty('nodeSelector');
    expect(plan.bfdProfiles).toEqual([{ name: 'fast' }]);
  });
});

describe('routerIdFor', () => {
  it('is the first IPv4 address', () => {
    expect(routerIdFor('n1', ['2001:db8::11', '192.0.2.11', '192.0.2.12'])).toBe('192.0.2.11');
  });
  it('is stable, non-zero and differs between IPv6-only nodes', () => {
    const a = routerIdFor('node-a', ['2001:db8::11']);
    expect(routerIdFor('node-a', [])).toBe(a);
    expect(a).toMatch(/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
    expect(a).not.toBe('0.0.0.0');
    expect(routerIdFor('node-b', ['2001:db8::12'])).not.toBe(a);
  });
});

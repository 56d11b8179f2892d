import { parseIPPool, type IPPoolConfig } from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import { EXCLUDE_FROM_LB_LABEL, type NodeFacts } from '../eligibility/index.js';
import type { ServiceView } from '../planner/index.js';
import { ADVERTISE_CHECKS, planAdvertisements } from './advertise.js';
import type { AdvertiseInput, BgpAdvertisementFacts, BgpPeerFacts } from './types.js';

function pool(name: string, addresses: string[], labels: Record<string, string> = {}): IPPoolConfig {
  const r = parseIPPool({ metadata: { name, labels }, spec: { addresses } });
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
}

const node = (over: Partial<NodeFacts> = {}): NodeFacts => ({
  name: 'n1',
  labels: { zone: 'a' },
  ready: true,
  networkUnavailable: false,
  ...over,
});

const peer = (over: Partial<BgpPeerFacts> = {}): BgpPeerFacts => ({
  name: 'router',
  address: '192.0.2.61',
  asn: 64512,
  localASN: 64513,
  ebgpMultihop: false,
  ...over,
});

const ad = (over: Partial<BgpAdvertisementFacts> = {}): BgpAdvertisementFacts => ({
  name: 'adv',
  ipPools: ['bgp'],
  peers: [],
  communities: [],
  largeCommunities: [],
  ...over,
});

const svc = (over: Partial<ServiceView> = {}): ServiceView => ({
  namespace: 'default',
  name: 'web',
  ips: ['203.0.113.10'],
  externalTrafficPolicy: 'Cluster',
  endpoints: [],
  ...over,
});

function input(over: Partial<AdvertiseInput> = {}): AdvertiseInput {
  return {
    self: node(),
    services: [svc()],
    pools: [pool('bgp', ['203.0.113.0/24', '2001:db8:ff::/64'])],
    peers: [peer(), peer({ name: 'router-v6', address: '2001:db8::61' })],
    advertisements: [ad()],
    ...over,
  };
}

type Patch = (i: AdvertiseInput) => AdvertiseInput;

describe('planAdvertisements: why an IP is not advertised', () => {
  const local = (nodeName: string | null, ready = true): ServiceView =>
    svc({ externalTrafficPolicy: 'Local', endpoints: [{ nodeName, ready }] });
  const table: [string, Patch, string | null][] = [
    ['ETP Cluster, everything in place', (i) => i, null],
    ['no advertisement at all', (i) => ({ ...i, advertisements: [] }), 'NoBGPAdvertisement'],
    [
      'advertisement for another pool',
      (i) => ({ ...i, advertisements: [ad({ ipPools: ['other'] })] }),
      'NoBGPAdvertisement',
    ],
    [
      'advertisement by pool selector',
      (i) => ({
        ...i,
        pools: [pool('bgp', ['203.0.113.0/24'], { tier: 'edge' })],
        advertisements: [ad({ ipPools: [], ipPoolSelector: { matchLabels: { tier: 'edge' } } })],
      }),
      null,
    ],
    [
      'advertisement with neither ipPools nor selector covers every pool',
      (i) => ({ ...i, advertisements: [ad({ ipPools: [] })] }),
      null,
    ],
    [
      'advertisement selects other nodes',
      (i) => ({ ...i, advertisements: [ad({ nodeSelector: { matchLabels: { zone: 'b' } } })] }),
      'NodeSelectorMismatch',
    ],
    ['node not Ready', (i) => ({ ...i, self: node({ ready: false }) }), 'NodeNotReady'],
    [
      'node excluded from load balancers',
      (i) => ({ ...i, self: node({ labels: { [EXCLUDE_FROM_LB_LABEL]: '' } }) }),
      'NodeExcluded',
    ],
    [
      'network unavailable',
      (i) => ({ ...i, self: node({ networkUnavailable: true }) }),
      'NetworkUnavailable',
    ],
    ['ETP Local, endpoint on this node', (i) => ({ ...i, services: [local('n1')] }), null],
    ['ETP Local, endpoint elsewhere only', (i) => ({ ...i, services: [local('n2')] }), 'NoLocalEndpoints'],
    [
      'ETP Local, local endpoint not ready',
      (i) => ({ ...i, services: [local('n1', false)] }),
      'NoLocalEndpoints',
    ],
    [
      'no peer selects this node',
      (i) => ({ ...i, peers: [peer({ nodeSelector: { matchLabels: { zone: 'b' } } })] }),
      'NoBGPPeer',
    ],
    [
      'the advertisement names a peer this node has no session with',
      (i) => ({ ...i, advertisements: [ad({ peers: ['elsewhere'] })] }),
      'NoBGPPeer',
    ],
    [
      'IPv4 IP and only an IPv6 peer',
      (i) => ({ ...i, peers: [peer({ name: 'router-v6', address: '2001:db8::61' })] }),
      'NoBGPPeer',
    ],
  ];
  it.each(table)('%s', (_name, patch, reason) => {
    const plan = planAdvertisements(patch(input()));
    expect(plan.ips).toHaveLength(1);
    const [ip] = plan.ips;
    expect(ip?.notAdvertised?.reason ?? null).toBe(reason);
    if (reason === null) expect(ip?.peers.length).toBeGreaterThan(0);
    else {
      expect(ip?.peers).toEqual([]);
      expect(ip?.notAdvertised?.message).toMatch(/\S/);
    }
  });

  it('reports the first failing check in the documented order', () => {
    expect(ADVERTISE_CHECKS).toHaveLength(3);
    const everythingWrong: AdvertiseInput = {
      ...input(),
      self: node({ ready: false }),
      peers: [],
      services: [local('n2')],
    };
    expect(planAdvertisements({ ...everythingWrong, advertisements: [] }).ips[0]?.notAdvertised?.reason).toBe(
      'NoBGPAdvertisement',
    );
    expect(planAdvertisements(everythingWrong).ips[0]?.notAdvertised?.reason).toBe('NodeNotReady');
    const ready = { ...everythingWrong, self: node() };
    expect(planAdvertisements(ready).ips[0]?.notAdvertised?.reason).toBe('NoLocalEndpoints');
    expect(planAdvertisements({ ...ready, services: [local('n1')] }).ips[0]?.notAdvertised?.reason).toBe(
      'NoBGPPeer',
    );
  });

  it.each([
    ['no advertisement covers the pool', (i: AdvertiseInput) => ({ ...i, advertisements: [] }), true],
    ['ETP Local without any endpoint', (i: AdvertiseInput) => ({ ...i, services: [local(null)] }), true],
    [
      'ETP Local with a not-ready endpoint only',
      (i: AdvertiseInput) => ({ ...i, services: [local('n2', false)] }),
      true,
    ],
    [
      'ETP Local with an endpoint on another node',
      (i: AdvertiseInput) => ({ ...i, services: [local('n2')] }),
      false,
    ],
    ['this node not Ready', (i: AdvertiseInput) => ({ ...i, self: node({ ready: false }) }), false],
    ['no peer for this node', (i: AdvertiseInput) => ({ ...i, peers: [] }), false],
  ])('%s: holds on every node = %s', (_name, patch, everyNode) => {
    const verdict = planAdvertisements(patch(input())).ips[0]?.notAdvertised;
    expect(verdict?.everyNode).toBe(everyNode);
    if (everyNode) expect(verdict?.message).not.toContain('n1');
  });

  it('an unknown Node object advertises nothing and has no sessions', () => {
    const plan = planAdvertisements(input({ self: undefined }));
    expect(plan.sessions).toEqual([]);
    expect(plan.ips[0]?.notAdvertised?.reason).toBe('NodeNotReady');
  });
});

describe('planAdvertisements: what each peer receives', () => {
  it('sends IPv4 prefixes to IPv4 peers and IPv6 prefixes to IPv6 peers, as /32 and /128', () => {
    const plan = planAdvertisements(
      input({
        services: [
          svc({ ips: ['203.0.113.10', '2001:db8:ff::a'] }),
          svc({ name: 'api', ips: ['203.0.113.9'] }),
        ],
      }),
    );
    const byPeer = Object.fromEntries(
      plan.sessions.map((s) => [s.peer.name, s.prefixes.map((p) => p.prefix)]),
    );
    expect(byPeer).toEqual({
      router: ['203.0.113.9/32', '203.0.113.10/32'],
      'router-v6': ['2001:db8:ff::a/128'],
    });
    expect(plan.ips.map((i) => [i.ip, i.peers])).toEqual([
      ['203.0.113.9', ['router']],
      ['203.0.113.10', ['router']],
      ['2001:db8:ff::a', ['router-v6']],
    ]);
  });

  it('keeps sessions with peers that receive nothing, and none with peers that do not select the node', () => {
    const plan = planAdvertisements(
      input({
        services: [],
        peers: [
          peer(),
          peer({ name: 'far', address: '192.0.2.62', nodeSelector: { matchLabels: { zone: 'b' } } }),
        ],
      }),
    );
    expect(plan.sessions).toEqual([{ peer: peer(), prefixes: [] }]);
  });

  it('applies communities, local preference and aggregation of the advertisement that names the peer', () => {
    const plan = planAdvertisements(
      input({
        services: [svc({ ips: ['203.0.113.10', '2001:db8:ff::a'] })],
        peers: [
          peer(),
          peer({ name: 'other', address: '192.0.2.62' }),
          peer({ name: 'router-v6', address: '2001:db8::61' }),
        ],
        advertisements: [
          ad({ name: 'plain', peers: ['other'] }),
          ad({
            name: 'tagged',
            peers: ['router', 'router-v6'],
            communities: ['65000:1'],
            largeCommunities: ['1:2:3'],
            localPref: 150,
            aggregationLength: 24,
            aggregationLengthV6: 64,
          }),
        ],
      }),
    );
    const byPeer = Object.fromEntries(plan.sessions.map((s) => [s.peer.name, s.prefixes]));
    expect(byPeer.other).toEqual([
      { prefix: '203.0.113.10/32', communities: [], largeCommunities: [], localPref: undefined },
    ]);
    expect(byPeer.router).toEqual([
      { prefix: '203.0.113.0/24', communities: ['65000:1'], largeCommunities: ['1:2:3'], localPref: 150 },
    ]);
    expect(byPeer['router-v6']?.map((p) => p.prefix)).toEqual(['2001:db8:ff::/64']);
  });

  it('ignores IPs outside every pool (another implementation owns them)', () => {
    const plan = planAdvertisements(input({ services: [svc({ ips: ['198.51.100.7'] })] }));
    expect(plan.ips).toEqual([]);
    expect(plan.sessions.every((s) => s.prefixes.length === 0)).toBe(true);
  });

  it('a shared IP is advertised when one of its Services is Cluster, even if the other is Local without endpoint', () => {
    const plan = planAdvertisements(
      input({
        services: [
          svc({ name: 'a', externalTrafficPolicy: 'Local', endpoints: [] }),
          svc({ name: 'b', externalTrafficPolicy: 'Cluster' }),
        ],
      }),
    );
    expect(plan.ips).toHaveLength(1);
    expect(plan.ips[0]?.services.map((s) => s.name)).toEqual(['a', 'b']);
    expect(plan.ips[0]?.notAdvertised).toBeNull();
  });
});

import {
  parseIPPool,
  parseL2Announcement,
  type IPPoolConfig,
  type L2AnnouncementConfig,
} from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import type { NodeFacts } from '../eligibility/index.js';
import { electAnnouncer } from '../election/index.js';
import { PlanMemo } from './plan-memo.js';
import { interfacesFor, planAnnouncements } from './plan.js';
import type { PlanInput, ServiceView } from './types.js';

function pool(name: string, addresses: string[], labels: Record<string, string> = {}): IPPoolConfig {
  const r = parseIPPool({ metadata: { name, labels }, spec: { addresses } });
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
}

function l2(name: string, spec: Record<string, unknown> = {}): L2AnnouncementConfig {
  const r = parseL2Announcement({ metadata: { name }, spec });
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
}

function node(name: string, extra: Partial<NodeFacts> = {}): NodeFacts {
  return {
    name,
    labels: { 'kubernetes.io/hostname': name },
    ready: true,
    networkUnavailable: false,
    ...extra,
  };
}

function svc(name: string, ips: string[], extra: Partial<ServiceView> = {}): ServiceView {
  return { namespace: 'default', name, ips, externalTrafficPolicy: 'Cluster', endpoints: [], ...extra };
}

const nodes = [node('n1'), node('n2'), node('n3')];
const base: PlanInput = {
  services: [],
  nodes,
  pools: [pool('lan', ['198.51.100.0/28', '2001:db8:100::/120'])],
  announcements: [l2('all')],
  alive: new Set(['n1', 'n2', 'n3']),
};

describe('planAnnouncements', () => {
  it('elects exactly one announcer per IP, the same on every speaker', () => {
    const services = Array.from({ length: 12 }, (_, i) => svc(`s${i}`, [`198.51.100.${i + 1}`]));
    // Two simulated speakers with their own copies of the same facts (different order, too).
    const speakerA = planAnnouncements({ ...base, services });
    const speakerB = planAnnouncements({
      ...base,
      services: [...services].reverse(),
      nodes: [...nodes].reverse(),
    });
    expect(speakerA.map((p) => [p.ip, p.announcer])).toEqual(speakerB.map((p) => [p.ip, p.announcer]));
    expect(speakerA.every((p) => p.announcer !== null)).toBe(true);
    // 12 IPs over 3 nodes: every node gets some.
    expect(new Set(speakerA.map((p) => p.announcer)).size).toBe(3);
  });

  it('moves only the dead node’s IPs when a speaker stops heartbeating', () => {
    const services = Array.from({ length: 30 }, (_, i) => svc(`s${i}`, [`2001:db8:100::${i + 1}`]));
    const before = planAnnouncements({ ...base, services });
    const after = planAnnouncements({ ...base, services, alive: new Set(['n1', 'n3']) });
    for (const [i, p] of after.entries()) {
      const was = before[i]?.announcer;
      if (was === 'n2') expect(p.announcer).not.toBe('n2');
      else expect(p.announcer).toBe(was);
    }
    expect(after.find((p) => p.announcer === 'n2')).toBeUndefined();
    const n2 = after[0]?.nodes.find((n) => n.node === 'n2');
    expect(n2?.ineligible?.reason).toBe('SpeakerNotAlive');
  });

  it('treats a shared IP as one election', () => {
    const plans = planAnnouncements({
      ...base,
      services: [svc('a', ['198.51.100.5']), svc('b', ['198.51.100.5'])],
    });
    expect(plans).toHaveLength(1);
    expect(plans[0]?.services).toEqual([
      { namespace: 'default', name: 'a', uid: undefined },
      { namespace: 'default', name: 'b', uid: undefined },
    ]);
  });

  it('never announces an IP outside every pool', () => {
    const plans = planAnnouncements({ ...base, services: [svc('other', ['203.0.113.9'])] });
    expect(plans[0]).toMatchObject({ pool: null, announcer: null });
  });

  it('announces nothing, with a reason, when no L2Announcement covers the pool', () => {
    const plans = planAnnouncements({
      ...base,
      announcements: [l2('other-pool-only', { ipPools: ['elsewhere'] })],
      services: [svc('a', ['198.51.100.2'])],
    });
    expect(plans[0]?.announcer).toBeNull();
    expect(plans[0]?.nodes.map((n) => n.ineligible?.reason)).toEqual([
      'NoL2Announcement',
      'NoL2Announcement',
      'NoL2Announcement',
    ]);
  });

  it('with externalTrafficPolicy Local, follows the node with a ready endpoint', () => {
    const local = (nodeName: string): ServiceView =>
      svc('web', ['198.51.100.3'], {
        externalTrafficPolicy: 'Local',
        endpoints: [{ nodeName, ready: true }],
      });
    for (const n of ['n1', 'n2', 'n3']) {
      expect(planAnnouncements({ ...base, services: [local(n)] })[0]?.announcer).toBe(n);
    }
    const none = svc('web', ['198.51.100.3'], { externalTrafficPolicy: 'Local', endpoints: [] });
    expect(planAnnouncements({ ...base, services: [none] })[0]?.announcer).toBeNull();
  });

  it('respects the nodeSelector and the interfaces of the covering announcements', () => {
    const announcements = [
      l2('only-n3', {
        nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'n3' } },
        interfaces: ['eth1'],
      }),
      l2('default-iface', { nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'n3' } } }),
    ];
    const plans = planAnnouncements({ ...base, announcements, services: [svc('a', ['198.51.100.4'])] });
    expect(plans[0]?.announcer).toBe('n3');
    const plan = plans[0];
    if (!plan) throw new Error('no plan');
    expect(interfacesFor({ plan, node: node('n3'), announcements })).toEqual({
      named: ['eth1'],
      useDefault: true,
    });
    expect(interfacesFor({ plan, node: node('n1'), announcements })).toEqual({
      named: [],
      useDefault: false,
    });
  });

  it('skips NotReady and excluded nodes', () => {
    const plans = planAnnouncements({
      ...base,
      nodes: [
        node('n1', { ready: false }),
        node('n2', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }),
        node('n3'),
      ],
      services: [svc('a', ['198.51.100.6'])],
    });
    expect(plans[0]?.announcer).toBe('n3');
    expect(plans[0]?.nodes.map((n) => n.ineligible?.reason ?? null)).toEqual([
      'NodeNotReady',
      'NodeExcluded',
      null,
    ]);
  });
});

describe('PlanMemo', () => {
  it('gives the same announcers as a fresh election, across node and membership changes', () => {
    const memo = new PlanMemo();
    const services = Array.from({ length: 200 }, (_, i) =>
      svc(`s${i}`, [`2001:db8:100::${(i + 1).toString(16)}`]),
    );
    const all = ['n1', 'n2', 'n3', 'n4', 'n5'];
    for (let round = 0; round < 20; round++) {
      const present = all.filter((_, i) => (round + i) % 4 !== 0);
      const alive = new Set(present.filter((_, i) => (round * 7 + i) % 3 !== 0));
      const input = { ...base, services, nodes: present.map((n) => node(n)), alive };
      for (const plan of planAnnouncements(input, memo)) {
        expect(plan.announcer).toBe(
          electAnnouncer(
            plan.ip,
            [...alive].filter((n) => present.includes(n)),
          ),
        );
      }
    }
  });
});

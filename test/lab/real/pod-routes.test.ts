import { describe, expect, it } from 'vitest';
import { labConfig } from '../config.js';
import { insideClusterCidr, podRoutePlan, staleRoutes } from './pod-routes.js';

describe('pod routes of the real lab', () => {
  const config = labConfig({ IRONLB_LAB_DIR: '/tmp/lab-x', IRONLB_LAB_MODE: 'real' });
  // As the node IPAM controller allocated them in one run: not in node order.
  const nodes = [
    { name: 'ilb-node-1', podCidrs: ['198.51.100.208/28', '2001:db8:42:1::/64'] },
    { name: 'ilb-node-2', podCidrs: ['198.51.100.192/28', '2001:db8:42::/64'] },
    { name: 'ilb-node-3', podCidrs: ['198.51.100.224/28', '2001:db8:42:2::/64'] },
  ];

  it('routes each node to the other nodes pod CIDRs via their LAN addresses, both families', () => {
    const { routes, problems } = podRoutePlan(config, nodes);
    expect(problems).toEqual([]);
    const onNode1 = routes.filter((r) => r.netns === 'ilb-node-1');
    expect(onNode1).toEqual(
      expect.arrayContaining([
        { netns: 'ilb-node-1', prefix: '198.51.100.192/28', via: '192.0.2.12', dev: 'eth0' },
        { netns: 'ilb-node-1', prefix: '2001:db8:42::/64', via: '2001:db8::12', dev: 'eth0' },
        { netns: 'ilb-node-1', prefix: '198.51.100.224/28', via: '192.0.2.13', dev: 'eth0' },
        { netns: 'ilb-node-1', prefix: '2001:db8:42:2::/64', via: '2001:db8::13', dev: 'eth0' },
      ]),
    );
    expect(onNode1).toHaveLength(4);
    expect(onNode1.some((r) => r.prefix === '198.51.100.208/28')).toBe(false);
  });

  it('routes the LAN namespace to every node pod CIDRs on its bridge, and nothing else anywhere', () => {
    const { routes } = podRoutePlan(config, nodes);
    const lan = routes.filter((r) => r.netns === 'ilb-lan');
    expect(lan).toHaveLength(6);
    expect(lan).toContainEqual({
      netns: 'ilb-lan',
      prefix: '2001:db8:42:1::/64',
      via: '2001:db8::11',
      dev: 'ilb-br0',
    });
    const namespaces = new Set(routes.map((r) => r.netns));
    expect([...namespaces].sort()).toEqual(['ilb-lan', 'ilb-node-1', 'ilb-node-2', 'ilb-node-3']);
    expect(routes).toHaveLength(3 * 4 + 6);
  });

  it('refuses nodes without both families or with CIDRs outside the pod ranges, and ignores unknown Nodes', () => {
    const { routes, problems } = podRoutePlan(config, [
      { name: 'ilb-node-1', podCidrs: ['198.51.100.208/28'] },
      { name: 'ilb-node-2', podCidrs: ['198.51.100.0/28', '2001:db8:42::/64'] },
      { name: 'ilb-node-3', podCidrs: ['198.51.100.224/28', '2001:db8:42:2::/64'] },
      { name: 'elsewhere', podCidrs: ['198.51.100.240/28', '2001:db8:42:3::/64'] },
    ]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^ilb-node-1: spec.podCIDRs \[198.51.100.208\/28\]/);
    expect(problems[1]).toMatch(/^ilb-node-2: /);
    expect(routes.every((r) => r.via === '192.0.2.13' || r.via === '2001:db8::13')).toBe(true);
    expect(routes.some((r) => r.prefix === '198.51.100.240/28')).toBe(false);
  });

  it('tells prefixes inside the cluster CIDRs from others', () => {
    expect(insideClusterCidr('198.51.100.224/28', 'ipv4')).toBe(true);
    expect(insideClusterCidr('198.51.100.176/28', 'ipv4')).toBe(false);
    expect(insideClusterCidr('198.51.100.192/25', 'ipv4')).toBe(false);
    expect(insideClusterCidr('2001:db8:42:ff::/64', 'ipv6')).toBe(true);
    expect(insideClusterCidr('2001:db8:42:100::/64', 'ipv6')).toBe(false);
    expect(insideClusterCidr('2001:db8:42::/64', 'ipv4')).toBe(false);
    expect(insideClusterCidr('not-a-cidr', 'ipv4')).toBe(false);
    expect(insideClusterCidr('198.51.100.192', 'ipv4')).toBe(false);
  });

  it('marks gateway routes the plan lacks as stale and keeps the node own bridge route', () => {
    const { routes } = podRoutePlan(config, nodes);
    const present = [
      { dst: '198.51.100.208/28', dev: 'cni0' },
      { dst: '198.51.100.192/28', gateway: '192.0.2.12', dev: 'eth0' },
      { dst: '198.51.100.224/28', gateway: '192.0.2.12', dev: 'eth0' },
      { dst: '2001:db8:42:5::/64', gateway: '2001:db8::15', dev: 'eth0' },
    ];
    expect(staleRoutes('ilb-node-1', present, routes)).toEqual([
      { dst: '198.51.100.224/28', gateway: '192.0.2.12', dev: 'eth0' },
      { dst: '2001:db8:42:5::/64', gateway: '2001:db8::15', dev: 'eth0' },
    ]);
  });
});

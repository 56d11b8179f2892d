/**
 * The lab's BGP part, with no ironlb code: static frr.conf files in two nodes' FRR instances advertise one /32 and
 * one /128 (203.0.113.50, 2001:db8:100:0:b6::50: used by no other suite) that both nodes hold, and the router and the
 * BGP client behind it must see ECMP and a fast BFD failover. Every change is undone in afterAll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInitialNodeConfig } from '../lab/bgp/frr-config.js';
import type { BgpLabPlan } from '../lab/bgp/plan.js';
import { run } from '../lab/exec.js';
import { labConfig } from '../lab/config.js';
import { labNode, netnsExec, pinAddress, waitFor } from './support/index.js';
import type { PinnedAddress } from './support/index.js';
import {
  applyNodeFrrConfig,
  ensureBgpLab,
  httpGetsFromBgpClient,
  routerBfdPeers,
  routerBgpPeers,
  routerKernelGateways,
  setRouterPeerPassword,
  waitForRoute,
} from './support/router.js';

const IP4 = '203.0.113.50';
const IP6 = '2001:db8:100:0:b6::50';
const PREFIX4 = `${IP4}/32`;
const PREFIX6 = `${IP6}/128`;
const hosts = ['ilb-node-1', 'ilb-node-2'] as const;
const [nodeA, nodeB] = hosts;
const PASSWORD = 'lab-md5-secret';

/**
 * What a speaker's FRR would hold for these two addresses (BFD 100 ms × 3 towards the router); `password` applies to
 * the IPv4 session only.
 */
function nodeConfig(plan: BgpLabPlan, node: string, password?: string): string {
  const n = labNode(node);
  const r = plan.router;
  const neighbor = (ip: string, secret?: string): string[] => [
    ` neighbor ${ip} remote-as ${r.asn}`,
    ` neighbor ${ip} bfd`,
    ` neighbor ${ip} bfd profile fast`,
    ...(secret === undefined ? [] : [` neighbor ${ip} password ${secret}`]),
  ];
  return [
    'frr defaults datacenter',
    `hostname ${node}`,
    'log stdout informational',
    '!',
    'bfd',
    ' profile fast',
    '  receive-interval 100',
    '  transmit-interval 100',
    '  detect-multiplier 3',
    ' exit',
    'exit',
    '!',
    `router bgp ${plan.nodeAsn}`,
    ` bgp router-id ${n.ipv4}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ' no bgp network import-check',
    ...neighbor(r.ipv4, password),
    ...neighbor(r.ipv6),
    ' address-family ipv4 unicast',
    `  network ${PREFIX4}`,
    `  neighbor ${r.ipv4} activate`,
    ' exit-address-family',
    ' address-family ipv6 unicast',
    `  network ${PREFIX6}`,
    `  neighbor ${r.ipv6} activate`,
    ' exit-address-family',
    'exit',
    '',
  ].join('\n');
}

const lanPort = (node: string): string => labNode(node).bridgePort;
const lanNetns = labConfig().lanNetns;

async function established(peers: readonly string[]): Promise<boolean> {
  const all = [...(await routerBgpPeers('ipv4')), ...(await routerBgpPeers('ipv6'))];
  return peers.every((p) => all.find((s) => s.peer === p)?.state === 'Established');
}

describe('lab BGP router (FRR) with two static node configs', () => {
  let plan: BgpLabPlan;
  const pins: PinnedAddress[] = [];
  const downLinks = new Set<string>();
  const v4 = hosts.map((n) => labNode(n).ipv4);
  const v6 = hosts.map((n) => labNode(n).ipv6);

  beforeAll(async () => {
    plan = await ensureBgpLab();
    for (const node of hosts) {
      pins.push(await pinAddress({ node, ip: IP4 }), await pinAddress({ node, ip: IP6 }));
      await applyNodeFrrConfig(node, nodeConfig(plan, node));
    }
  });

  afterAll(async () => {
    for (const port of downLinks) await run('ip', ['-n', lanNetns, 'link', 'set', port, 'up']);
    await setRouterPeerPassword(labNode(nodeA).ipv4, null);
    for (const node of hosts) await applyNodeFrrConfig(node, renderInitialNodeConfig(node));
    for (const pin of pins) await pin.unpin();
    await waitForRoute(PREFIX4, [], { timeoutMs: 20_000 });
    await waitForRoute(PREFIX6, [], { timeoutMs: 20_000 });
  });

  it('establishes IPv4 and IPv6 sessions with BFD up on each', async () => {
    await waitFor(() => established([...v4, ...v6]), { what: 'sessions Established', timeoutMs: 60_000 });
    const bfd = await waitFor(
      async () => {
        const peers = await routerBfdPeers();
        const ours = peers.filter((p) => [...v4, ...v6].includes(p.peer));
        return ours.length === 4 && ours.every((p) => p.status === 'up') ? ours : undefined;
      },
      { what: 'BFD up with both nodes over IPv4 and IPv6', timeoutMs: 30_000 },
    );
    // The slower side wins: the nodes ask for 100 ms.
    for (const p of bfd) expect(p.remoteTransmitIntervalMs).toBe(100);
  });

  it('holds the /32 and the /128 with one next hop per node (ECMP)', async () => {
    await waitForRoute(PREFIX4, v4, { timeoutMs: 30_000 });
    await waitForRoute(PREFIX6, v6, { timeoutMs: 30_000 });
    const { stdout } = await netnsExec(plan.router.netns, ['ip', '-j', 'route', 'show', IP4]);
    const [kernel] = JSON.parse(stdout) as { nexthops?: { gateway: string }[] }[];
    expect(kernel?.nexthops?.map((h) => h.gateway).sort()).toEqual([...v4].sort());
  });

  it('lets the client behind the router reach the address on both nodes, and only through the router', async () => {
    const { stdout } = await netnsExec(plan.client.netns, ['ip', '-j', 'route', 'show']);
    const routes = JSON.parse(stdout) as { dst: string; gateway?: string }[];
    expect(routes.find((r) => r.dst === 'default')?.gateway).toBe(plan.router.linkIpv4);
    expect(routes.filter((r) => r.dst.startsWith('192.0.2.'))).toEqual([]);
    for (const ip of [IP4, IP6]) {
      const results = await httpGetsFromBgpClient({ ip, count: 24 });
      expect(results.every((r) => r.ok && r.status === 200)).toBe(true);
      const served = new Set(results.map((r) => (r.ok ? r.body.trim() : r.error)));
      expect([...served].sort()).toEqual([...hosts]);
    }
  });

  it('drops a node from the next hops within 1 s of its link going down (BFD), and takes it back', async () => {
    const port = lanPort(nodeB);
    const before = await Promise.all([routerKernelGateways(IP4), routerKernelGateways(IP6)]);
    expect(before.map((g) => g.length)).toEqual([2, 2]);
    try {
      const t0 = performance.now();
      await run('ip', ['-n', lanNetns, 'link', 'set', port, 'down']);
      downLinks.add(port);
      // The kernel route of the router (what forwards) polled directly: vtysh is too slow to time this.
      const elapsed = async (ip: string): Promise<number> => {
        await waitFor(async () => (await routerKernelGateways(ip)).length === 1, {
          what: `${ip}: one gateway left`,
          timeoutMs: 10_000,
          intervalMs: 10,
        });
        return Math.round(performance.now() - t0);
      };
      const [ms4, ms6] = await Promise.all([elapsed(IP4), elapsed(IP6)]);
      process.stdout.write(
        `[bgp-lab] link down -> router kernel route down to one gateway: v4 ${ms4} ms, v6 ${ms6} ms\n`,
      );
      expect(Math.max(ms4, ms6)).toBeLessThan(1_000);
      await waitForRoute(PREFIX4, [labNode(nodeA).ipv4], { timeoutMs: 10_000 });
      await waitForRoute(PREFIX6, [labNode(nodeA).ipv6], { timeoutMs: 10_000 });
      const during = await httpGetsFromBgpClient({ ip: IP4, count: 8 });
      expect(during.map((r) => (r.ok ? r.body.trim() : r.error))).toEqual(Array(8).fill(nodeA));
    } finally {
      await run('ip', ['-n', lanNetns, 'link', 'set', port, 'up']);
      downLinks.delete(port);
    }
    await waitForRoute(PREFIX4, v4, { timeoutMs: 60_000 });
    await waitForRoute(PREFIX6, v6, { timeoutMs: 60_000 });
  });

  it('peers with a TCP MD5 password when both sides set it, and not when only the router does', async () => {
    const peer = labNode(nodeA).ipv4;
    await setRouterPeerPassword(peer, PASSWORD);
    await waitFor(async () => !(await established([peer])), { what: `${peer} down without a password` });
    await waitForRoute(PREFIX4, [labNode(nodeB).ipv4], { timeoutMs: 30_000 });
    await applyNodeFrrConfig(nodeA, nodeConfig(plan, nodeA, PASSWORD));
    await waitFor(() => established([peer]), {
      what: `${peer} Established with the password`,
      timeoutMs: 60_000,
    });
    await waitForRoute(PREFIX4, v4, { timeoutMs: 30_000 });
  });
});

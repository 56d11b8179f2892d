import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { LabConfig } from '../config.js';
import { runInNetns } from '../exec.js';
import { POD_CLUSTER_CIDRS } from './node-files.js';

/**
 * Routes to the pods of real lab nodes, taken from the Nodes' `spec.podCIDRs` (allocated by the controller-manager's
 * node IPAM controller), never guessed: in each node namespace to every other node's pod CIDRs via that node's
 * LAN address, and in the LAN namespace (replies of api-relay to pods) to every node's. Only inside lab namespaces;
 * the root namespace never gets a route to a pod.
 */
export interface NodePodCidrs {
  readonly name: string;
  readonly podCidrs: readonly string[];
}

export interface PodRoute {
  readonly netns: string;
  readonly prefix: string;
  readonly via: string;
  readonly dev: string;
}

export interface PodRoutePlan {
  readonly routes: readonly PodRoute[];
  /** Why a node got no routes (no or unexpected pod CIDRs); empty when every lab node has both families. */
  readonly problems: readonly string[];
}

type Family = 'ipv4' | 'ipv6';

function parsePrefix(cidr: string): { address: string; bits: number; family: Family } | undefined {
  const [address = '', bitsText = ''] = cidr.split('/');
  const bits = Number(bitsText);
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (!family || !/^\d+$/.test(bitsText) || bits > (family === 'ipv4' ? 32 : 128)) return undefined;
  return { address, bits, family };
}

/** True when `cidr` is a prefix of the given family inside that family's pod cluster CIDR. */
export function insideClusterCidr(cidr: string, family: Family): boolean {
  const prefix = parsePrefix(cidr);
  const cluster = parsePrefix(POD_CLUSTER_CIDRS[family]);
  if (!prefix || !cluster || prefix.family !== family || prefix.bits < cluster.bits) return false;
  const list = new BlockList();
  list.addSubnet(cluster.address, cluster.bits, family);
  return list.check(prefix.address, family);
}

/** The routes every lab namespace needs for the given Nodes; Nodes that are not lab nodes are ignored. */
export function podRoutePlan(
  config: Pick<LabConfig, 'nodes' | 'lanNetns' | 'bridge'>,
  nodes: readonly NodePodCidrs[],
): PodRoutePlan {
  const routes: PodRoute[] = [];
  const problems: string[] = [];
  for (const member of config.nodes) {
    const cidrs = nodes.find((n) => n.name === member.netns)?.podCidrs ?? [];
    const v4 = cidrs.filter((c) => insideClusterCidr(c, 'ipv4'));
    const v6 = cidrs.filter((c) => insideClusterCidr(c, 'ipv6'));
    if (v4.length !== 1 || v6.length !== 1 || cidrs.length !== 2) {
      problems.push(
        `${member.netns}: spec.podCIDRs [${cidrs.join(', ')}], want one IPv4 prefix inside ` +
          `${POD_CLUSTER_CIDRS.ipv4} and one IPv6 prefix inside ${POD_CLUSTER_CIDRS.ipv6}`,
      );
      continue;
    }
    const targets = [
      { prefix: v4[0] ?? '', via: member.ipv4 },
      { prefix: v6[0] ?? '', via: member.ipv6 },
    ];
    for (const target of targets) {
      for (const other of config.nodes) {
        if (other.netns !== member.netns) routes.push({ netns: other.netns, dev: 'eth0', ...target });
      }
      routes.push({ netns: config.lanNetns, dev: config.bridge, ...target });
    }
  }
  return { routes, problems };
}

/** A route as `ip -j route show` prints it. */
export interface PresentRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
}

/**
 * Routes via a gateway inside the pod cluster CIDRs that the plan for `netns` does not contain (left from a Node
 * that went away). Routes without a gateway (the node's own `cni0` subnet) are never stale.
 */
export function staleRoutes(
  netns: string,
  present: readonly PresentRoute[],
  plan: readonly PodRoute[],
): PresentRoute[] {
  const wanted = new Set(plan.filter((r) => r.netns === netns).map((r) => `${r.prefix} ${r.via}`));
  return present.filter((r) => r.gateway !== undefined && !wanted.has(`${r.dst} ${r.gateway}`));
}

async function presentRoutes(netns: string): Promise<PresentRoute[]> {
  const found: PresentRoute[] = [];
  for (const [flag, cidr] of [
    ['-4', POD_CLUSTER_CIDRS.ipv4],
    ['-6', POD_CLUSTER_CIDRS.ipv6],
  ] as const) {
    const { stdout } = await runInNetns(netns, ['ip', '-j', flag, 'route', 'show', 'root', cidr]);
    found.push(...(JSON.parse(stdout || '[]') as PresentRoute[]));
  }
  return found;
}

/**
 * Makes every lab namespace's pod routes match `nodes` (idempotent): removes stale ones, replaces the rest. Throws
 * when a lab node lacks its pod CIDRs. Resolves to the number of routes in the plan.
 */
export async function syncPodRoutes(config: LabConfig, nodes: readonly NodePodCidrs[]): Promise<number> {
  const plan = podRoutePlan(config, nodes);
  if (plan.problems.length > 0) throw new Error(`lab: pod routes: ${plan.problems.join('; ')}`);
  for (const netns of [...config.nodes.map((n) => n.netns), config.lanNetns]) {
    for (const stale of staleRoutes(netns, await presentRoutes(netns), plan.routes)) {
      await runInNetns(netns, ['ip', 'route', 'del', stale.dst, 'via', stale.gateway ?? '']);
    }
    for (const r of plan.routes.filter((route) => route.netns === netns)) {
      await runInNetns(netns, ['ip', 'route', 'replace', r.prefix, 'via', r.via, 'dev', r.dev]);
    }
  }
  return plan.routes.length;
}

import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Everything the lab creates is named and addressed here.
 *
 * Network safety: only documentation ranges, only names with the `ilb-` prefix. The root namespace gets exactly one
 * link (`ilb-host`) with exactly one address (2001:db8::1/64): on the development VM the real uplink is 192.0.2.0/24
 * (eth0 192.0.2.2, gateway 192.0.2.1), so the root namespace must never carry a 192.0.2.x address or route. The lab's
 * IPv4 LAN (192.0.2.0/24) exists only inside the lab namespaces, which have no route anywhere else.
 */
export interface LabMember {
  /** Network namespace name; for nodes also the Kubernetes Node name. */
  readonly netns: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** MAC of the member's eth0 (deterministic: 02:00:00:00:00:<last IPv4 octet in hex>). */
  readonly mac: string;
  /** Name of the member's bridge port inside the LAN namespace. */
  readonly bridgePort: string;
}

export interface LabConfig {
  /**
   * `stand-in` (default, CI): Node-based kubelet/kube-proxy stand-ins. `real` (IRONLB_LAB_MODE=real, work in
   * progress): containerd, kubelet and kube-proxy per node (see real/real-node.ts).
   */
  readonly mode: 'stand-in' | 'real';
  /** IRONLB_LAB_BGP=1: `up` also brings up the BGP router, the BGP client and per-node FRR (see bgp/). */
  readonly bgp: boolean;
  /** State directory: pids, certs, kubeconfigs, logs, etcd data. */
  readonly dir: string;
  readonly repoRoot: string;
  readonly k8sBinDir: string;
  /** kubelet and kube-proxy (real mode), built by scripts/build-node-bins.sh. */
  readonly nodeBinDir: string;
  /** images.tsv written by scripts/build-images.sh (real mode). */
  readonly imagesIndex: string;
  readonly etcdBin: string;
  /** Namespace holding the bridge. */
  readonly lanNetns: string;
  readonly bridge: string;
  /** Root-namespace end of the host veth; carries only `hostIpv6`. */
  readonly hostLink: string;
  readonly hostBridgePort: string;
  readonly hostIpv6: string;
  /** Written into the `kubernetes` Service endpoints only (must be IPv4 like the primary service CIDR). */
  readonly apiserverAdvertiseIpv4: string;
  readonly nodes: readonly LabMember[];
  readonly client: LabMember;
  readonly etcdClientPort: number;
  readonly etcdPeerPort: number;
  readonly apiserverPort: number;
  readonly controllerManagerPort: number;
  readonly serviceCidrs: readonly string[];
  /** On-link on the client's eth0, like LAN hosts expect of LoadBalancer addresses. */
  readonly loadBalancerPrefixes: readonly string[];
  /** Stand-in pods get 192.0.2.64/26 (v4) and 2001:db8::a:40/122 (v6), same index. */
  readonly podIpv4Base: string;
  readonly podIpv6Base: string;
  readonly podIpCount: number;
  /** kube-controller-manager --node-monitor-grace-period / --node-monitor-period, in seconds. */
  readonly nodeMonitorGracePeriodSeconds: number;
  readonly nodeMonitorPeriodSeconds: number;
  /** How often the kubelet stand-in renews its Lease / posts its Ready condition. */
  readonly leaseRenewSeconds: number;
  readonly statusUpdateSeconds: number;
  /** Dummy device the kube-proxy stand-in owns (LoadBalancer ingress IPs). */
  readonly lbDevice: string;
  /** Dummy device for addresses tests pin by hand (never touched by the kube-proxy stand-in). */
  readonly pinDevice: string;
  readonly responderPort: number;
}

export const K8S_VERSION = 'v1.36.3';

function member(options: { netns: string; octet: number; bridgePort: string }): LabMember {
  const hex = options.octet.toString(16).padStart(2, '0');
  return {
    netns: options.netns,
    ipv4: `192.0.2.${options.octet}`,
    ipv6: `2001:db8::${options.octet}`,
    mac: `02:00:00:00:00:${hex}`,
    bridgePort: options.bridgePort,
  };
}

function labMode(value: string | undefined): LabConfig['mode'] {
  if (value === undefined || value === '' || value === 'stand-in') return 'stand-in';
  if (value === 'real') return 'real';
  throw new Error(`IRONLB_LAB_MODE must be stand-in or real, got ${value}`);
}

function labBgpFlag(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new Error(`IRONLB_LAB_BGP must be 0 or 1, got ${value}`);
}

/**
 * The lab's configuration; `env` supplies IRONLB_LAB_DIR, IRONLB_LAB_NODES, IRONLB_LAB_MODE, IRONLB_K8S_BIN_DIR,
 * IRONLB_K8S_NODE_BIN_DIR, IRONLB_LAB_IMAGES, IRONLB_ETCD, IRONLB_LAB_BGP.
 */
export function labConfig(env: NodeJS.ProcessEnv = process.env): LabConfig {
  const nodeCount = Number(env.IRONLB_LAB_NODES ?? '3');
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 50) {
    throw new Error(`IRONLB_LAB_NODES must be an integer in 1..50, got ${env.IRONLB_LAB_NODES}`);
  }
  const cache = env.IRONLB_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'ironlb');
  const nodes = Array.from({ length: nodeCount }, (_, i) =>
    member({ netns: `ilb-node-${i + 1}`, octet: 11 + i, bridgePort: `ilb-p-n${i + 1}` }),
  );
  return {
    mode: labMode(env.IRONLB_LAB_MODE),
    bgp: labBgpFlag(env.IRONLB_LAB_BGP),
    dir: resolve(env.IRONLB_LAB_DIR ?? '/tmp/ironlb-lab'),
    repoRoot: resolve(import.meta.dirname, '../..'),
    k8sBinDir: env.IRONLB_K8S_BIN_DIR ?? join(cache, 'k8s', K8S_VERSION),
    nodeBinDir: env.IRONLB_K8S_NODE_BIN_DIR ?? join(cache, 'k8s', `${K8S_VERSION}-node`),
    imagesIndex: env.IRONLB_LAB_IMAGES ?? join(cache, 'images', 'images.tsv'),
    etcdBin: env.IRONLB_ETCD ?? '/usr/bin/etcd',
    lanNetns: 'ilb-lan',
    bridge: 'ilb-br0',
    hostLink: 'ilb-host',
    hostBridgePort: 'ilb-p-host',
    hostIpv6: '2001:db8::1',
    apiserverAdvertiseIpv4: '192.0.2.10',
    nodes,
    client: member({ netns: 'ilb-client', octet: 100, bridgePort: 'ilb-p-client' }),
    // Uncommon ports; every component checks its port is free before starting, so a clash (e.g. another etcd on
    // 23790) fails loudly instead of silently sharing someone else's server.
    etcdClientPort: 42379,
    etcdPeerPort: 42380,
    apiserverPort: 26443,
    controllerManagerPort: 42257,
    serviceCidrs: ['192.0.2.128/25', '2001:db8:1::/112'],
    loadBalancerPrefixes: ['198.51.100.0/24', '203.0.113.0/24', '2001:db8:100::/64'],
    podIpv4Base: '192.0.2.64',
    podIpv6Base: '2001:db8::a:40',
    podIpCount: 64,
    nodeMonitorGracePeriodSeconds: 10,
    nodeMonitorPeriodSeconds: 1,
    leaseRenewSeconds: 2,
    statusUpdateSeconds: 5,
    lbDevice: 'kube-lb0',
    pinDevice: 'ilb-pin0',
    responderPort: 80,
  };
}

/** Well-known files inside the lab directory. */
export function labPaths(config: LabConfig): {
  pki: string;
  pids: string;
  logs: string;
  etcdData: string;
  kubeconfig: string;
  kubeconfigFor: (identity: string) => string;
  state: string;
} {
  return {
    pki: join(config.dir, 'pki'),
    pids: join(config.dir, 'pids'),
    logs: join(config.dir, 'logs'),
    etcdData: join(config.dir, 'etcd'),
    kubeconfig: join(config.dir, 'kubeconfig'),
    kubeconfigFor: (identity) => join(config.dir, 'kubeconfigs', `${identity}.kubeconfig`),
    state: join(config.dir, 'network.json'),
  };
}

export function apiserverUrl(config: LabConfig): string {
  return `https://[${config.hostIpv6}]:${config.apiserverPort}`;
}

export function findNode(config: LabConfig, name: string): LabMember {
  const node = config.nodes.find((n) => n.netns === name);
  if (!node)
    throw new Error(`unknown lab node ${name} (have ${config.nodes.map((n) => n.netns).join(', ')})`);
  return node;
}

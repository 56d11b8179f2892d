import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { LabConfig } from './config.js';
import { apiserverUrl, labConfig, labPaths } from './config.js';
import { ensureBgp, removeBgpRunDirs } from './bgp/bgp-lab.js';
import { bgpLabPlan } from './bgp/plan.js';
import type { StartResult } from './control-plane.js';
import {
  apiserverReady,
  checkBinaries,
  ensureControllerManager,
  ensureScheduler,
  ensureStorageAndApiserver,
} from './control-plane.js';
import { httpGetInNetns, urlFor } from './http-get.js';
import { writeKubeconfig } from './kubeconfig.js';
import { presentNetwork, ensureNetwork, teardownNetwork } from './network.js';
import { startAgent } from './node-agents.js';
import { ensurePki } from './pki.js';
import type { ClientIdentity } from './pki.js';
import { isAlive, listRecords, stopRecorded } from './processes.js';
import {
  checkRealNodePrerequisites,
  ensureApiRelay,
  ensureRealNode,
  stopRealNodes,
} from './real/real-node.js';
import { syncPodRoutes } from './real/pod-routes.js';
import { withLabLock } from './sharing.js';

export interface LabUpReport {
  readonly started: readonly StartResult[];
  readonly alreadyRunning: readonly StartResult[];
  readonly durationMs: number;
  /** Milliseconds since the start of `up` at which each phase finished. */
  readonly phases: Readonly<Record<string, number>>;
}

export interface LabDownReport {
  readonly stopped: readonly string[];
  readonly removed: readonly string[];
  /** Anything of ours still present afterwards (should be empty). */
  readonly leftovers: readonly string[];
}

export interface LabStatus {
  readonly apiserverReady: boolean;
  readonly processes: readonly { name: string; pid: number; alive: boolean }[];
  readonly namespaces: readonly string[];
  readonly links: readonly string[];
}

function identities(config: LabConfig): ClientIdentity[] {
  return [
    { name: 'admin', commonName: 'ironlb-lab-admin', organization: 'system:masters' },
    { name: 'kube-controller-manager', commonName: 'system:kube-controller-manager' },
    { name: 'kube-proxy', commonName: 'system:kube-proxy' },
    ...config.nodes.map((n) => ({
      name: `node-${n.netns}`,
      commonName: `system:node:${n.netns}`,
      organization: 'system:nodes',
    })),
    ...(config.mode === 'real' ? [{ name: 'kube-scheduler', commonName: 'system:kube-scheduler' }] : []),
  ];
}

async function ensureCredentials(config: LabConfig): Promise<void> {
  const paths = labPaths(config);
  const clients = identities(config);
  await ensurePki({
    dir: paths.pki,
    clients,
    serverSans: [
      `IP:${config.hostIpv6}`,
      'IP:192.0.2.129',
      'IP:2001:db8:1::1',
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
    ],
  });
  const server = apiserverUrl(config);
  writeKubeconfig({ path: paths.kubeconfig, server, pkiDir: paths.pki, name: 'admin' });
  for (const c of clients) {
    writeKubeconfig({ path: paths.kubeconfigFor(c.name), server, pkiDir: paths.pki, name: c.name });
  }
}

/** A KubeConfig for the lab admin (group system:masters). */
export function adminKubeConfig(config: LabConfig = labConfig()): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(labPaths(config).kubeconfig);
  return kc;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`lab: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

async function allNodesReady(config: LabConfig, core: CoreV1Api): Promise<boolean> {
  const nodes = await core.listNode();
  return config.nodes.every((n) =>
    nodes.items.some(
      (item) =>
        item.metadata?.name === n.netns &&
        item.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    ),
  );
}

async function respondersUp(config: LabConfig): Promise<boolean> {
  const results = await Promise.all(
    config.nodes.map((n) =>
      httpGetInNetns({
        netns: config.client.netns,
        url: urlFor(n.ipv4, config.responderPort),
        timeoutMs: 1_000,
      }),
    ),
  );
  return results.every((r, i) => r.ok && r.body.trim() === config.nodes[i]?.netns);
}

/**
 * Brings the lab up (idempotent): network, PKI, control plane, stand-ins; waits for Ready nodes and responders.
 * Serialised with other `up`/`down` calls on the same lab directory.
 */
export function labUp(config: LabConfig = labConfig()): Promise<LabUpReport> {
  return withLabLock(config, () => up(config));
}

async function up(config: LabConfig): Promise<LabUpReport> {
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  const mark = (phase: string): void => {
    phases[phase] = Math.round(performance.now() - t0);
  };
  checkBinaries(config);
  if (config.mode === 'real') checkRealNodePrerequisites(config);
  mkdirSync(config.dir, { recursive: true });
  await Promise.all([ensureNetwork(config), ensureCredentials(config)]);
  mark('network+pki');
  // The BGP part (opt-in) needs only the network: it starts while etcd and the apiserver do.
  const [results, bgpResults] = await Promise.all([
    ensureStorageAndApiserver(config),
    config.bgp
      ? ensureBgp(config).finally(() => {
          mark('bgp');
        })
      : Promise.resolve([]),
  ]);
  mark('etcd+apiserver');
  results.push(...bgpResults);
  if (config.mode === 'real') {
    // Real nodes (work in progress): containerd, kubelet and kube-proxy per node; see real/real-node.ts.
    for (const r of await Promise.all(config.nodes.map((n) => ensureRealNode(config, n)))) results.push(...r);
    results.push(await ensureScheduler(config), await ensureApiRelay(config));
    mark('real-nodes');
  } else {
    // Stand-ins need only the apiserver: start them while the controller-manager starts.
    for (const node of config.nodes) {
      results.push(startAgent(config, { kind: 'kubelet', node: node.netns }));
      results.push(startAgent(config, { kind: 'kube-proxy', node: node.netns }));
    }
  }
  results.push(await ensureControllerManager(config));
  mark('controller-manager');
  const core = adminKubeConfig(config).makeApiClient(CoreV1Api);
  const readyTimeoutMs = config.mode === 'real' ? 180_000 : 60_000;
  await waitUntil('all lab nodes Ready', () => allNodesReady(config, core), readyTimeoutMs);
  mark('nodes-ready');
  if (config.mode === 'real') {
    // Ready means the node's CNI config exists, which containerd renders only from the Node's pod CIDRs. Ready
    // nodes without any are a lab brought up by an earlier version (static CNI config and routes): left alone.
    const nodes = (await core.listNode()).items.map((n) => ({
      name: n.metadata?.name ?? '',
      podCidrs: n.spec?.podCIDRs ?? [],
    }));
    if (nodes.some((n) => n.podCidrs.length > 0)) await syncPodRoutes(config, nodes);
    mark('pod-routes');
  }
  if (config.mode !== 'real') {
    await waitUntil('kube-proxy stand-in responders', () => respondersUp(config), 60_000);
    mark('responders');
  }
  return {
    started: results.filter((r) => r.started),
    alreadyRunning: results.filter((r) => !r.started),
    durationMs: Math.round(performance.now() - t0),
    phases,
  };
}

const CONTROL_PLANE_STOP_ORDER = ['kube-controller-manager', 'kube-apiserver', 'etcd'];

/**
 * Stops every recorded process, deletes every lab namespace and link, and the etcd data. Serialised with other
 * `up`/`down` calls; it does not consult lab users (see sharing.ts): callers that share decide that.
 */
export function labDown(config: LabConfig = labConfig()): Promise<LabDownReport> {
  return withLabLock(config, () => down(config));
}

async function down(config: LabConfig): Promise<LabDownReport> {
  const paths = labPaths(config);
  const records = listRecords(paths.pids);
  const rank = (name: string): number => CONTROL_PLANE_STOP_ORDER.indexOf(name);
  const agents = records.filter((r) => rank(r.name) < 0);
  // Real nodes first (whatever the current mode): their pods, shims and mounts must go with them.
  const stopped: string[] = await stopRealNodes(config);
  const stop = async (name: string): Promise<void> => {
    if (await stopRecorded({ pidDir: paths.pids, name })) stopped.push(name);
  };
  await Promise.all(agents.map((r) => stop(r.name)));
  for (const name of CONTROL_PLANE_STOP_ORDER) await stop(name);
  removeBgpRunDirs(config);
  const removed = await teardownNetwork(config);
  rmSync(paths.etcdData, { recursive: true, force: true });
  const present = await presentNetwork(config);
  const leftovers = [
    ...records.filter(isAlive).map((r) => `process ${r.name} (${r.pid})`),
    ...present.namespaces.map((n) => `netns ${n}`),
    ...present.links.map((l) => `link ${l}`),
  ];
  return { stopped, removed, leftovers };
}

export async function labStatus(config: LabConfig = labConfig()): Promise<LabStatus> {
  const records = listRecords(labPaths(config).pids);
  const network = await presentNetwork(config);
  return {
    apiserverReady: await apiserverReady(config),
    processes: records.map((r) => ({ name: r.name, pid: r.pid, alive: isAlive(r) })),
    namespaces: network.namespaces,
    links: network.links,
  };
}

/**
 * What a shell (or a test) needs to use the lab. The LAB_ROUTER_*, LAB_BGP_* and LAB_FRR_* names are fixed; they
 * are live once the BGP part runs (IRONLB_LAB_BGP=1 at `up`, or `ensureLabBgp`). Per node, FRR instance `<name>`
 * reads `<LAB_FRR_CONFIG_DIR>/<node>/frr.conf` and answers `vtysh -N <name>`.
 */
export function labEnv(config: LabConfig = labConfig()): Record<string, string> {
  const bgp = bgpLabPlan(config);
  return {
    KUBECONFIG: labPaths(config).kubeconfig,
    LAB_NODES: config.nodes.map((n) => n.netns).join(' '),
    LAB_CLIENT_NETNS: config.client.netns,
    IRONLB_LAB_DIR: config.dir,
    LAB_ROUTER_NETNS: bgp.router.netns,
    LAB_ROUTER_ASN: `${bgp.router.asn}`,
    LAB_ROUTER_IPV4: bgp.router.ipv4,
    LAB_ROUTER_IPV6: bgp.router.ipv6,
    LAB_ROUTER_FRR: bgp.router.frr.name,
    LAB_BGP_NODE_ASN: `${bgp.nodeAsn}`,
    LAB_BGP_CLIENT_NETNS: bgp.client.netns,
    LAB_FRR_CONFIG_DIR: join(config.dir, 'frr'),
    LAB_FRR_INSTANCES: bgp.nodes.map((n) => `${n.netns}=${n.name}`).join(' '),
  };
}

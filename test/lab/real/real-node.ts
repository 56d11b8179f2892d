import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabConfig, LabMember } from '../config.js';
import { labPaths } from '../config.js';
import type { StartResult } from '../control-plane.js';
import { run, runInNetns, succeeds } from '../exec.js';
import { sysctls } from '../network.js';
import type { ProcessRecord } from '../processes.js';
import { isAlive, readLiveRecord, startDetached, stopRecorded } from '../processes.js';
import { ensureCgroup, killCgroup, removeCgroup } from './cgroups.js';
import type { RealNodeLayout } from './node-files.js';
import {
  MAX_REAL_NODES,
  POD_CLUSTER_CIDRS,
  cniConfTemplate,
  containerdToml,
  kubeProxyYaml,
  kubeletYaml,
  realNodeLayout,
} from './node-files.js';

/**
 * Real lab nodes (IRONLB_LAB_MODE=real). Per node, all recorded in the lab's pid directory:
 *   node-ns-<node>     anchor: a `sleep` owning the node's mount namespace (own /run/netns and
 *                      /var/log/containers); every mount the node makes dies with it
 *   containerd-<node>  Debian's containerd 1.6 (its shims and the pods stay in the node's cgroup)
 *   kubelet-<node>     kubelet v1.36, registering as system:node:<node>
 *   kube-proxy-<node>  kube-proxy v1.36, nftables mode
 * all inside the node's network namespace and cgroup subtree (see cgroups.ts).
 */
const ENTER = join(import.meta.dirname, 'enter-node.sh');

export interface LabImage {
  readonly ref: string;
  readonly archive: string;
}

/** images.tsv of scripts/build-images.sh: `<name>\t<ref>\t<archive>` per line. */
export function readImages(indexFile: string): Map<string, LabImage> {
  if (!existsSync(indexFile)) {
    throw new Error(`lab: no ${indexFile}; run test/lab/scripts/build-images.sh (or set IRONLB_LAB_IMAGES)`);
  }
  const images = new Map<string, LabImage>();
  for (const line of readFileSync(indexFile, 'utf8').split('\n')) {
    const [name, ref, archive] = line.split('\t');
    if (name && ref && archive) images.set(name, { ref, archive });
  }
  return images;
}

function requireImage(images: Map<string, LabImage>, name: string): LabImage {
  const image = images.get(name);
  if (!image) throw new Error(`lab: image ${name} missing from the images index; rerun build-images.sh`);
  return image;
}

/** Throws with a hint when the node binaries or Debian packages are missing. */
export function checkRealNodePrerequisites(config: LabConfig): void {
  if (config.nodes.length > MAX_REAL_NODES) {
    throw new Error(
      `lab: real mode supports at most ${MAX_REAL_NODES} nodes (one pod /28 each out of ${POD_CLUSTER_CIDRS.ipv4})`,
    );
  }
  const needed = [
    join(config.nodeBinDir, 'kubelet'),
    join(config.nodeBinDir, 'kube-proxy'),
    join(config.nodeBinDir, 'kube-scheduler'),
    '/usr/bin/containerd',
    '/usr/bin/ctr',
    '/usr/sbin/runc',
    '/usr/lib/cni/bridge',
    '/usr/sbin/nft',
  ];
  const missing = needed.filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`lab: missing ${missing.join(', ')}; run test/lab/scripts/build-node-bins.sh`);
  }
}

/**
 * Writes only when the content changes: kube-proxy watches its config file and exits on any write to it, so a
 * rewrite with the same content by a second `lab up` would stop the running kube-proxy.
 */
function writeIfChanged(path: string, content: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return;
  writeFileSync(path, content);
}

function writeNodeFiles(config: LabConfig, layout: RealNodeLayout, pause: LabImage): void {
  const { pki, kubeconfigFor } = labPaths(config);
  for (const dir of [layout.cniConfDir, layout.kubeletRoot, layout.podLogs, layout.containerLogLinks]) {
    mkdirSync(dir, { recursive: true });
  }
  mkdirSync(join(layout.dir, 'containerd'), { recursive: true });
  writeIfChanged(layout.containerdConfig, containerdToml(layout, pause.ref));
  // No conflist: containerd renders it from this template once the Node has its pod CIDRs (node IPAM controller).
  writeIfChanged(layout.cniTemplate, cniConfTemplate(layout));
  writeIfChanged(layout.kubeletConfig, kubeletYaml(layout, { caFile: join(pki, 'ca.crt') }));
  writeIfChanged(layout.kubeProxyConfig, kubeProxyYaml(layout, { kubeconfig: kubeconfigFor('kube-proxy') }));
  // Pods get no name servers: nothing in the lab resolves names, and nothing may leave it.
  writeIfChanged(layout.resolvConf, '# ironlb lab: no DNS\n');
}

/**
 * Forwarding for pod traffic and bridged pod traffic through nftables. Routes to the other nodes' pods follow the
 * Nodes' `spec.podCIDRs` once they have them (pod-routes.ts, after the nodes register).
 */
async function nodeNetwork(config: LabConfig, layout: RealNodeLayout): Promise<void> {
  await sysctls(layout.node.netns, {
    'net/ipv4/ip_forward': '1',
    'net/ipv6/conf/all/forwarding': '1',
    'net/bridge/bridge-nf-call-iptables': '1',
    'net/bridge/bridge-nf-call-ip6tables': '1',
    // cni0 gets its IPv6 gateway address at once (no DAD), like every lab link.
    'net/ipv6/conf/default/accept_dad': '0',
  });
  // The root namespace holds the apiserver's 2001:db8::1 and has no route back to pod addresses: a pod's packet
  // to it would be answered through the machine's own routes. Forwarded pod traffic to it is refused here (the
  // node's own processes, the kubelet among them, use the node's address and are not matched).
  const rule = ['from', POD_CLUSTER_CIDRS.ipv6, 'to', `${config.hostIpv6}/128`];
  const rules = (await runInNetns(layout.node.netns, ['ip', '-6', 'rule', 'show', 'pref', '100'])).stdout;
  if (!rules.includes(POD_CLUSTER_CIDRS.ipv6)) {
    await runInNetns(layout.node.netns, ['ip', '-6', 'rule', 'add', 'pref', '100', ...rule, 'prohibit']);
  }
  // Like a real node, a default gateway: the LAN namespace, which has no uplink and does not forward, so nothing
  // leaves the lab. Traffic for an address the node does not own (e.g. a LoadBalancer IP of a Service with
  // externalTrafficPolicy Local and no endpoint here) then reaches kube-proxy's forward hook, which drops it,
  // instead of failing the route lookup first (ICMP network unreachable).
  await runInNetns(layout.node.netns, [
    'ip',
    'route',
    'replace',
    'default',
    'via',
    config.apiserverAdvertiseIpv4,
    'dev',
    'eth0',
  ]);
}

function startNodeProcess(
  config: LabConfig,
  options: { name: string; layout: RealNodeLayout; anchor: number | '-'; argv: readonly string[] },
): { record: ProcessRecord; started: boolean } {
  const { pids, logs } = labPaths(config);
  const running = readLiveRecord(pids, options.name);
  if (running) return { record: running, started: false };
  const { layout } = options;
  const record = startDetached({
    name: options.name,
    argv: ['sh', ENTER, layout.systemCgroup, layout.node.netns, `${options.anchor}`, ...options.argv],
    pidDir: pids,
    logDir: logs,
    cwd: layout.dir,
  });
  return { record, started: true };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`lab: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

function anchorArgv(layout: RealNodeLayout): string[] {
  const script = [
    'mount -t tmpfs ilb-node-netns /run/netns',
    'mkdir -p /var/log/containers',
    `mount --bind '${layout.containerLogLinks}' /var/log/containers`,
    'exec sleep infinity',
  ].join(' && ');
  return ['unshare', '--mount', '--propagation', 'slave', '--', 'sh', '-c', script];
}

async function importImages(layout: RealNodeLayout, images: readonly LabImage[]): Promise<void> {
  const ctr = ['-a', layout.containerdSocket, '-n', 'k8s.io'];
  const present = new Set((await run('ctr', [...ctr, 'images', 'ls', '-q'])).stdout.split('\n'));
  for (const image of images) {
    if (present.has(image.ref)) continue;
    await run('ctr', [...ctr, 'images', 'import', image.archive], { timeoutMs: 600_000 });
  }
}

function kubeletArgv(config: LabConfig, layout: RealNodeLayout): string[] {
  const { node } = layout;
  return [
    join(config.nodeBinDir, 'kubelet'),
    `--config=${layout.kubeletConfig}`,
    `--kubeconfig=${labPaths(config).kubeconfigFor(`node-${node.netns}`)}`,
    `--hostname-override=${node.netns}`,
    // IPv6 first: the apiserver reaches nodes only over IPv6 (the root namespace has no lab IPv4) and connects
    // to the first InternalIP (--kubelet-preferred-address-types=InternalIP), e.g. for `kubectl logs`.
    `--node-ip=${node.ipv6},${node.ipv4}`,
    `--root-dir=${layout.kubeletRoot}`,
    `--cert-dir=${join(layout.kubeletRoot, 'pki')}`,
    '--v=1',
  ];
}

/** Starts the kubelet of a real node whose containerd is running (also used by `pnpm lab kubelet start`). */
export function startRealKubelet(config: LabConfig, node: LabMember): StartResult {
  const layout = realNodeLayout(config, node);
  const anchor = readLiveRecord(labPaths(config).pids, `node-ns-${node.netns}`);
  if (!anchor) throw new Error(`lab: node ${node.netns} is down (no anchor); run lab up`);
  const name = `kubelet-${node.netns}`;
  const { record, started } = startNodeProcess(config, {
    name,
    layout,
    anchor: anchor.pid,
    argv: kubeletArgv(config, layout),
  });
  return { name, pid: record.pid, started };
}

/** Brings one real node up (idempotent): cgroups, network, anchor, containerd, images, kubelet, kube-proxy. */
export async function ensureRealNode(config: LabConfig, node: LabMember): Promise<StartResult[]> {
  const images = readImages(config.imagesIndex);
  const layout = realNodeLayout(config, node);
  writeNodeFiles(config, layout, requireImage(images, 'pause'));
  ensureCgroup(layout.systemCgroup);
  await nodeNetwork(config, layout);
  const results: StartResult[] = [];
  const start = (name: string, anchor: number | '-', argv: readonly string[]): ProcessRecord => {
    const { record, started } = startNodeProcess(config, { name, layout, anchor, argv });
    results.push({ name, pid: record.pid, started });
    return record;
  };
  const anchor = start(`node-ns-${node.netns}`, '-', anchorArgv(layout));
  await waitFor(
    `${node.netns} mount namespace`,
    () => Promise.resolve(readFileSync(`/proc/${anchor.pid}/comm`, 'utf8').trim() === 'sleep'),
    10_000,
  );
  const containerd = start(`containerd-${node.netns}`, anchor.pid, [
    'containerd',
    `--config=${layout.containerdConfig}`,
  ]);
  const ctrVersion = ['-a', layout.containerdSocket, 'version'];
  await waitFor(
    `containerd of ${node.netns}`,
    async () => {
      if (!isAlive(containerd)) throw new Error(`containerd-${node.netns} exited; see ${containerd.log}`);
      return succeeds('ctr', ctrVersion);
    },
    30_000,
  );
  // The node bases are only build inputs; pods use pause, echo and ironlb.
  const podImages = [...images].filter(([name]) => name !== 'node' && name !== 'node-build');
  await importImages(
    layout,
    podImages.map(([, image]) => image),
  );
  results.push(startRealKubelet(config, node));
  start(`kube-proxy-${node.netns}`, anchor.pid, [
    join(config.nodeBinDir, 'kube-proxy'),
    `--config=${layout.kubeProxyConfig}`,
    '--v=1',
  ]);
  return results;
}

/**
 * Stops one real node completely: kubelet and kube-proxy first (SIGTERM), then every process left in the node's
 * cgroup (pods, shims, containerd, the anchor) with SIGKILL, which also ends its mount namespace and every mount
 * in it. Removes the node's cgroups and pidfiles. Resolves to the names of the records it stopped.
 */
export async function stopRealNode(config: LabConfig, node: LabMember): Promise<string[]> {
  const { pids } = labPaths(config);
  const layout = realNodeLayout(config, node);
  const stopped: string[] = [];
  for (const kind of ['kube-proxy', 'kubelet']) {
    if (await stopRecorded({ pidDir: pids, name: `${kind}-${node.netns}` }))
      stopped.push(`${kind}-${node.netns}`);
  }
  const remaining = [`containerd-${node.netns}`, `node-ns-${node.netns}`];
  const live = remaining.filter((name) => readLiveRecord(pids, name) !== null);
  await killCgroup(layout.cgroup);
  for (const name of remaining) await stopRecorded({ pidDir: pids, name });
  stopped.push(...live);
  removeCgroup(layout.cgroup, layout.cgroup.split('/')[1]);
  // The pods are gone with the lab's etcd: drop their state, keep containerd's images (import takes a while).
  // The rendered CNI config goes too: the next Nodes may get other pod CIDRs (cni/net.d also held the static
  // conflist of earlier versions of the lab).
  for (const dir of ['kubelet', 'pod-logs', 'container-logs', 'cni/ipam', 'cni/net.d', 'containerd/state']) {
    rmSync(join(layout.dir, dir), { recursive: true, force: true });
  }
  return stopped;
}

/**
 * The `kubernetes` Service endpoint for pods: 192.0.2.10 (the advertised address) on the LAN bridge, relayed to the
 * apiserver's IPv6 listener (see api-relay.ts). Only inside the LAN namespace; deleted with it.
 */
/** The relay's IPv6 source on the LAN (nodes use ::11 upwards, the client ::100, the root namespace ::1). */
const RELAY_IPV6 = '2001:db8::a';

export async function ensureApiRelay(config: LabConfig): Promise<StartResult> {
  const name = 'api-relay';
  const { pids, logs } = labPaths(config);
  // The relay needs both families in the LAN namespace: IPv4 for the pods, IPv6 to reach the apiserver.
  for (const address of [`${config.apiserverAdvertiseIpv4}/24`, `${RELAY_IPV6}/64`]) {
    await runInNetns(config.lanNetns, ['ip', 'addr', 'replace', address, 'dev', config.bridge, 'nodad']);
  }
  // Replies to pods (their source address is kept: kube-proxy does not masquerade pod traffic) need routes to
  // the pod CIDRs via the nodes: pod-routes.ts adds them once the Nodes have their CIDRs.
  const running = readLiveRecord(pids, name);
  if (running) return { name, pid: running.pid, started: false };
  const record = startDetached({
    name,
    argv: [
      'ip',
      'netns',
      'exec',
      config.lanNetns,
      process.execPath,
      '--conditions=ironlb-source',
      '--import',
      'tsx',
      join(import.meta.dirname, 'api-relay.ts'),
    ],
    pidDir: pids,
    logDir: logs,
    env: {
      PATH: process.env.PATH,
      LISTEN: `${config.apiserverAdvertiseIpv4}:${config.apiserverPort}`,
      TARGET: `[${config.hostIpv6}]:${config.apiserverPort}`,
    },
    cwd: config.repoRoot,
  });
  return { name, pid: record.pid, started: true };
}

/** Stops every real node of the lab (a no-op for a lab that never ran real nodes). */
export async function stopRealNodes(config: LabConfig): Promise<string[]> {
  if (!existsSync(join(config.dir, 'real'))) return [];
  const stopped = await Promise.all(config.nodes.map((n) => stopRealNode(config, n)));
  return stopped.flat();
}

/** Removes the nodes' state (containerd content, kubelet and CNI state); only when every node is stopped. */
export function removeRealNodeState(config: LabConfig): void {
  rmSync(join(config.dir, 'real'), { recursive: true, force: true });
}

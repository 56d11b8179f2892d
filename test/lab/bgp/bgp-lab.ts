import type { LabConfig } from '../config.js';
import type { StartResult } from '../control-plane.js';
import { run } from '../exec.js';
import { attachPort, ensureNetns, linkExists, netnsExists, sysctls } from '../network.js';
import { withLabLock } from '../sharing.js';
import { renderInitialNodeConfig, renderRouterConfig } from './frr-config.js';
import { checkFrrInstalled, ensureFrrInstance, removeFrrRunDir } from './frr-instance.js';
import type { BgpLabPlan } from './plan.js';
import { bgpLabPlan } from './plan.js';

/**
 * The lab's BGP part (opt-in: IRONLB_LAB_BGP=1 at `lab up`, or `ensureLabBgp()` from a suite): a router namespace on
 * the LAN running FRR and peering with every node over IPv4 and IPv6, a BGP client namespace behind the router, and
 * one FRR instance per node (what a speaker's FRR sidecar would be). Every step is idempotent, and running it again
 * repairs what a link flap removed (the nodes' routes back to the BGP client).
 */

/** A veth pair from `netns` to `peerNetns` with fixed names and MACs, unless `name` exists in `netns`. */
export async function ensureVeth(options: {
  netns: string;
  name: string;
  mac: string;
  peerNetns: string;
  peerName: string;
  peerMac: string;
}): Promise<void> {
  if (await linkExists({ netns: options.netns, name: options.name })) return;
  await run('ip', [
    '-n',
    options.netns,
    'link',
    'add',
    options.name,
    'address',
    options.mac,
    'type',
    'veth',
    'peer',
    'name',
    options.peerName,
    'address',
    options.peerMac,
    'netns',
    options.peerNetns,
  ]);
}

/** Sets `cidrs` on `dev` (IPv6 without duplicate address detection) and brings it up. */
export async function addresses(netns: string, dev: string, cidrs: readonly string[]): Promise<void> {
  for (const cidr of cidrs) {
    await run('ip', [
      '-n',
      netns,
      'addr',
      'replace',
      cidr,
      'dev',
      dev,
      ...(cidr.includes(':') ? ['nodad'] : []),
    ]);
  }
  await run('ip', ['-n', netns, 'link', 'set', dev, 'up']);
}

async function ensureBgpNetwork(config: LabConfig, plan: BgpLabPlan): Promise<void> {
  const { router, client } = plan;
  await Promise.all([ensureNetns(router.netns), ensureNetns(client.netns)]);
  // Router on the LAN (eth0), like any LAN member.
  await ensureVeth({
    netns: config.lanNetns,
    name: router.bridgePort,
    mac: '02:00:00:00:01:3d',
    peerNetns: router.netns,
    peerName: 'eth0',
    peerMac: router.mac,
  });
  // Router ↔ BGP client (eth1 ↔ the client's eth0): the client's only link.
  await ensureVeth({
    netns: router.netns,
    name: router.linkDevice,
    mac: '02:00:00:00:03:01',
    peerNetns: client.netns,
    peerName: 'eth0',
    peerMac: '02:00:00:00:03:02',
  });
  await sysctls(router.netns, {
    'net/ipv6/conf/eth0/accept_dad': '0',
    [`net/ipv6/conf/${router.linkDevice}/accept_dad`]: '0',
    // Forwarding only here, between the LAN and the client link; the router has no other link and no default route.
    'net/ipv4/ip_forward': '1',
    'net/ipv6/conf/all/forwarding': '1',
    // ECMP by L4 hash, so flows from many source ports spread over the next hops.
    'net/ipv4/fib_multipath_hash_policy': '1',
    'net/ipv6/fib_multipath_hash_policy': '1',
  });
  await sysctls(client.netns, { 'net/ipv6/conf/eth0/accept_dad': '0' });
  await addresses(router.netns, 'eth0', [`${router.ipv4}/24`, `${router.ipv6}/64`]);
  await attachPort(config, router.bridgePort);
  const [v4Prefix, v6Prefix] = plan.clientPrefixes;
  const len = (prefix: string): string => prefix.slice(prefix.indexOf('/'));
  await addresses(router.netns, router.linkDevice, [
    `${router.linkIpv4}${len(v4Prefix)}`,
    `${router.linkIpv6}${len(v6Prefix)}`,
  ]);
  await addresses(client.netns, 'eth0', [`${client.ipv4}${len(v4Prefix)}`, `${client.ipv6}${len(v6Prefix)}`]);
  const ns = ['-n', client.netns];
  await run('ip', [...ns, 'route', 'replace', 'default', 'via', router.linkIpv4, 'dev', 'eth0']);
  await run('ip', [...ns, '-6', 'route', 'replace', 'default', 'via', router.linkIpv6, 'dev', 'eth0']);
  // Return traffic: each node reaches the BGP client via the router (a real node's gateway would do this).
  for (const node of config.nodes) {
    await run('ip', ['-n', node.netns, 'route', 'replace', v4Prefix, 'via', router.ipv4, 'dev', 'eth0']);
    await run('ip', [
      '-n',
      node.netns,
      '-6',
      'route',
      'replace',
      v6Prefix,
      'via',
      router.ipv6,
      'dev',
      'eth0',
    ]);
  }
}

/** Brings the BGP part up without taking the lab lock (for `labUp`, which holds it). */
export async function ensureBgp(config: LabConfig): Promise<StartResult[]> {
  checkFrrInstalled();
  if (!netnsExists(config.lanNetns)) throw new Error('lab BGP: the lab is not up (run `pnpm lab up` first)');
  const plan = bgpLabPlan(config);
  await ensureBgpNetwork(config, plan);
  const routerConfig = renderRouterConfig({
    hostname: plan.router.netns,
    asn: plan.router.asn,
    routerId: plan.router.ipv4,
    nodes: config.nodes,
    bfd: plan.bfd,
  });
  const results = await Promise.all([
    ensureFrrInstance(config, { instance: plan.router.frr, initialConfig: routerConfig }),
    ...plan.nodes.map((instance) =>
      ensureFrrInstance(config, { instance, initialConfig: renderInitialNodeConfig(instance.netns) }),
    ),
  ]);
  return results.flat();
}

/** Brings the BGP part up on a running lab (idempotent), serialised with `lab up`/`down`. */
export function ensureLabBgp(config: LabConfig): Promise<StartResult[]> {
  return withLabLock(config, () => ensureBgp(config));
}

/** After `lab down` stopped every recorded process: the FRR run directories (sockets, pid files) go too. */
export function removeBgpRunDirs(config: LabConfig): void {
  const plan = bgpLabPlan(config);
  for (const instance of [plan.router.frr, plan.ibgp.frr, ...plan.nodes]) removeFrrRunDir(instance);
}

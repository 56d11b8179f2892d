import type { LabConfig } from '../config.js';
import type { StartResult } from '../control-plane.js';
import { run } from '../exec.js';
import { attachPort, ensureNetns, netnsExists, sysctls } from '../network.js';
import { withLabLock } from '../sharing.js';
import { addresses, ensureVeth } from './bgp-lab.js';
import { renderRouterConfig } from './frr-config.js';
import { checkFrrInstalled, ensureFrrInstance, stopFrrInstance } from './frr-instance.js';
import { bgpLabPlan } from './plan.js';

/**
 * The lab's iBGP peer (test/lab/README.md, "BGP"): FRR in namespace `ilb-ibgp` on the LAN, in the nodes' own ASN,
 * peering with every node over IPv4 and IPv6 (`remote-as internal`). It exists because only iBGP sessions carry
 * LOCAL_PREF. Not part of `lab up`: a suite starts it and removes it again. `lab down` removes it too (its daemons
 * are recorded like every lab process, and its namespace is one of the lab's).
 * Invariants: its only link is the LAN; it forwards nothing (no forwarding sysctl), has no default route and
 * advertises nothing to the nodes.
 */
export function ensureIbgpPeer(config: LabConfig): Promise<StartResult[]> {
  return withLabLock(config, async () => {
    checkFrrInstalled();
    if (!netnsExists(config.lanNetns))
      throw new Error('lab iBGP peer: the lab is not up (run `pnpm lab up` first)');
    const plan = bgpLabPlan(config);
    const peer = plan.ibgp;
    await ensureNetns(peer.netns);
    await ensureVeth({
      netns: config.lanNetns,
      name: peer.bridgePort,
      mac: '02:00:00:00:01:3e',
      peerNetns: peer.netns,
      peerName: 'eth0',
      peerMac: peer.mac,
    });
    await sysctls(peer.netns, { 'net/ipv6/conf/eth0/accept_dad': '0' });
    await addresses(peer.netns, 'eth0', [`${peer.ipv4}/24`, `${peer.ipv6}/64`]);
    await attachPort(config, peer.bridgePort);
    const initialConfig = renderRouterConfig({
      hostname: peer.netns,
      asn: peer.asn,
      routerId: peer.ipv4,
      nodes: config.nodes,
      bfd: plan.bfd,
      peering: 'internal',
    });
    return ensureFrrInstance(config, { instance: peer.frr, initialConfig });
  });
}

/** Stops the iBGP peer's daemons (by recorded PID) and deletes its namespace (and with it its LAN port). */
export function removeIbgpPeer(config: LabConfig): Promise<string[]> {
  return withLabLock(config, async () => {
    const peer = bgpLabPlan(config).ibgp;
    const removed = await stopFrrInstance(config, peer.frr);
    if (netnsExists(peer.netns)) {
      await run('ip', ['netns', 'del', peer.netns]);
      removed.push(`netns ${peer.netns}`);
    }
    return removed;
  });
}

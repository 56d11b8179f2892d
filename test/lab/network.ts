import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LabConfig, LabMember } from './config.js';
import { labPaths } from './config.js';
import { bgpNamespaces } from './bgp/plan.js';
import { run, succeeds } from './exec.js';

/**
 * The lab LAN: a bridge in its own namespace, one veth per member namespace (eth0 inside), and one veth to the root
 * namespace (`ilb-host`, IPv6 only) so the apiserver there is reachable from the nodes. Every step is idempotent.
 */

export function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

export async function ensureNetns(name: string): Promise<void> {
  if (!netnsExists(name)) await run('ip', ['netns', 'add', name]);
  // Addresses must be usable at once: no duplicate address detection on any lab link.
  await sysctls(name, {
    'net/ipv6/conf/all/accept_dad': '0',
    'net/ipv6/conf/default/accept_dad': '0',
    'net/ipv6/conf/default/accept_ra': '0',
  });
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Writes /proc/sys entries inside `netns` (keys relative to /proc/sys, values without newline). */
export async function sysctls(netns: string, values: Record<string, string>): Promise<void> {
  const script = Object.entries(values)
    .map(([key, value]) => `echo ${value} > /proc/sys/${key}`)
    .join(' && ');
  await run('ip', ['netns', 'exec', netns, 'sh', '-c', script]);
}

export function linkExists(options: { netns?: string; name: string }): Promise<boolean> {
  const ns = options.netns ? ['-n', options.netns] : [];
  return succeeds('ip', [...ns, 'link', 'show', 'dev', options.name]);
}

async function ensureLan(config: LabConfig): Promise<void> {
  await ensureNetns(config.lanNetns);
  const lan = ['-n', config.lanNetns];
  if (!(await linkExists({ netns: config.lanNetns, name: config.bridge }))) {
    await run('ip', [
      ...lan,
      'link',
      'add',
      config.bridge,
      'address',
      '02:00:00:00:02:00',
      'type',
      'bridge',
      'stp_state',
      '0',
      'forward_delay',
      '0',
      'mcast_snooping',
      '0',
    ]);
  }
  await run('ip', [...lan, 'link', 'set', config.bridge, 'up']);
}

async function ensureHostLink(config: LabConfig): Promise<void> {
  const link = config.hostLink;
  if (!(await linkExists({ name: link }))) {
    await run('ip', [
      'link',
      'add',
      link,
      'address',
      '02:00:00:00:00:01',
      'type',
      'veth',
      'peer',
      'name',
      config.hostBridgePort,
      'address',
      '02:00:00:00:01:01',
      'netns',
      config.lanNetns,
    ]);
  }
  // Only this link's own settings are touched in the root namespace.
  for (const [key, value] of Object.entries({ accept_dad: '0', accept_ra: '0', autoconf: '0' })) {
    writeFileSync(`/proc/sys/net/ipv6/conf/${link}/${key}`, value);
  }
  await run('ip', ['addr', 'replace', `${config.hostIpv6}/64`, 'dev', link, 'nodad']);
  await run('ip', ['link', 'set', link, 'up']);
  await attachPort(config, config.hostBridgePort);
}

export async function attachPort(config: LabConfig, port: string): Promise<void> {
  await run('ip', ['-n', config.lanNetns, 'link', 'set', port, 'master', config.bridge, 'up']);
}

async function ensureMember(config: LabConfig, m: LabMember, isNode: boolean): Promise<void> {
  await ensureNetns(m.netns);
  const ns = ['-n', m.netns];
  if (!(await linkExists({ netns: m.netns, name: 'eth0' }))) {
    const portMac = m.mac.replace(/:00:([0-9a-f]{2})$/, ':01:$1');
    await run('ip', [
      '-n',
      config.lanNetns,
      'link',
      'add',
      m.bridgePort,
      'address',
      portMac,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'address',
      m.mac,
      'netns',
      m.netns,
    ]);
  }
  await sysctls(m.netns, {
    'net/ipv6/conf/eth0/accept_dad': '0',
    // As on a real node, a link flap (`ip link set eth0 down; … up`) keeps the IPv6 addresses, and with them
    // the on-link /64 that is the node's only route to the API server; the kernel restores the prefix route
    // on link up. Without it the kernel deletes them on down and a flapped node never reaches the API again.
    ...(isNode ? { 'net/ipv6/conf/eth0/keep_addr_on_down': '1' } : {}),
  });
  await run('ip', [...ns, 'addr', 'replace', `${m.ipv4}/24`, 'dev', 'eth0']);
  await run('ip', [...ns, 'addr', 'replace', `${m.ipv6}/64`, 'dev', 'eth0', 'nodad']);
  await run('ip', [...ns, 'link', 'set', 'eth0', 'up']);
  await attachPort(config, m.bridgePort);
  if (isNode) await ensureNodeDevices(config, m);
  else {
    for (const prefix of config.loadBalancerPrefixes) {
      await run('ip', [...ns, 'route', 'replace', prefix, 'dev', 'eth0']);
    }
  }
}

/**
 * Address-holding devices for service IPs; eth0 must never answer ARP for addresses that live on them. `dummy` when
 * the kernel has it, else `ifb` (also NOARP, never transmits on its own; some VM kernels lack CONFIG_DUMMY).
 */
async function ensureNodeDevices(config: LabConfig, m: LabMember): Promise<void> {
  for (const dev of [config.lbDevice, config.pinDevice]) {
    if (!(await linkExists({ netns: m.netns, name: dev }))) {
      const add = (type: string): Promise<boolean> =>
        succeeds('ip', ['-n', m.netns, 'link', 'add', dev, 'type', type]);
      if (!(await add('dummy'))) await run('ip', ['-n', m.netns, 'link', 'add', dev, 'type', 'ifb']);
    }
    await run('ip', ['-n', m.netns, 'link', 'set', dev, 'up']);
  }
  await sysctls(m.netns, {
    'net/ipv4/conf/eth0/arp_ignore': '1',
    'net/ipv4/conf/eth0/arp_announce': '2',
  });
}

/** Creates (or repairs) the whole LAN; records the namespaces it owns in the lab state file. */
export async function ensureNetwork(config: LabConfig): Promise<void> {
  recordNamespaces(config);
  await ensureLan(config);
  await ensureHostLink(config);
  await Promise.all([
    ...config.nodes.map((n) => ensureMember(config, n, true)),
    ensureMember(config, config.client, false),
  ]);
}

function ownedNamespaces(config: LabConfig): string[] {
  return [config.lanNetns, config.client.netns, ...config.nodes.map((n) => n.netns), ...bgpNamespaces()];
}

function recordNamespaces(config: LabConfig): void {
  const all = new Set([...recordedNamespaces(config), ...ownedNamespaces(config)]);
  writeFileSync(labPaths(config).state, JSON.stringify({ namespaces: [...all] }));
}

function recordedNamespaces(config: LabConfig): string[] {
  try {
    const state = JSON.parse(readFileSync(labPaths(config).state, 'utf8')) as { namespaces?: unknown };
    const names = Array.isArray(state.namespaces) ? state.namespaces : [];
    // Only ever delete what carries our prefix, whatever the file says.
    return names.filter((n): n is string => typeof n === 'string' && n.startsWith('ilb-'));
  } catch {
    return [];
  }
}

/** Deletes the root-namespace host link, then every namespace the lab recorded or owns. Returns what it removed. */
export async function teardownNetwork(config: LabConfig): Promise<string[]> {
  const removed: string[] = [];
  // First, while its peer's namespace still exists (deleting ilb-lan also removes it, but asynchronously).
  if (
    (await linkExists({ name: config.hostLink })) &&
    (await succeeds('ip', ['link', 'del', config.hostLink]))
  ) {
    removed.push(`link ${config.hostLink}`);
  }
  for (const name of new Set([...ownedNamespaces(config), ...recordedNamespaces(config)])) {
    if (!netnsExists(name)) continue;
    await run('ip', ['netns', 'del', name]);
    removed.push(`netns ${name}`);
  }
  return removed;
}

/** Lab namespaces and root-namespace links that currently exist (for `status` and leak checks). */
export async function presentNetwork(config: LabConfig): Promise<{ namespaces: string[]; links: string[] }> {
  const namespaces = ownedNamespaces(config).filter(netnsExists);
  const links = (await linkExists({ name: config.hostLink })) ? [config.hostLink] : [];
  return { namespaces, links };
}

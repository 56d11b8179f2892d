import { basename, join } from 'node:path';
import type { LabConfig, LabMember } from '../config.js';

/**
 * Names and addresses of the lab's BGP part (see test/lab/README.md, "BGP"). Pure: derived from the lab config.
 *
 * Address plan (nothing else in test/ uses these):
 * - router on the LAN: 192.0.2.61 and 2001:db8::61 (nodes are .11–.60, pods .64/26, Services .128/25);
 * - router ↔ BGP client link: 198.51.100.144/30 (router .145, client .146) and 2001:db8:b9::/64 (::1, ::2);
 * - iBGP peer on the LAN: 192.0.2.62 and 2001:db8::62 (started only by the suites that need it, see ibgp-peer.ts).
 * The router's only links are the LAN and that link: it has no default route and forwards only between them.
 */
export interface FrrInstance {
  /** Lab member (namespace) the daemons run in. */
  readonly netns: string;
  /** FRR path space (`-N`): sockets in /var/run/frr/<name>; prefixed by the lab directory's name. */
  readonly name: string;
  /** Directory of frr.conf (writable by whoever drives this instance, e.g. the speaker). */
  readonly configDir: string;
  readonly configPath: string;
  /** argv prefix for vtysh against this instance (append `-c '…'`). */
  readonly vtysh: readonly string[];
  /** argv prefix that applies a whole new frr.conf (append the file path). */
  readonly reload: readonly string[];
}

export interface BgpLabPlan {
  readonly router: LabMember & {
    readonly asn: number;
    /** Router end of the link to the BGP client (namespace `router.netns`, device `linkDevice`). */
    readonly linkDevice: string;
    readonly linkIpv4: string;
    readonly linkIpv6: string;
    readonly frr: FrrInstance;
  };
  readonly client: { readonly netns: string; readonly ipv4: string; readonly ipv6: string };
  /** The BGP client's link prefixes: each node routes them via the router (return traffic). */
  readonly clientPrefixes: readonly [v4: string, v6: string];
  /** Any ASN other than the router's works (`remote-as external`); the lab's tests use this one. */
  readonly nodeAsn: number;
  /** Per node, the FRR instance a speaker's FRR sidecar would be. */
  readonly nodes: readonly FrrInstance[];
  /**
   * A second FRR on the LAN in the nodes' own ASN (iBGP: the only sessions that carry LOCAL_PREF). It has only the
   * LAN link, forwards nothing and advertises nothing; a suite starts and removes it (test/lab/bgp/ibgp-peer.ts).
   */
  readonly ibgp: LabMember & { readonly asn: number; readonly frr: FrrInstance };
  /** The router's BFD profile (each side may ask for slower; the slower interval wins). */
  readonly bfd: { readonly profile: string; readonly intervalMs: number; readonly detectMultiplier: number };
}

export const FRR_RUN_DIR = '/var/run/frr';
export const FRR_LIB_DIR = '/usr/lib/frr';

function frrInstance(config: LabConfig, netns: string): FrrInstance {
  const name = `${basename(config.dir)}-${netns}`;
  const configDir = join(config.dir, 'frr', netns);
  return {
    netns,
    name,
    configDir,
    configPath: join(configDir, 'frr.conf'),
    vtysh: ['vtysh', '-N', name],
    reload: ['python3', join(FRR_LIB_DIR, 'frr-reload.py'), '--reload', '--pathspace', name],
  };
}

const ROUTER_NETNS = 'ilb-router';
const CLIENT_NETNS = 'ilb-client-bgp';
const IBGP_NETNS = 'ilb-ibgp';
const NODE_ASN = 64513;

export function bgpLabPlan(config: LabConfig): BgpLabPlan {
  return {
    router: {
      netns: ROUTER_NETNS,
      ipv4: '192.0.2.61',
      ipv6: '2001:db8::61',
      mac: '02:00:00:00:00:3d',
      bridgePort: 'ilb-p-router',
      asn: 64512,
      linkDevice: 'eth1',
      linkIpv4: '198.51.100.145',
      linkIpv6: '2001:db8:b9::1',
      frr: frrInstance(config, ROUTER_NETNS),
    },
    client: { netns: CLIENT_NETNS, ipv4: '198.51.100.146', ipv6: '2001:db8:b9::2' },
    clientPrefixes: ['198.51.100.144/30', '2001:db8:b9::/64'],
    nodeAsn: NODE_ASN,
    ibgp: {
      netns: IBGP_NETNS,
      ipv4: '192.0.2.62',
      ipv6: '2001:db8::62',
      mac: '02:00:00:00:00:3e',
      bridgePort: 'ilb-p-ibgp',
      asn: NODE_ASN,
      frr: frrInstance(config, IBGP_NETNS),
    },
    nodes: config.nodes.map((n) => frrInstance(config, n.netns)),
    bfd: { profile: 'lab', intervalMs: 50, detectMultiplier: 3 },
  };
}

/** The namespaces the BGP part creates (torn down with the lab whether or not BGP was enabled). */
export function bgpNamespaces(): string[] {
  return [ROUTER_NETNS, CLIENT_NETNS, IBGP_NETNS];
}

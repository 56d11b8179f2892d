/**
 * frr.conf texts for the lab's router and for a node's initial (empty) FRR instance. Pure functions.
 */
export interface RouterConfigOptions {
  readonly hostname: string;
  readonly asn: number;
  readonly routerId: string;
  /** Every node's LAN addresses; each becomes an explicit neighbor (so a missing session shows as down). */
  readonly nodes: readonly { readonly ipv4: string; readonly ipv6: string }[];
  readonly bfd: { readonly profile: string; readonly intervalMs: number; readonly detectMultiplier: number };
  /** TCP MD5 password for every node session (absent: none; per-node overrides at run time via vtysh). */
  readonly password?: string;
  readonly maximumPaths?: number;
  /**
   * 'external' (default): eBGP, any node ASN other than `asn`. 'internal': iBGP, `asn` is the nodes' own ASN, and ECMP
   * needs `maximum-paths ibgp`.
   */
  readonly peering?: 'external' | 'internal';
}

/** Peer groups on the router: IPv4 prefixes over the IPv4 sessions, IPv6 prefixes over the IPv6 sessions. */
export const ROUTER_PEER_GROUPS = { ipv4: 'NODES4', ipv6: 'NODES6' } as const;
/** Outbound policy towards the nodes: the router advertises nothing to them. */
export const ROUTER_EXPORT_NOTHING = 'LAB-EXPORT-NOTHING';

const PASSWORD = /^[\x21-\x7e]{1,80}$/;

export function renderRouterConfig(options: RouterConfigOptions): string {
  if (options.password !== undefined && !PASSWORD.test(options.password)) {
    throw new Error('router password: 1-80 printable ASCII characters without spaces');
  }
  const paths = options.maximumPaths ?? 16;
  const peering = options.peering ?? 'external';
  const group = (name: string): string[] => [
    ` neighbor ${name} peer-group`,
    ` neighbor ${name} remote-as ${peering}`,
    ` neighbor ${name} bfd`,
    ` neighbor ${name} bfd profile ${options.bfd.profile}`,
    ...(options.password === undefined ? [] : [` neighbor ${name} password ${options.password}`]),
  ];
  const family = (afi: 'ipv4' | 'ipv6', name: string): string[] => [
    ` address-family ${afi} unicast`,
    `  maximum-paths ${peering === 'internal' ? 'ibgp ' : ''}${paths}`,
    `  neighbor ${name} activate`,
    `  neighbor ${name} route-map ${ROUTER_EXPORT_NOTHING} out`,
    ' exit-address-family',
  ];
  const { ipv4, ipv6 } = ROUTER_PEER_GROUPS;
  return [
    'frr defaults datacenter',
    `hostname ${options.hostname}`,
    'log stdout informational',
    '!',
    'bfd',
    ` profile ${options.bfd.profile}`,
    `  receive-interval ${options.bfd.intervalMs}`,
    `  transmit-interval ${options.bfd.intervalMs}`,
    `  detect-multiplier ${options.bfd.detectMultiplier}`,
    ' exit',
    'exit',
    '!',
    `route-map ${ROUTER_EXPORT_NOTHING} deny 10`,
    'exit',
    '!',
    `router bgp ${options.asn}`,
    ` bgp router-id ${options.routerId}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ' bgp bestpath as-path multipath-relax',
    ...group(ipv4),
    ...group(ipv6),
    ...options.nodes.map((n) => ` neighbor ${n.ipv4} peer-group ${ipv4}`),
    ...options.nodes.map((n) => ` neighbor ${n.ipv6} peer-group ${ipv6}`),
    ...family('ipv4', ipv4),
    ...family('ipv6', ipv6),
    'exit',
    '!',
    '',
  ].join('\n');
}

/** A node's FRR before anything drives it: no routing protocol configured. */
export function renderInitialNodeConfig(hostname: string): string {
  return ['frr defaults datacenter', `hostname ${hostname}`, 'log stdout informational', '!', ''].join('\n');
}

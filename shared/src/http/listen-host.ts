/**
 * Where the ops server (/healthz, /readyz, /metrics) listens when no host is configured.
 *
 * Invariant: an unconfigured server is reachable on every address of the host, whatever its family. Kubelet probes
 * go to the pod IP, and with hostNetwork that is the node's first InternalIP, which may be IPv6 (IPv6-first dual
 * stack) or IPv4. So the default is `::` whenever the kernel has IPv6: the server clears IPV6_V6ONLY, so the one
 * socket also accepts IPv4 (as ::ffff:a.b.c.d), independent of net.ipv6.bindv6only. Only a host without any IPv6
 * address (IPv6 disabled) gets `0.0.0.0`.
 */
export const DUAL_STACK_HOST = '::';
export const IPV4_ANY_HOST = '0.0.0.0';

export interface InterfaceAddress {
  readonly family: string;
}

/** The host to listen on: the configured one, else `::` when any interface has an IPv6 address, else `0.0.0.0`. */
export function opsListenHost(options: {
  readonly configured: string | undefined;
  readonly addresses: readonly InterfaceAddress[];
}): string {
  if (options.configured !== undefined && options.configured !== '') return options.configured;
  return options.addresses.some((a) => a.family === 'IPv6') ? DUAL_STACK_HOST : IPV4_ANY_HOST;
}

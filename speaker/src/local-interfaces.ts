import type { networkInterfaces } from 'node:os';

/** MACs are re-read at most this often (interfaces rarely change; reading them is a syscall per interface). */
const MAC_CACHE_MS = 5000;

/**
 * The host's interfaces as the speaker needs them: the default interface (the configured one, else the one
 * holding the node's InternalIP) and the MACs peers must know us by.
 *
 * Invariant: macsFor returns the sorted, distinct, non-zero MACs of exactly the named interfaces, at most
 * MAC_CACHE_MS old.
 */
export class LocalInterfaces {
  private macs: string[] = [];
  private key = '';
  private at = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: {
      interfaces: () => ReturnType<typeof networkInterfaces>;
      /** --interface, when given. */
      configured: string | undefined;
    },
  ) {}

  defaultInterface(nodeIps: readonly string[]): string | undefined {
    if (this.options.configured) return this.options.configured;
    const ips = new Set(nodeIps);
    for (const [name, addrs] of Object.entries(this.options.interfaces())) {
      if (addrs?.some((a) => ips.has(a.address))) return name;
    }
    return undefined;
  }

  macsFor(names: ReadonlySet<string>): string[] {
    const key = [...names].sort().join(',');
    const now = performance.now();
    if (key === this.key && now - this.at < MAC_CACHE_MS) return this.macs;
    this.key = key;
    this.at = now;
    const macs = new Set<string>();
    for (const [name, addrs] of Object.entries(this.options.interfaces())) {
      if (!names.has(name)) continue;
      for (const a of addrs ?? []) if (!a.internal && a.mac !== '00:00:00:00:00:00') macs.add(a.mac);
    }
    this.macs = [...macs].sort();
    return this.macs;
  }
}

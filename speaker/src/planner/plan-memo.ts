import { parseIP, rangesContain, type IPPoolConfig } from '@ironlb/shared';
import { rankNodes } from '../election/index.js';

/**
 * Per-IP work that only changes when the node list or the pools change: the ranking of every node for the IP
 * and the pool holding it. Planning runs on every membership change (the failover path) and every informer
 * event, so this keeps it to a map lookup per IP instead of hashing and parsing.
 *
 * Invariant: results are exactly those of rankNodes / a pool scan over the inputs last given to `prepare`;
 * any change of nodes or pools empties the memo.
 */
export class PlanMemo {
  private key = '';
  private readonly ranked = new Map<string, readonly string[]>();
  private readonly pools = new Map<string, IPPoolConfig | null>();
  private nodes: readonly string[] = [];
  private poolList: readonly IPPoolConfig[] = [];

  /** Pools must come oldest first (the order in which an overlap is resolved). */
  prepare(args: { nodes: readonly string[]; pools: readonly IPPoolConfig[] }): void {
    const nodes = [...new Set(args.nodes)].sort();
    const key = `${nodes.join(',')}|${args.pools
      .map((p) => `${p.name}@${p.creationTimestamp}=${p.addresses.join(',')}`)
      .join(';')}`;
    if (key === this.key) return;
    this.key = key;
    this.nodes = nodes;
    this.poolList = args.pools;
    this.ranked.clear();
    this.pools.clear();
  }

  /** Every node, best candidate for the IP first. */
  ranking(ip: string): readonly string[] {
    let r = this.ranked.get(ip);
    if (!r) {
      r = rankNodes(ip, this.nodes).map((n) => n.node);
      this.ranked.set(ip, r);
    }
    return r;
  }

  /** The first (oldest) pool containing the IP, or null. */
  poolOf(ip: string): IPPoolConfig | null {
    let p = this.pools.get(ip);
    if (p === undefined) {
      const address = parseIP(ip);
      p = (address && this.poolList.find((pool) => rangesContain(pool.ranges, address))) ?? null;
      this.pools.set(ip, p);
    }
    return p;
  }
}

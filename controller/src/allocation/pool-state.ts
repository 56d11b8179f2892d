import {
  type IPAddress,
  type IPFamily,
  type IPPoolConfig,
  isBuggyIP,
  poolCapacity,
  rangesContain,
} from '@ironlb/shared';
import { FreeTree } from './free-tree.js';
import type { FamilyStats } from './types.js';

interface FamilyState {
  readonly free: FreeTree;
  readonly capacity: bigint;
  /** Held addresses inside the pool that count against capacity (buggy ones excluded when avoided). */
  used: bigint;
}

/**
 * Allocation state of one pool. Invariant: for each family, `free` holds every address of the
 * pool's ranges that no Service holds (held addresses were taken out), except that all-buggy
 * fragments may be dropped lazily when avoidBuggyIPs is set (they are never handed out anyway).
 */
export class PoolState {
  private readonly families = new Map<IPFamily, FamilyState>();

  constructor(readonly config: IPPoolConfig) {}

  /** Builds the free trees from the ranges; O(ranges log ranges). Called once after construction. */
  init(): void {
    for (const family of ['IPv4', 'IPv6'] as const) {
      const free = new FreeTree();
      for (const r of this.config.ranges) if (r.family === family) free.insert(r.start, r.end);
      this.families.set(family, { free, capacity: poolCapacity(this.config, family), used: 0n });
    }
  }

  contains(ip: IPAddress): boolean {
    return rangesContain(this.config.ranges, ip);
  }

  hasFamily(family: IPFamily): boolean {
    return (this.families.get(family)?.capacity ?? 0n) > 0n;
  }

  private counts(ip: IPAddress): boolean {
    return !(this.config.avoidBuggyIPs && isBuggyIP(ip));
  }

  /** Records that a Service now holds ip (no-op for addresses outside the pool). */
  hold(ip: IPAddress): void {
    const fs = this.families.get(ip.family);
    if (fs === undefined || !this.contains(ip)) return;
    // Invariant from the allocator: hold() is called once when an address gains its first holder.
    fs.free.take(ip.value);
    if (this.counts(ip)) fs.used += 1n;
  }

  /** Records that no Service holds ip any more. */
  release(ip: IPAddress): void {
    const fs = this.families.get(ip.family);
    if (fs === undefined || !this.contains(ip) || fs.free.has(ip.value)) return;
    fs.free.give(ip.value);
    if (this.counts(ip)) fs.used -= 1n;
  }

  /** May this pool hand out ip (in the pool, not avoided)? Says nothing about holders. */
  offers(ip: IPAddress): boolean {
    return this.contains(ip) && this.counts(ip);
  }

  /**
   * Lowest free address of the family (address order), skipping .0/.255 when avoidBuggyIPs is set.
   * Does not take it. O(log n) amortized: all-buggy fragments met on the way are dropped for good.
   */
  lowestFree(family: IPFamily): IPAddress | undefined {
    const free = this.families.get(family)?.free;
    for (let iv = free?.min(); free !== undefined && iv !== undefined; iv = free.min()) {
      let v = iv.start;
      while (v <= iv.end && !this.counts({ family, value: v })) v += 1n;
      if (v <= iv.end) return { family, value: v };
      free.remove(iv.start);
    }
    return undefined;
  }

  stats(family: IPFamily): FamilyStats {
    const fs = this.families.get(family);
    if (fs === undefined) return { capacity: 0n, assigned: 0n, available: 0n };
    const available = fs.capacity > fs.used ? fs.capacity - fs.used : 0n;
    return { capacity: fs.capacity, assigned: fs.used, available };
  }
}

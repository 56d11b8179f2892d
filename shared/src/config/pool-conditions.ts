import { formatRange, firstOverlap } from '../ip/range.js';
import type { Condition, FamilyCounts, IPPoolStatus } from '../types/api.js';
import type { IPPoolConfig } from './ip-pool.js';

export type PoolReadyReason = 'Valid' | 'Overlap' | 'Invalid';

export interface PoolReadiness {
  readonly ready: boolean;
  readonly reason: PoolReadyReason;
  readonly message: string;
}

/**
 * Older first: creationTimestamp ascending (RFC 3339 sorts as text), then name. The one order of pools for
 * every consumer (the controller's overlap verdicts, the speakers' choice of the pool an IP belongs to): it
 * compares UTF-16 code units, never the locale (`localeCompare` would make the order depend on each process'
 * locale, and loads ICU's collation data, ~3 MiB of RSS).
 */
export function comparePoolAge(
  a: Pick<IPPoolConfig, 'creationTimestamp' | 'name'>,
  b: Pick<IPPoolConfig, 'creationTimestamp' | 'name'>,
): number {
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Cross-object checks. A pool overlapping any OLDER pool is not ready (reason Overlap, message names
 * the older pool and the first shared range); the older pool stays Valid, so existing allocations
 * are never disturbed by a newcomer. Cost: O(P^2 * R) for P pools of R ranges (P is small).
 */
export function computePoolReadiness(pools: readonly IPPoolConfig[]): Map<string, PoolReadiness> {
  const sorted = [...pools].sort(comparePoolAge);
  const out = new Map<string, PoolReadiness>();
  sorted.forEach((pool, i) => {
    for (const older of sorted.slice(0, i)) {
      const shared = firstOverlap(pool.ranges, older.ranges);
      if (shared !== undefined) {
        const message = `addresses overlap with older pool ${older.name} (${formatRange(shared)})`;
        out.set(pool.name, { ready: false, reason: 'Overlap', message });
        return;
      }
    }
    out.set(pool.name, { ready: true, reason: 'Valid', message: 'pool is valid and serves allocations' });
  });
  return out;
}

function readyCondition(r: PoolReadiness): Condition {
  return { type: 'Ready', status: r.ready ? 'True' : 'False', reason: r.reason, message: r.message };
}

export interface FamilyStats {
  capacity: bigint;
  assigned: bigint;
}

/** Builds the status subresource body (counts as decimal strings). */
export function buildPoolStatus(opts: {
  ipv4: FamilyStats;
  ipv6: FamilyStats;
  readiness: PoolReadiness;
}): IPPoolStatus {
  const counts = (pick: (s: FamilyStats) => bigint): FamilyCounts => ({
    ipv4: pick(opts.ipv4).toString(),
    ipv6: pick(opts.ipv6).toString(),
  });
  return {
    capacity: counts((s) => s.capacity),
    assigned: counts((s) => s.assigned),
    available: counts((s) => (s.capacity > s.assigned ? s.capacity - s.assigned : 0n)),
    conditions: [readyCondition(opts.readiness)],
  };
}

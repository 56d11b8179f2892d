import type { CustomObjectsApi } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION,
  type Condition,
  IPPOOL_PLURAL,
  type IPPoolStatus,
  type PoolReadiness,
  buildPoolStatus,
} from '@ironlb/shared';
import { type Limiter, patchCustomStatus } from '@ironlb/shared/kube';
import type { PoolStats } from '../allocation/index.js';
import type { PoolEntry } from '../reconciler/pool-configs.js';
import type { PoolObject } from './informers.js';

const ZERO = { capacity: 0n, assigned: 0n, available: 0n };

/** Readiness shown in status: the allocator's verdict, overridden when the current spec is invalid. */
export function shownReadiness(entry: PoolEntry, computed: PoolReadiness | undefined): PoolReadiness {
  if (entry.errors.length === 0)
    return computed ?? { ready: false, reason: 'Invalid', message: 'pool is not in use' };
  const errors = entry.errors.join('; ');
  if (entry.config === undefined)
    return {
      ready: false,
      reason: 'Invalid',
      message: `spec is invalid and the pool is not used: ${errors}`,
    };
  return {
    ready: computed?.ready ?? false,
    reason: 'Invalid',
    message: `spec is invalid (${errors}); still using the last valid version (addresses ${entry.config.addresses.join(', ')})`,
  };
}

/** The status subresource for a pool: counts per family and the Ready condition. */
export function desiredPoolStatus(opts: {
  entry: PoolEntry;
  stats: PoolStats | undefined;
  readiness: PoolReadiness | undefined;
  current: IPPoolStatus | undefined;
  now: Date;
}): IPPoolStatus {
  const status = buildPoolStatus({
    ipv4: opts.stats?.ipv4 ?? ZERO,
    ipv6: opts.stats?.ipv6 ?? ZERO,
    readiness: shownReadiness(opts.entry, opts.readiness),
  });
  const previous = opts.current?.conditions?.find((c) => c.type === 'Ready');
  status.conditions = (status.conditions ?? []).map((c): Condition => ({
    ...c,
    lastTransitionTime:
      previous?.status === c.status && previous.lastTransitionTime !== undefined
        ? previous.lastTransitionTime
        : opts.now.toISOString().replace(/\.\d+Z$/, 'Z'),
  }));
  return status;
}

/** Same counts and same condition (type, status, reason, message): no write needed. */
export function sameStatus(a: IPPoolStatus | undefined, b: IPPoolStatus): boolean {
  if (a === undefined) return false;
  const strip = (s: IPPoolStatus): string =>
    JSON.stringify([
      s.capacity,
      s.assigned,
      s.available,
      (s.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]),
    ]);
  return strip(a) === strip(b);
}

export async function writePoolStatus(
  deps: { custom: CustomObjectsApi; limiter: Limiter; signal: AbortSignal },
  target: { pool: PoolObject; status: IPPoolStatus },
): Promise<boolean> {
  return deps.limiter(async () => {
    if (deps.signal.aborted) return false;
    const r = await patchCustomStatus(deps.custom, {
      group: API_GROUP,
      version: API_VERSION,
      plural: IPPOOL_PLURAL,
      name: target.pool.metadata.name ?? '',
      status: target.status,
    });
    return r.ok;
  });
}

import {
  API_GROUP,
  API_VERSION,
  type Condition,
  IPPOOL_PLURAL,
  type IPPoolSpec,
  type IPPoolStatus,
  type PoolEntry,
  type PoolReadiness,
  buildPoolStatus,
  isObject,
  type Result,
} from '@ironlb/shared';
import {
  type CustomObjectsClient,
  type Limiter,
  type WriteFailure,
  patchCustomStatus,
} from '@ironlb/shared/kube';
import type { PoolStats } from '../allocation/index.js';
import type { PoolObject } from './informers.js';

const ZERO = { capacity: 0n, assigned: 0n, available: 0n };
const NOT_LEADING: WriteFailure = { kind: 'error', code: undefined, message: 'not leading any more' };

/** Readiness shown in status: the allocator's verdict, overridden when the current spec is invalid. */
function shownReadiness(entry: PoolEntry, computed: PoolReadiness | undefined): PoolReadiness {
  if (entry.errors.length === 0)
    return computed ?? { ready: false, reason: 'Invalid', message: 'pool is not in use' };
  const errors = entry.errors.join('; ');
  if (entry.inUse === undefined)
    return {
      ready: false,
      reason: 'Invalid',
      message: `spec is invalid and the pool is not used: ${errors}`,
    };
  const generation = entry.inUse.generation === undefined ? '' : `generation ${entry.inUse.generation}, `;
  return {
    ready: computed?.ready ?? false,
    reason: 'Invalid',
    message: `spec is invalid (${errors}); still using the last valid version (${generation}addresses ${entry.inUse.config.addresses.join(', ')}; kept in status.lastValidSpec)`,
  };
}

/**
 * The status subresource for a pool: counts per family, the Ready condition, and the spec in use
 * (`lastValidSpec`, `lastValidGeneration`) from which a restarted controller or speaker rebuilds the
 * pool while its current spec is invalid.
 */
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
  const inUse = opts.entry.inUse;
  if (inUse !== undefined && isObject(inUse.spec)) {
    status.lastValidSpec = inUse.spec as unknown as IPPoolSpec;
    if (inUse.generation !== undefined) status.lastValidGeneration = inUse.generation;
  } else if (opts.current?.lastValidSpec !== undefined) {
    // Nothing usable now (e.g. the persisted copy no longer parses): leave what is there.
    status.lastValidSpec = opts.current.lastValidSpec;
    if (opts.current.lastValidGeneration !== undefined)
      status.lastValidGeneration = opts.current.lastValidGeneration;
  }
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

/** Same counts, condition (type, status, reason, message) and spec in use: no write needed. */
export function sameStatus(a: IPPoolStatus | undefined, b: IPPoolStatus): boolean {
  if (a === undefined) return false;
  const strip = (s: IPPoolStatus): string =>
    canonicalJson([
      s.capacity,
      s.assigned,
      s.available,
      (s.conditions ?? []).map((c) => [c.type, c.status, c.reason, c.message]),
      s.lastValidSpec ?? null,
      s.lastValidGeneration ?? null,
    ]);
  return strip(a) === strip(b);
}

/** JSON with object keys sorted (the API server may return keys in another order than we sent). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  );
}

/**
 * The merge patch that makes `current` equal `desired`: a merge patch merges nested objects, so
 * every key of `current` missing from `desired` is set to null (e.g. a serviceAllocation that the
 * new lastValidSpec no longer has).
 */
export function replacingPatch(current: unknown, desired: unknown): unknown {
  if (!isObject(desired) || !isObject(current)) return desired;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(current)) if (!(key in desired)) out[key] = null;
  for (const [key, value] of Object.entries(desired)) out[key] = replacingPatch(current[key], value);
  return out;
}

/** PATCHes the pool's status subresource (only while leading); failures are the shared WriteFailure. */
export async function writePoolStatus(
  deps: {
    custom: Pick<CustomObjectsClient, 'patchClusterCustomObjectStatus' | 'patchNamespacedCustomObjectStatus'>;
    limiter: Limiter;
    signal: AbortSignal;
  },
  target: { pool: PoolObject; status: IPPoolStatus },
): Promise<Result<unknown, WriteFailure>> {
  const current = target.pool.status;
  const status = {
    ...target.status,
    ...(target.status.lastValidSpec === undefined
      ? {}
      : { lastValidSpec: replacingPatch(current?.lastValidSpec, target.status.lastValidSpec) }),
  };
  return deps.limiter(async () => {
    if (deps.signal.aborted) return { ok: false, error: NOT_LEADING };
    return patchCustomStatus(deps.custom, {
      group: API_GROUP,
      version: API_VERSION,
      plural: IPPOOL_PLURAL,
      name: target.pool.metadata.name ?? '',
      status,
    });
  });
}

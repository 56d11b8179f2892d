import { type IPPoolConfig, type PoolReadiness, matchesLabelSelector } from '@ironlb/shared';
import type { AllocationRequest } from './types.js';

/**
 * May this pool hold an address of this Service at all? Namespace scope is `namespaces` OR
 * `namespaceSelector` (no restriction when both are unset); `serviceSelector` must also match; an
 * explicit pool annotation restricts to that pool. Ignores autoAssign and readiness: an existing
 * assignment stays valid while this holds for some pool containing its IP.
 */
export function poolMayServe(pool: IPPoolConfig, request: AllocationRequest): boolean {
  if (request.pool !== undefined && request.pool !== pool.name) return false;
  const scoped = pool.namespaces.length > 0 || pool.namespaceSelector !== undefined;
  const nsOk =
    !scoped ||
    pool.namespaces.includes(request.namespace) ||
    (pool.namespaceSelector !== undefined &&
      matchesLabelSelector(pool.namespaceSelector, request.namespaceLabels));
  if (!nsOk) return false;
  return pool.serviceSelector === undefined || matchesLabelSelector(pool.serviceSelector, request.labels);
}

/** May this pool hand out a NEW address automatically? Also requires Ready and autoAssign (or explicit pool). */
export function poolAutoServes(
  pool: IPPoolConfig,
  opts: { readiness: PoolReadiness | undefined; request: AllocationRequest },
): boolean {
  if (opts.readiness?.ready === false) return false;
  if (!pool.autoAssign && opts.request.pool !== pool.name) return false;
  return poolMayServe(pool, opts.request);
}

/** Deterministic pool order: priority ascending (unset last), then name. */
export function comparePoolPriority(a: IPPoolConfig, b: IPPoolConfig): number {
  const pa = a.priority ?? Number.POSITIVE_INFINITY;
  const pb = b.priority ?? Number.POSITIVE_INFINITY;
  if (pa !== pb) return pa < pb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

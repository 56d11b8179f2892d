import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';

/** The part of a Lease that leader election reasons about (client-go's LeaderElectionRecord). */
export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  /** As stored: the client returns MicroTime fields as strings, but we may hold a V1MicroTime. */
  readonly acquireTime: string;
  readonly renewTime: string;
  readonly leaseTransitions: number;
}

function timeText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string' ? value : '';
}

export function recordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: timeText(spec.acquireTime),
    renewTime: timeText(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/** Whether two observations are the same record (any field change counts as a change). */
export function sameRecord(a: LeaseRecord | undefined, b: LeaseRecord): boolean {
  return (
    a !== undefined &&
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}

/** A MicroTime the API server accepts: V1MicroTime serialises with 6 fractional digits. */
export function microTime(from?: string | Date): V1MicroTime {
  return from === undefined ? new V1MicroTime() : new V1MicroTime(from);
}

/**
 * The lease spec for `identity` taking over or renewing `previous`.
 * Invariant (client-go): acquireTime and leaseTransitions are kept while the holder stays the same;
 * a change of holder sets acquireTime to now and counts one transition.
 */
export function nextSpec(
  previous: LeaseRecord | undefined,
  options: { identity: string; leaseDurationSeconds: number },
): NonNullable<V1Lease['spec']> {
  const now = microTime();
  const keep =
    previous !== undefined && previous.holderIdentity === options.identity && previous.acquireTime !== '';
  return {
    holderIdentity: options.identity,
    leaseDurationSeconds: options.leaseDurationSeconds,
    acquireTime: keep ? microTime(previous.acquireTime) : now,
    renewTime: now,
    leaseTransitions: keep ? previous.leaseTransitions : (previous?.leaseTransitions ?? -1) + 1,
  };
}

/** The spec written on graceful release: no holder, 1 s duration, so anyone may take over at once. */
export function releasedSpec(previous: LeaseRecord): NonNullable<V1Lease['spec']> {
  const now = microTime();
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: previous.leaseTransitions,
  };
}

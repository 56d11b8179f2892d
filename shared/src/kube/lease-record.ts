import { type Lease, type LeaseSpec, microTime } from './wire.js';

/** The part of a Lease that leader election reasons about (client-go's LeaderElectionRecord). */
export interface LeaseRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  /** MicroTime text exactly as read ('' when unset): compared as text, never re-formatted. */
  readonly acquireTime: string;
  readonly renewTime: string;
  readonly leaseTransitions: number;
}

export function recordOf(lease: Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: spec.acquireTime ?? '',
    renewTime: spec.renewTime ?? '',
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

/**
 * The lease spec for `identity` taking over or renewing `previous`.
 * Invariant (client-go): acquireTime and leaseTransitions are kept while the holder stays the same;
 * a change of holder sets acquireTime to now and counts one transition.
 */
export function nextSpec(
  previous: LeaseRecord | undefined,
  options: { identity: string; leaseDurationSeconds: number },
): LeaseSpec {
  const now = microTime();
  const keep =
    previous !== undefined && previous.holderIdentity === options.identity && previous.acquireTime !== '';
  return {
    holderIdentity: options.identity,
    leaseDurationSeconds: options.leaseDurationSeconds,
    acquireTime: keep ? previous.acquireTime : now,
    renewTime: now,
    leaseTransitions: keep ? previous.leaseTransitions : (previous?.leaseTransitions ?? -1) + 1,
  };
}

/** The spec written on graceful release: no holder, 1 s duration, so anyone may take over at once. */
export function releasedSpec(previous: LeaseRecord): LeaseSpec {
  const now = microTime();
  return {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: previous.leaseTransitions,
  };
}

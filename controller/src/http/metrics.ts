import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The controller's prom-client metrics (all `ironlb_*`), on their own registry. */
export interface ControllerMetrics {
  readonly registry: Registry;
  /** Usable addresses per pool and family. */
  readonly poolCapacity: Gauge<'pool' | 'family'>;
  /** Addresses held by Services per pool and family. */
  readonly poolAssigned: Gauge<'pool' | 'family'>;
  /** Successful (re)allocations written to a Service's status. */
  readonly allocations: Counter;
  /** Failed allocations by pending reason code (NoPoolServes, PoolsExhausted, ...). */
  readonly allocationFailures: Counter<'reason'>;
  /** Addresses taken away from a Service and replaced (IPReassigned events). */
  readonly reassignments: Counter;
  /** Time to reconcile one work-queue key. */
  readonly reconcileSeconds: Histogram<'kind'>;
  /** 1 while this replica leads (and may write), else 0. */
  readonly leader: Gauge;
  /** Failed writes (status, annotation, pool status) by kind. */
  readonly writeFailures: Counter<'kind'>;
}

export function createControllerMetrics(): ControllerMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    poolCapacity: new Gauge({
      name: 'ironlb_pool_capacity',
      help: 'Usable addresses of an IPPool per family',
      labelNames: ['pool', 'family'],
      registers,
    }),
    poolAssigned: new Gauge({
      name: 'ironlb_pool_assigned',
      help: 'Addresses of an IPPool held by Services per family',
      labelNames: ['pool', 'family'],
      registers,
    }),
    allocations: new Counter({
      name: 'ironlb_allocations_total',
      help: 'Addresses written to Service status (new or changed assignments)',
      registers,
    }),
    allocationFailures: new Counter({
      name: 'ironlb_allocation_failures_total',
      help: 'Allocations that failed, by pending reason',
      labelNames: ['reason'],
      registers,
    }),
    reassignments: new Counter({
      name: 'ironlb_ip_reassignments_total',
      help: 'Services whose address was replaced because it left every pool that may serve them',
      registers,
    }),
    reconcileSeconds: new Histogram({
      name: 'ironlb_reconcile_duration_seconds',
      help: 'Time to reconcile one work-queue key',
      labelNames: ['kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    leader: new Gauge({
      name: 'ironlb_leader',
      help: '1 while this controller replica is the leader',
      registers,
    }),
    writeFailures: new Counter({
      name: 'ironlb_write_failures_total',
      help: 'Failed API writes by kind',
      labelNames: ['kind'],
      registers,
    }),
  };
}

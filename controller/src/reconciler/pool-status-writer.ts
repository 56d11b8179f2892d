import type { IPPoolStatus, PoolEntry } from '@ironlb/shared';
import type { CustomObjectsClient, Limiter, ProcessOutcome, WriteFailure } from '@ironlb/shared/kube';
import type { Logger } from '@ironlb/shared/log';
import type { Allocator } from '../allocation/index.js';
import type { ControllerMetrics } from '../http/metrics.js';
import type { PoolObject } from '../k8s/informers.js';
import { desiredPoolStatus, sameStatus, writePoolStatus } from '../k8s/pool-status.js';

export interface PoolStatusWriterDeps {
  readonly custom: CustomObjectsClient;
  readonly limiter: Limiter;
  readonly signal: AbortSignal;
  readonly metrics: ControllerMetrics;
  readonly logger: Logger;
}

/**
 * Writes every IPPool's status (counts per family, Ready) and the per-pool gauges. Runs debounced
 * after usage or config changes. Remembers what it wrote per pool and resourceVersion so a lagging
 * cache does not cause the same write twice.
 */
export class PoolStatusWriter {
  readonly #d: PoolStatusWriterDeps;
  readonly #written = new Map<string, { rv: string; status: IPPoolStatus }>();

  constructor(deps: PoolStatusWriterDeps) {
    this.#d = deps;
  }

  async write(s: WriteInput): Promise<ProcessOutcome> {
    this.#d.metrics.poolCapacity.reset();
    this.#d.metrics.poolAssigned.reset();
    const byName = new Map(s.shared.entries.map((e) => [e.name, e]));
    const now = new Date();
    const writes = s.informers.pools.list().map((pool) => this.#one(s, { pool, byName, now }));
    const results = await Promise.all(writes);
    if (results.every(Boolean)) return 'done';
    this.#d.logger.warn({ failed: results.filter((r) => !r).length }, 'pool status write failed');
    return this.#d.signal.aborted ? 'done' : 'retry';
  }

  /** Gauges for one pool, and its status write when it differs; false when the write failed. */
  async #one(
    s: WriteInput,
    p: { pool: PoolObject; byName: Map<string, PoolEntry>; now: Date },
  ): Promise<boolean> {
    const { pool, now } = p;
    const { metrics } = this.#d;
    const name = pool.metadata.name ?? '';
    const entry: PoolEntry = p.byName.get(name) ?? {
      uid: pool.metadata.uid ?? name,
      name,
      inUse: undefined,
      config: undefined,
      errors: ['not parsed yet'],
      source: 'none',
    };
    const stats = s.allocator.poolStats(name);
    for (const family of ['ipv4', 'ipv6'] as const) {
      metrics.poolCapacity.set({ pool: name, family }, Number(stats?.[family].capacity ?? 0n));
      metrics.poolAssigned.set({ pool: name, family }, Number(stats?.[family].assigned ?? 0n));
    }
    const current = pool.status;
    const status = desiredPoolStatus({
      entry,
      stats,
      readiness: s.allocator.readinessOf(name),
      current,
      now,
    });
    const rv = pool.metadata.resourceVersion ?? '';
    const mine = this.#written.get(name);
    if (sameStatus(current, status) || (mine?.rv === rv && sameStatus(mine.status, status))) return true;
    const written = await writePoolStatus(this.#d, { pool, status });
    if (!written.ok) return this.#failed(name, written.error);
    this.#written.set(name, { rv, status });
    return true;
  }

  /** Counts and logs a failed write; true when there is nothing to retry (the pool is gone). */
  #failed(pool: string, f: WriteFailure): boolean {
    // 404: the pool was deleted meanwhile; its delete event schedules a fresh pass.
    if (f.kind === 'not-found') return true;
    this.#d.metrics.writeFailures.inc({
      kind: f.kind === 'conflict' ? 'pool-status-conflict' : 'pool-status',
    });
    // A conflict only means our cache was behind: the retry reads the newer version.
    if (f.kind === 'conflict')
      this.#d.logger.debug({ pool, code: f.code }, 'pool status write conflict; retrying');
    else this.#d.logger.warn({ pool, code: f.code, err: f.message }, 'pool status write failed');
    return false;
  }
}

interface WriteInput {
  readonly informers: { readonly pools: { list(): PoolObject[] } };
  readonly allocator: Allocator;
  readonly shared: { readonly entries: readonly PoolEntry[] };
}

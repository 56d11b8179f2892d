import type { V1Service } from '@kubernetes/client-node';
import { ALLOCATED_FROM_POOL_ANNOTATION } from '@ironlb/shared';
import type { ProcessOutcome, WriteFailure } from '@ironlb/shared/kube';
import { type ServiceWriterDeps, writeAnnotation, writeIngress } from '../k8s/service-writer.js';
import { sameList, statusIPs } from './service-view.js';

/** What a Service should carry: ingress IPs (canonical text, address order) and the pool annotation. */
export interface DesiredService {
  readonly ips: readonly string[];
  readonly pools: string | null;
}

interface Written extends DesiredService {
  /** resourceVersions older than our last write: a cache still at one of them is stale for this key. */
  readonly staleRVs: ReadonlySet<string>;
  readonly latestRV: string;
}

export type SyncResult =
  | { readonly kind: 'synced' }
  | {
      readonly kind: 'failed';
      readonly outcome: ProcessOutcome;
      readonly what: string;
      readonly message: string;
      /** 409: our cache was behind; not worth a warning. */
      readonly conflict: boolean;
    };

/**
 * Writes status and annotation when they differ from what the Service carries. The informer cache
 * lags our own writes, so what we wrote is remembered per key together with the resourceVersions it
 * supersedes; until the cache moves past them our record is the truth. Status writes carry the
 * resourceVersion as a precondition (409 = someone changed the Service: retry from a fresh cache).
 * Invariant (memory): a record is kept only while the cache lags it; the first look at a cached version it
 * does not supersede drops it (the cache only moves forward, so it would never be read again).
 */
export class ServiceSync {
  readonly #writer: ServiceWriterDeps;
  readonly #written = new Map<string, Written>();

  constructor(writer: ServiceWriterDeps) {
    this.#writer = writer;
  }

  /** What the Service carries now, as far as we know (cache, or our newer write). */
  current(svc: V1Service, key: string): DesiredService {
    const known = this.#lagging(key, svc.metadata?.resourceVersion ?? '');
    if (known !== undefined) return known;
    return {
      ips: statusIPs(svc),
      pools: svc.metadata?.annotations?.[ALLOCATED_FROM_POOL_ANNOTATION] ?? null,
    };
  }

  forget(key: string): void {
    this.#written.delete(key);
  }

  /** Services whose cache still lags our writes to them (records held). */
  get lagging(): number {
    return this.#written.size;
  }

  /** Our record for `key` while the cache (at `cacheRV`) lags it; a record the cache has passed is dropped. */
  #lagging(key: string, cacheRV: string): Written | undefined {
    const known = this.#written.get(key);
    if (known === undefined) return undefined;
    if (known.staleRVs.has(cacheRV)) return known;
    this.#written.delete(key);
    return undefined;
  }

  async sync(svc: V1Service, opts: { key: string; desired: DesiredService }): Promise<SyncResult> {
    const { key, desired } = opts;
    const base = this.#base(svc, key);
    const { current, staleRVs } = base;
    let rv = base.rv;
    const target = { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '' };
    if (!sameList(current.ips, desired.ips)) {
      const w = await writeIngress(this.#writer, { ...target, resourceVersion: rv, ips: desired.ips });
      if (!w.ok) return failed('status', w.error);
      staleRVs.add(rv);
      rv = w.value.metadata?.resourceVersion ?? rv;
      this.#remember(key, { ips: desired.ips, pools: current.pools, staleRVs, latestRV: rv });
    }
    if (current.pools !== desired.pools) {
      const w = await writeAnnotation(this.#writer, {
        ...target,
        resourceVersion: undefined,
        annotation: ALLOCATED_FROM_POOL_ANNOTATION,
        value: desired.pools,
      });
      if (!w.ok) return failed('annotation', w.error);
      staleRVs.add(rv);
      rv = w.value ?? rv;
    }
    if (rv !== base.cacheRV || base.stale) this.#remember(key, { ...desired, staleRVs, latestRV: rv });
    return { kind: 'synced' };
  }

  /** Where writes start from: the cache, or (while it lags) our last write and its version. */
  #base(
    svc: V1Service,
    key: string,
  ): { current: DesiredService; staleRVs: Set<string>; rv: string; cacheRV: string; stale: boolean } {
    const cacheRV = svc.metadata?.resourceVersion ?? '';
    const known = this.#lagging(key, cacheRV);
    if (known !== undefined) {
      return { current: known, staleRVs: new Set(known.staleRVs), rv: known.latestRV, cacheRV, stale: true };
    }
    return {
      current: this.current(svc, key),
      staleRVs: new Set([cacheRV]),
      rv: cacheRV,
      cacheRV,
      stale: false,
    };
  }

  #remember(key: string, w: Written): void {
    const staleRVs = new Set(w.staleRVs);
    staleRVs.delete(w.latestRV);
    this.#written.set(key, { ips: w.ips, pools: w.pools, staleRVs, latestRV: w.latestRV });
  }
}

function failed(what: string, f: WriteFailure): SyncResult {
  // not-found: the Service is gone; its delete event will forget it.
  const outcome: ProcessOutcome = f.kind === 'not-found' ? 'done' : 'retry';
  return { kind: 'failed', outcome, what, message: f.message, conflict: f.kind === 'conflict' };
}

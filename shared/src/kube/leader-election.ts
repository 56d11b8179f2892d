import type { Logger } from 'pino';
import { apiStatusCode, describeApiError } from './api-error.js';
import { type LeaseRecord, nextSpec, recordOf, releasedSpec, sameRecord } from './lease-record.js';
import { sleep, withDeadline } from './sleep.js';
import type { Lease } from './wire.js';

/** The Lease calls leader election makes (CoordinationV1Client satisfies it). */
export interface LeaseApi {
  readNamespacedLease(p: { name: string; namespace: string }): Promise<Lease>;
  createNamespacedLease(p: { namespace: string; body: Lease }): Promise<Lease>;
  replaceNamespacedLease(p: { name: string; namespace: string; body: Lease }): Promise<Lease>;
}

export interface LeaderElectionOptions {
  readonly leases: LeaseApi;
  readonly namespace: string;
  readonly name: string;
  /** Unique per candidate (pod name). */
  readonly identity: string;
  /** Written to the Lease: how long others wait after the record last changed (default 15). */
  readonly leaseDurationSeconds?: number;
  /** A leader that has not renewed for this long steps down (default 10 s; < lease duration). */
  readonly renewDeadlineMs?: number;
  /** Pause between acquire/renew attempts (default 2 s; acquire adds up to 1.2× jitter). */
  readonly retryPeriodMs?: number;
  /** Leading starts; `signal` aborts when it ends. A returned promise is awaited before release. */
  readonly onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  readonly onStoppedLeading: () => void;
  /** Called whenever the observed holder changes to a non-empty identity (ours included). */
  readonly onNewLeader?: (identity: string) => void;
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Monotonic clock in ms (default performance.now) and jitter source, for tests. */
  readonly now?: () => number;
  readonly random?: () => number;
}

/**
 * Lease-based leader election after client-go.
 * Invariants:
 *  - expiry of someone else's lease is judged only by OUR clock: the record must stay unchanged
 *    for leaseDurationSeconds since we observed it change (no comparison of wall clocks);
 *  - writes are PUTs carrying the observed resourceVersion, so a 409 means we lost a race;
 *  - `isLeader()` is false from the moment renewDeadline has passed since the last successful
 *    renewal, even before the loop notices; the leading signal is aborted then;
 *  - on `stop()` a leader first aborts its work, then clears the holder so others take over at once.
 */
export class LeaderElector {
  readonly #o: LeaderElectionOptions;
  readonly #now: () => number;
  #observed: LeaseRecord | undefined;
  #observedAt = 0;
  #lease: Lease | undefined;
  #reportedLeader = '';
  #leadingSince: number | undefined;
  #lastRenew = 0;
  #stop = new AbortController();
  #running: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Begin campaigning in the background; aborting `signal` is `stop()`. */
  start(signal?: AbortSignal): void {
    if (this.#running !== undefined) return;
    this.#stop = new AbortController();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.#running = this.#run();
  }

  /** Stop campaigning; a leader aborts its work, releases the Lease, then onStoppedLeading runs. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    this.#running = undefined;
  }

  isLeader(): boolean {
    return this.#leadingSince !== undefined && this.#now() - this.#lastRenew < this.#renewDeadline();
  }

  /** The holder we last observed ('' when none). */
  leader(): string {
    return this.#observed?.holderIdentity ?? '';
  }

  #renewDeadline(): number {
    return this.#o.renewDeadlineMs ?? 10_000;
  }

  #retry(): number {
    return this.#o.retryPeriodMs ?? 2_000;
  }

  async #run(): Promise<void> {
    const stopped = this.#stop.signal;
    while (!stopped.aborted) {
      if (!(await this.#tryAcquireOrRenew())) {
        const jitter = 1.2 * (this.#o.random ?? Math.random)();
        await sleep(this.#retry() * (1 + jitter), stopped);
        continue;
      }
      await this.#lead();
    }
  }

  async #lead(): Promise<void> {
    this.#leadingSince = this.#now();
    this.#lastRenew = this.#now();
    const leading = new AbortController();
    this.#o.logger?.info({ lease: this.#o.name, identity: this.#o.identity }, 'started leading');
    const work = Promise.resolve()
      .then(() => this.#o.onStartedLeading(leading.signal))
      .catch((error: unknown) => this.#o.logger?.warn({ err: error }, 'onStartedLeading failed'));
    await this.#renewUntilLostOrStopped();
    leading.abort();
    this.#leadingSince = undefined;
    await work;
    if (this.#stop.signal.aborted) await this.#release();
    this.#o.logger?.info({ lease: this.#o.name, identity: this.#o.identity }, 'stopped leading');
    this.#o.onStoppedLeading();
  }

  async #renewUntilLostOrStopped(): Promise<void> {
    const stopped = this.#stop.signal;
    for (;;) {
      const left = this.#renewDeadline() - (this.#now() - this.#lastRenew);
      await sleep(Math.min(this.#retry(), left), stopped);
      if (stopped.aborted) return;
      const remaining = this.#renewDeadline() - (this.#now() - this.#lastRenew);
      if (remaining <= 0) break;
      const renewed = await withDeadline(this.#tryAcquireOrRenew(), { ms: remaining, fallback: false });
      if (renewed) this.#lastRenew = this.#now();
      else if (this.#now() - this.#lastRenew >= this.#renewDeadline()) break;
    }
    this.#o.logger?.warn({ lease: this.#o.name }, 'failed to renew lease within the renew deadline');
  }

  #observe(lease: Lease): LeaseRecord {
    const record = recordOf(lease);
    this.#lease = lease;
    if (!sameRecord(this.#observed, record)) {
      this.#observed = record;
      this.#observedAt = this.#now();
    }
    if (record.holderIdentity !== this.#reportedLeader) {
      this.#reportedLeader = record.holderIdentity;
      if (record.holderIdentity !== '') this.#o.onNewLeader?.(record.holderIdentity);
    }
    return record;
  }

  #heldByOther(record: LeaseRecord): boolean {
    if (record.holderIdentity === '' || record.holderIdentity === this.#o.identity) return false;
    return this.#observedAt + record.leaseDurationSeconds * 1000 > this.#now();
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { leases, name, namespace } = this.#o;
    let current: Lease;
    try {
      current = await leases.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (apiStatusCode(error) === 404) return this.#create();
      this.#o.logger?.warn({ lease: name, err: describeApiError(error) }, 'cannot read lease');
      return false;
    }
    const record = this.#observe(current);
    if (this.#heldByOther(record)) return false;
    return this.#replace(this.#leaseWith(current, nextSpec(record, this.#specOptions())));
  }

  /** The Lease to PUT: same identity and resourceVersion as `current`, new spec. */
  #leaseWith(current: Lease, spec: Lease['spec']): Lease {
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: current.metadata, spec };
  }

  #specOptions(): { identity: string; leaseDurationSeconds: number } {
    return { identity: this.#o.identity, leaseDurationSeconds: this.#o.leaseDurationSeconds ?? 15 };
  }

  async #create(): Promise<boolean> {
    const { leases, name, namespace } = this.#o;
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace },
      spec: nextSpec(undefined, this.#specOptions()),
    };
    try {
      this.#observe(await leases.createNamespacedLease({ namespace, body }));
      return true;
    } catch (error) {
      const code = apiStatusCode(error);
      if (code !== 409)
        this.#o.logger?.warn({ lease: name, err: describeApiError(error) }, 'cannot create lease');
      return false;
    }
  }

  /** PUT with the observed resourceVersion; 409 = someone else wrote first (not leader). */
  async #replace(body: Lease): Promise<boolean> {
    const { leases, name, namespace } = this.#o;
    try {
      this.#observe(await leases.replaceNamespacedLease({ name, namespace, body }));
      return true;
    } catch (error) {
      const code = apiStatusCode(error);
      if (code !== 409)
        this.#o.logger?.warn({ lease: name, err: describeApiError(error) }, 'cannot update lease');
      return false;
    }
  }

  /** Clear the holder if the Lease (as last written by us) is still ours. */
  async #release(): Promise<void> {
    const lease = this.#lease;
    if (lease === undefined || this.#observed?.holderIdentity !== this.#o.identity) return;
    const released = await this.#replace(this.#leaseWith(lease, releasedSpec(this.#observed)));
    this.#o.logger?.info({ lease: this.#o.name, released }, 'released lease');
  }
}

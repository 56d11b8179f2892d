import type { IPPoolConfig, L2AnnouncementConfig } from '@ironlb/shared';
import { EventRecorder, type KubeClients, type ProcessOutcome, WorkQueue, limit } from '@ironlb/shared/kube';
import type { Logger } from '@ironlb/shared/log';
import { Allocator } from '../allocation/index.js';
import type { ControllerMetrics } from '../http/metrics.js';
import {
  type ControllerInformers,
  type WatchedKind,
  createInformers,
  startAndSync,
  stopInformers,
} from '../k8s/informers.js';
import { PoolStatusWriter } from './pool-status-writer.js';
import { PoolConfigs, type PoolEntry } from './pool-configs.js';
import { reclaim } from './reclaim.js';
import { ServiceReconciler } from './service-reconciler.js';
import { ServiceSync } from './service-sync.js';
import { holdRequest, requestOf } from './service-view.js';

export interface SessionOptions {
  readonly clients: KubeClients;
  readonly logger: Logger;
  readonly metrics: ControllerMetrics;
  readonly loadBalancerClass: string | undefined;
  readonly identity: string;
  readonly workers: number;
  readonly serviceLabelSelector: string | undefined;
}

/** Work-queue keys: one per Service, plus the config, per-namespace and pool-status passes. */
const CONFIG = 'config';
const POOL_STATUS = 'pool-status';
const SVC = 's:';
const NS = 'ns:';

/**
 * One term of leadership. Everything here is built fresh in `run` and dropped when it returns:
 * fresh informers (a quorum LIST, so every write of a previous leader is seen), a fresh allocator
 * rebuilt from Service status BEFORE any key is processed, a fresh event recorder.
 * Invariant: after `signal` aborts no write starts (every writer checks the signal first).
 */
export class Session {
  readonly #o: SessionOptions;
  #synced = false;

  constructor(options: SessionOptions) {
    this.#o = options;
  }

  /** True once the allocator has been rebuilt and the queue runs. */
  synced(): boolean {
    return this.#synced;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { clients, logger } = this.#o;
    const queue = new WorkQueue({
      process: (key) => this.#process({ key, signal, state }),
      concurrency: this.#o.workers,
      onError: (key, error) => {
        logger.error({ key, err: error }, 'reconcile threw (bug)');
      },
    });
    const informers = createInformers({
      clients,
      logger,
      serviceLabelSelector: this.#o.serviceLabelSelector,
      sink: (kind, key) => {
        queue.add(queueKey(kind, key));
      },
    });
    const events = new EventRecorder({
      events: clients.events,
      reportingController: 'ironlb.io/controller',
      reportingInstance: this.#o.identity,
      logger,
    });
    const state = this.#state({ informers, events, signal, queue });
    const started = performance.now();
    if (!(await startAndSync(informers, signal))) {
      await stopInformers(informers);
      return;
    }
    this.#rebuild(state);
    events.start();
    queue.start();
    this.#synced = true;
    logger.info({ ms: Math.round(performance.now() - started) }, 'synced and reclaimed; processing');
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else
        signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
    });
    this.#synced = false;
    await queue.stop();
    await stopInformers(informers);
    await events.stop();
  }

  #state(o: {
    informers: ControllerInformers;
    events: EventRecorder;
    signal: AbortSignal;
    queue: WorkQueue;
  }): SessionState {
    const allocator = new Allocator();
    const limiter = limit(this.#o.workers);
    const reassignWhy = new Map<string, string>();
    const shared = {
      l2: [] as L2AnnouncementConfig[],
      entries: [] as PoolEntry[],
      configs: new Map<string, IPPoolConfig>(),
    };
    const services = new ServiceReconciler({
      allocator,
      services: o.informers.services,
      namespaces: o.informers.namespaces,
      sync: new ServiceSync({ core: this.#o.clients.core, limiter, signal: o.signal }),
      events: o.events,
      metrics: this.#o.metrics,
      logger: this.#o.logger,
      loadBalancerClass: this.#o.loadBalancerClass,
      announcements: () => shared.l2,
      poolConfig: (name) => shared.configs.get(name),
      reassignWhy,
      onUsageChanged: () => {
        o.queue.addAfter(POOL_STATUS, 250);
      },
      requeue: (keys) => {
        for (const k of keys) o.queue.add(SVC + k);
      },
    });
    const poolStatus = new PoolStatusWriter({
      custom: this.#o.clients.custom,
      limiter,
      signal: o.signal,
      metrics: this.#o.metrics,
      logger: this.#o.logger,
    });
    return { ...o, allocator, reassignWhy, shared, services, poolStatus, poolConfigs: new PoolConfigs() };
  }

  /** Pools first, then every existing assignment (oldest first), then all keys are queued. */
  #rebuild(state: SessionState): void {
    this.#refreshConfig(state);
    const namespaceLabels = (ns: string): Record<string, string> =>
      state.informers.namespaces.get(ns)?.metadata?.labels ?? {};
    const cls = this.#o.loadBalancerClass;
    const result = reclaim({
      allocator: state.allocator,
      services: state.informers.services.list(),
      requestFor: (svc) => {
        const opts = {
          loadBalancerClass: cls,
          namespaceLabels: namespaceLabels(svc.metadata?.namespace ?? ''),
        };
        const r = requestOf(svc, opts);
        if (r.kind === 'request') return r.request;
        return r.kind === 'invalid' ? holdRequest(svc, opts) : undefined;
      },
    });
    for (const [key, why] of result.lost) state.reassignWhy.set(key, why);
    this.#o.logger.info({ kept: result.kept, lost: result.lost.size }, 'reclaimed assignments from status');
    for (const key of state.informers.services.keys()) state.queue.add(SVC + key);
    state.queue.add(POOL_STATUS);
  }

  /**
   * Re-reads pools and announcements; pool edits may take addresses away (reported later). Returns whether
   * the pool configs in use or the announcements changed: all a Service's reconcile reads of them.
   */
  #refreshConfig(state: SessionState): boolean {
    const { entries, configs, changed } = state.poolConfigs.update(state.informers.pools.list());
    state.shared.entries = entries;
    state.shared.configs = new Map(configs.map((c) => [c.name, c]));
    const l2 = state.poolConfigs.announcements(state.informers.l2.list());
    state.shared.l2 = l2.announcements;
    if (!changed) return l2.changed;
    const { invalidated } = state.allocator.setPools(configs);
    for (const inv of invalidated) state.reassignWhy.set(inv.serviceKey, inv.why);
    return true;
  }

  async #process(p: { key: string; signal: AbortSignal; state: SessionState }): Promise<ProcessOutcome> {
    if (p.signal.aborted) return 'done';
    const { state, key } = p;
    const kind = key.startsWith(SVC) ? 'service' : key.startsWith(NS) ? 'namespace' : key;
    const end = this.#o.metrics.reconcileSeconds.startTimer({ kind });
    try {
      if (key.startsWith(SVC)) return await state.services.reconcile(key.slice(SVC.length));
      if (key === POOL_STATUS) return await state.poolStatus.write(state);
      if (key.startsWith(NS)) {
        const prefix = `${key.slice(NS.length)}/`;
        for (const k of state.informers.services.keys()) if (k.startsWith(prefix)) state.queue.add(SVC + k);
        return 'done';
      }
      // Most pool events are the status this controller writes after allocations (at most every 250 ms in a
      // burst): only a change of what Services are reconciled against re-queues them all. Requeueing on every
      // event made a burst of N Services cost O(N^2) reconciles (403 s of CPU for 10,000 on the lab).
      if (this.#refreshConfig(state))
        for (const k of state.informers.services.keys()) state.queue.add(SVC + k);
      state.queue.add(POOL_STATUS);
      return 'done';
    } finally {
      end();
    }
  }
}

export interface SessionState {
  readonly informers: ControllerInformers;
  readonly events: EventRecorder;
  readonly signal: AbortSignal;
  readonly queue: WorkQueue;
  readonly allocator: Allocator;
  readonly reassignWhy: Map<string, string>;
  readonly shared: { l2: L2AnnouncementConfig[]; entries: PoolEntry[]; configs: Map<string, IPPoolConfig> };
  readonly services: ServiceReconciler;
  readonly poolStatus: PoolStatusWriter;
  readonly poolConfigs: PoolConfigs;
}

function queueKey(kind: WatchedKind, key: string): string {
  if (kind === 'service') return SVC + key;
  if (kind === 'namespace') return NS + key;
  return CONFIG;
}

import type { V1Namespace, V1Service } from '@kubernetes/client-node';
import {
  ALLOCATED_FROM_POOL_ANNOTATION,
  EVENT_REASONS,
  type IPAddress,
  type IPPoolConfig,
  type L2AnnouncementConfig,
  announcementCoversPool,
  formatIP,
} from '@ironlb/shared';
import type { EventRecorder, Informer, ProcessOutcome } from '@ironlb/shared/kube';
import type { Logger } from '@ironlb/shared/log';
import type { AllocationRequest, Allocator, PendingReason } from '../allocation/index.js';
import type { ControllerMetrics } from '../http/metrics.js';
import { EventNotes } from './event-notes.js';
import { type DesiredService, ServiceSync } from './service-sync.js';
import { regardingOf, requestOf } from './service-view.js';

export interface ServiceReconcilerDeps {
  readonly allocator: Allocator;
  readonly services: Informer<V1Service>;
  readonly namespaces: Informer<V1Namespace>;
  readonly sync: ServiceSync;
  readonly events: EventRecorder;
  readonly metrics: ControllerMetrics;
  readonly logger: Logger;
  readonly loadBalancerClass: string | undefined;
  readonly announcements: () => readonly L2AnnouncementConfig[];
  readonly poolConfig: (name: string) => IPPoolConfig | undefined;
  /** serviceKey → why its old address had to go (pool edits, reclaim conflicts); consumed here. */
  readonly reassignWhy: Map<string, string>;
  /** Pool usage changed (schedules a pool status write). */
  readonly onUsageChanged: () => void;
  /** Reconcile these Services again (pending ones, after an address was freed). */
  readonly requeue: (keys: readonly string[]) => void;
}

const DEFAULT_WHY = 'the old address is no longer in any IPPool that may serve this Service';

/**
 * Reconciles one Service key against the allocator. Invariants: an address changes only through
 * `allocate`, which keeps every held address that still fits; a failed allocation changes nothing
 * (a Service keeps what it holds); invalid annotations never release or renumber; Services that are
 * not ours are only touched when we served them before (type/class change → release).
 */
export class ServiceReconciler {
  readonly #d: ServiceReconcilerDeps;
  readonly #notes = new EventNotes();
  /** Services whose last allocation failed: retried whenever an address is freed. */
  readonly #pending = new Set<string>();

  constructor(deps: ServiceReconcilerDeps) {
    this.#d = deps;
  }

  async reconcile(key: string): Promise<ProcessOutcome> {
    const svc = this.#d.services.get(key);
    if (svc === undefined) return this.#forget(key);
    const namespaceLabels = this.#d.namespaces.get(svc.metadata?.namespace ?? '')?.metadata?.labels ?? {};
    const result = requestOf(svc, { loadBalancerClass: this.#d.loadBalancerClass, namespaceLabels });
    if (result.kind === 'ignored') return this.#release(svc, { key, ...result });
    if (result.kind === 'invalid') {
      this.#d.metrics.allocationFailures.inc({ reason: 'InvalidAnnotation' });
      this.#warn(svc, { key, reason: EVENT_REASONS.invalidAnnotation, message: result.problems.join('; ') });
      return 'done';
    }
    this.#notes.resolve(key, EVENT_REASONS.invalidAnnotation);
    if (result.warnings.length > 0)
      this.#warn(svc, { key, reason: EVENT_REASONS.invalidAnnotation, message: result.warnings.join('; ') });
    return this.#allocate(svc, { key, request: result.request });
  }

  #forget(key: string): ProcessOutcome {
    this.#pending.delete(key);
    if (this.#d.allocator.assignmentOf(key) !== undefined) {
      this.#d.allocator.unassign(key);
      this.#freed();
    }
    this.#d.sync.forget(key);
    this.#notes.clear(key);
    this.#d.reassignWhy.delete(key);
    return 'done';
  }

  /**
   * Not (or no longer) ours: release what we hold and clear what we wrote. A Service of another
   * class is never written unless this session holds an address for it: another controller (of that
   * class) owns its status, and the pool annotation may be that controller's.
   */
  async #release(
    svc: V1Service,
    opts: { key: string; reason: 'NotLoadBalancer' | 'ClassNotOurs'; message: string },
  ): Promise<ProcessOutcome> {
    const held = this.#d.allocator.assignmentOf(opts.key) !== undefined;
    const wrote =
      opts.reason === 'NotLoadBalancer' &&
      svc.metadata?.annotations?.[ALLOCATED_FROM_POOL_ANNOTATION] !== undefined;
    this.#d.logger.debug({ service: opts.key, why: opts.message, held }, 'service not handled');
    if (!held && !wrote) return 'done';
    this.#forget(opts.key);
    const r = await this.#d.sync.sync(svc, { key: opts.key, desired: { ips: [], pools: null } });
    if (r.kind === 'failed') return this.#writeFailed(opts.key, r);
    this.#d.logger.info({ service: opts.key, why: opts.message }, 'released addresses');
    return 'done';
  }

  async #allocate(
    svc: V1Service,
    opts: { key: string; request: AllocationRequest },
  ): Promise<ProcessOutcome> {
    const { key, request } = opts;
    const { allocator } = this.#d;
    const before = this.#d.sync.current(svc, key).ips;
    const r = allocator.allocate(key, request);
    const ips = r.ok ? r.value.ips : (allocator.assignmentOf(key)?.ips ?? []);
    if (r.ok) {
      this.#pending.delete(key);
      this.#notes.resolve(key, EVENT_REASONS.allocationFailed);
    } else {
      this.#pending.add(key);
      this.#failed(svc, { key, reason: r.error });
    }
    const pools = [...new Set(ips.flatMap((ip) => allocator.poolsOf(ip, request).slice(0, 1)))];
    const desired: DesiredService = {
      ips: ips.map(formatIP),
      pools: pools.length === 0 ? null : pools.join(','),
    };
    const written = await this.#d.sync.sync(svc, { key, desired });
    if (written.kind === 'failed') return this.#writeFailed(key, written);
    this.#d.onUsageChanged();
    this.#reportChange(svc, { key, before, after: desired.ips, request, pools: desired.pools ?? '' });
    this.#checkAnnounced(svc, { key, ips, pools: ips.map((ip) => allocator.poolsOf(ip, request)[0] ?? '') });
    return 'done';
  }

  /** An address may have become free: usage changed, and pending Services get another chance. */
  #freed(): void {
    this.#d.onUsageChanged();
    if (this.#pending.size > 0) this.#d.requeue([...this.#pending]);
  }

  #failed(svc: V1Service, opts: { key: string; reason: PendingReason }): void {
    const { reason } = opts;
    this.#d.metrics.allocationFailures.inc({ reason: reason.reason });
    if (reason.kind === 'ignore') {
      this.#d.logger.debug({ service: opts.key, reason: reason.reason }, reason.message);
      return;
    }
    const eventReason =
      reason.reason === 'InvalidAnnotation'
        ? EVENT_REASONS.invalidAnnotation
        : EVENT_REASONS.allocationFailed;
    this.#warn(svc, { key: opts.key, reason: eventReason, message: reason.message });
  }

  #reportChange(
    svc: V1Service,
    c: {
      key: string;
      before: readonly string[];
      after: readonly string[];
      request: AllocationRequest;
      pools: string;
    },
  ): void {
    const added = c.after.filter((ip) => !c.before.includes(ip));
    const lost = c.before.filter((ip) => !c.after.includes(ip));
    if (added.length === 0 && lost.length === 0) return;
    if (lost.length > 0) this.#freed();
    const why = this.#d.reassignWhy.get(c.key);
    this.#d.reassignWhy.delete(c.key);
    const requested = new Set(c.request.requestedIPs.map(formatIP));
    if (lost.length === 0 || (added.length > 0 && added.every((ip) => requested.has(ip)))) {
      this.#d.metrics.allocations.inc();
      const note = `Assigned IP ${added.join(', ')} from IPPool ${c.pools}${lost.length > 0 ? ` (was ${lost.join(', ')})` : ''}`;
      this.#d.logger.info({ service: c.key, ips: c.after }, 'allocated');
      this.#emit(svc, { type: 'Normal', reason: EVENT_REASONS.ipAllocated, note });
      return;
    }
    this.#d.metrics.reassignments.inc();
    const note = `IP changed from ${lost.join(', ')} to ${added.length > 0 ? added.join(', ') : 'none (pending)'}: ${why ?? DEFAULT_WHY}`;
    this.#d.logger.warn({ service: c.key, from: lost, to: added, why }, 'address reassigned');
    this.#emit(svc, { type: 'Warning', reason: EVENT_REASONS.ipReassigned, note });
  }

  #checkAnnounced(
    svc: V1Service,
    c: { key: string; ips: readonly IPAddress[]; pools: readonly string[] },
  ): void {
    const l2 = this.#d.announcements();
    const silent: string[] = [];
    c.ips.forEach((ip, i) => {
      const name = c.pools[i] ?? '';
      const labels = this.#d.poolConfig(name)?.labels ?? {};
      if (!l2.some((a) => announcementCoversPool(a, { name, labels })))
        silent.push(
          `${formatIP(ip)} from pool ${name} is not announced: no L2Announcement selects pool ${name}`,
        );
    });
    if (silent.length === 0) {
      this.#notes.resolve(c.key, EVENT_REASONS.notAnnounced);
      return;
    }
    this.#warn(svc, { key: c.key, reason: EVENT_REASONS.notAnnounced, message: silent.join('; ') });
  }

  #warn(svc: V1Service, w: { key: string; reason: string; message: string }): void {
    if (!this.#notes.changed(w.key, w)) return;
    this.#d.logger.info({ service: w.key, reason: w.reason }, w.message);
    this.#emit(svc, { type: 'Warning', reason: w.reason, note: w.message });
  }

  #emit(svc: V1Service, e: { type: 'Normal' | 'Warning'; reason: string; note: string }): void {
    this.#d.events.emit({ regarding: regardingOf(svc), type: e.type, reason: e.reason, note: e.note });
  }

  #writeFailed(
    key: string,
    r: { outcome: ProcessOutcome; what: string; message: string; conflict: boolean },
  ): ProcessOutcome {
    this.#d.metrics.writeFailures.inc({ kind: r.conflict ? `${r.what}-conflict` : r.what });
    // A conflict only means our cache was behind: the retry reads the newer version.
    if (r.conflict) this.#d.logger.debug({ service: key, what: r.what }, 'write conflict; retrying');
    else this.#d.logger.warn({ service: key, what: r.what, err: r.message }, 'write failed');
    return r.outcome;
  }
}

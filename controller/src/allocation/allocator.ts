import {
  type IPAddress,
  type IPFamily,
  type IPPoolConfig,
  type PoolReadiness,
  type Result,
  compareIP,
  computePoolReadiness,
  err,
  formatIP,
  ok,
  sameIP,
} from '@ironlb/shared';
import { explainPending } from './explain-pending.js';
import { type PendingReason, eventReason } from './pending-reason.js';
import { comparePoolPriority, poolAutoServes, poolMayServe } from './eligibility.js';
import { familyPlan } from './family-plan.js';
import { PoolState } from './pool-state.js';
import { sharingConflict } from './sharing.js';
import type { AllocationRequest, Assignment, InvalidatedAssignment, PoolStats } from './types.js';
import type { AllocatorView, HolderView } from './view.js';

interface Holder {
  readonly ip: IPAddress;
  /** Services on this IP; pairwise sharing-compatible (checked before every insert). */
  readonly services: Map<string, AllocationRequest>;
}

interface Entry {
  readonly request: AllocationRequest;
  readonly ips: readonly IPAddress[];
}

const ipKey = (ip: IPAddress): string => `${ip.family}:${ip.value.toString()}`;

/**
 * MetalLB-style allocator: plain maps, no I/O, deterministic.
 *
 * Invariants:
 * - every IP held by several Services is held only by pairwise sharing-compatible Services;
 * - each Service holds at most one IP per family, and each held IP lies in a pool that may serve it;
 * - pool free trees exclude exactly the held addresses (see PoolState).
 *
 * Choice: pools by priority ascending (unset last), then name; inside a pool the lowest free address
 * in address order, skipping IPv4 .0/.255 when avoidBuggyIPs is set. A Service with a sharing key
 * first joins the lowest compatible IP already used under that key. Costs: O(P log n) per operation
 * for P pools and n free fragments; never proportional to pool size.
 */
export class Allocator implements AllocatorView {
  private ordered: PoolState[] = [];
  private readiness = new Map<string, PoolReadiness>();
  private readonly holders = new Map<string, Holder>();
  private readonly entries = new Map<string, Entry>();
  /** sharing key -> ipKeys held under it */
  private readonly byKey = new Map<string, Set<string>>();

  get poolsInOrder(): readonly PoolState[] {
    return this.ordered;
  }

  readinessOf(pool: string): PoolReadiness | undefined {
    return this.readiness.get(pool);
  }

  holdersOf(ip: IPAddress): readonly HolderView[] {
    const h = this.holders.get(ipKey(ip));
    return h === undefined ? [] : [...h.services].map(([serviceKey, request]) => ({ serviceKey, request }));
  }

  assignmentOf(serviceKey: string): Assignment | undefined {
    const e = this.entries.get(serviceKey);
    return e === undefined ? undefined : { ips: e.ips };
  }

  assignments(): Map<string, Assignment> {
    return new Map([...this.entries].map(([k, e]) => [k, { ips: e.ips }]));
  }

  poolStats(pool: string): PoolStats | undefined {
    const p = this.ordered.find((s) => s.config.name === pool);
    return p === undefined ? undefined : { ipv4: p.stats('IPv4'), ipv6: p.stats('IPv6') };
  }

  /** Names of the pools containing ip that may serve the request (for status and events). */
  poolsOf(ip: IPAddress, request: AllocationRequest): string[] {
    return this.ordered
      .filter((p) => p.contains(ip) && poolMayServe(p.config, request))
      .map((p) => p.config.name);
  }

  /**
   * Replaces the pool set. An assignment stays while its IP is in some pool that may serve the
   * Service (readiness and autoAssign do not matter); other addresses are released and reported so
   * the shell can allocate again and emit IPReassigned.
   */
  setPools(pools: readonly IPPoolConfig[]): { invalidated: InvalidatedAssignment[] } {
    this.readiness = computePoolReadiness(pools);
    this.ordered = pools.map((c) => new PoolState(c)).sort((a, b) => comparePoolPriority(a.config, b.config));
    for (const p of this.ordered) p.init();
    const invalidated: InvalidatedAssignment[] = [];
    for (const [key, entry] of [...this.entries]) {
      const lost = entry.ips.filter((ip) => !this.mayKeep(ip, entry.request));
      if (lost.length === 0) continue;
      invalidated.push({
        serviceKey: key,
        released: lost,
        why: lost.map((ip) => this.lostWhy(ip)).join('; '),
      });
      this.replace(key, { request: entry.request, ips: entry.ips.filter((ip) => !lost.includes(ip)) });
    }
    for (const h of this.holders.values()) for (const p of this.ordered) if (p.contains(h.ip)) p.hold(h.ip);
    return { invalidated };
  }

  /**
   * Claims exactly these IPs (reclaiming Service status after a restart). Idempotent. Refused when an
   * IP is in no pool that may serve the Service, held incompatibly, or two IPs share a family.
   */
  assign(
    serviceKey: string,
    ips: readonly IPAddress[],
    request: AllocationRequest,
  ): Result<Assignment, PendingReason> {
    if (new Set(ips.map((ip) => ip.family)).size !== ips.length) {
      return err(eventReason('InvalidAnnotation', 'at most one address per family'));
    }
    const bad = ips.find((ip) => !this.mayKeep(ip, request) || !this.compatible(serviceKey, ip, request));
    if (bad !== undefined) return err(this.explain(serviceKey, { ...request, requestedIPs: [bad] }));
    this.replace(serviceKey, { request, ips: [...ips].sort(compareIP) });
    return ok({ ips: this.entries.get(serviceKey)?.ips ?? [] });
  }

  /** Releases everything the Service holds. */
  unassign(serviceKey: string): void {
    const e = this.entries.get(serviceKey);
    if (e !== undefined) this.replace(serviceKey, { request: e.request, ips: [] });
  }

  /**
   * Gives the Service its addresses. Keeps every held IP that still fits the request (never
   * renumbers needlessly), fills missing families, and on failure changes nothing and explains why.
   */
  allocate(serviceKey: string, request: AllocationRequest): Result<Assignment, PendingReason> {
    const plan = familyPlan(request);
    const chosen = new Map<IPFamily, IPAddress>();
    for (const ip of this.entries.get(serviceKey)?.ips ?? []) {
      if (plan.families.includes(ip.family) && this.keepable(serviceKey, ip, request))
        chosen.set(ip.family, ip);
    }
    for (const family of plan.families) {
      if (chosen.has(family)) continue;
      const ip = this.pick(serviceKey, family, request);
      if (ip !== undefined) chosen.set(family, ip);
    }
    if (chosen.size < plan.minimum) return err(this.explain(serviceKey, request));
    this.replace(serviceKey, { request, ips: [...chosen.values()].sort(compareIP) });
    return ok({ ips: this.entries.get(serviceKey)?.ips ?? [] });
  }

  private explain(serviceKey: string, request: AllocationRequest): PendingReason {
    const service = { kind: 'request' as const, request, warnings: [] };
    return (
      explainPending({ service, serviceKey, view: this }) ??
      eventReason('Unexplained', `no address could be allocated for ${serviceKey}`)
    );
  }

  private lostWhy(ip: IPAddress): string {
    const inAny = this.ordered.filter((p) => p.contains(ip)).map((p) => p.config.name);
    return inAny.length === 0
      ? `${formatIP(ip)} is no longer in any IPPool`
      : `${formatIP(ip)} is only in IPPool ${inAny.join(', ')}, which no longer serves this Service`;
  }

  private mayKeep(ip: IPAddress, request: AllocationRequest): boolean {
    return this.ordered.some((p) => p.contains(ip) && poolMayServe(p.config, request));
  }

  private compatible(serviceKey: string, ip: IPAddress, request: AllocationRequest): boolean {
    const h = this.holders.get(ipKey(ip));
    if (h === undefined) return true;
    for (const [key, other] of h.services) {
      if (key !== serviceKey && sharingConflict(request, other) !== null) return false;
    }
    return true;
  }

  private keepable(serviceKey: string, ip: IPAddress, request: AllocationRequest): boolean {
    const wanted = request.requestedIPs.find((r) => r.family === ip.family);
    if (wanted !== undefined && !sameIP(wanted, ip)) return false;
    return this.mayKeep(ip, request) && this.compatible(serviceKey, ip, request);
  }

  /** A pool that may hand out ip to this request right now (explicit requests ignore autoAssign). */
  private offeredBy(ip: IPAddress, opts: { request: AllocationRequest; auto: boolean }): boolean {
    return this.ordered.some((p) => {
      if (!p.offers(ip) || this.readiness.get(p.config.name)?.ready === false) return false;
      return opts.auto
        ? poolAutoServes(p.config, { readiness: this.readiness.get(p.config.name), request: opts.request })
        : poolMayServe(p.config, opts.request);
    });
  }

  private pick(serviceKey: string, family: IPFamily, request: AllocationRequest): IPAddress | undefined {
    const wanted = request.requestedIPs.find((r) => r.family === family);
    if (wanted !== undefined) {
      const usable =
        this.offeredBy(wanted, { request, auto: false }) && this.compatible(serviceKey, wanted, request);
      return usable ? wanted : undefined;
    }
    const joined = this.joinShared(serviceKey, family, request);
    if (joined !== undefined) return joined;
    for (const p of this.ordered) {
      if (!poolAutoServes(p.config, { readiness: this.readiness.get(p.config.name), request })) continue;
      const ip = p.lowestFree(family);
      if (ip !== undefined) return ip;
    }
    return undefined;
  }

  /** Lowest IP already used under the request's sharing key that it may join. */
  private joinShared(
    serviceKey: string,
    family: IPFamily,
    request: AllocationRequest,
  ): IPAddress | undefined {
    if (request.sharingKey === '') return undefined;
    let best: IPAddress | undefined;
    for (const k of this.byKey.get(request.sharingKey) ?? []) {
      const ip = this.holders.get(k)?.ip;
      if (ip?.family !== family || (best !== undefined && compareIP(ip, best) >= 0)) continue;
      if (this.compatible(serviceKey, ip, request) && this.offeredBy(ip, { request, auto: true })) best = ip;
    }
    return best;
  }

  /** Makes the Service hold exactly entry.ips (holders, pool free trees and sharing index follow). */
  private replace(serviceKey: string, entry: Entry): void {
    const old = this.entries.get(serviceKey)?.ips ?? [];
    for (const ip of old) if (!entry.ips.some((n) => sameIP(n, ip))) this.drop(serviceKey, ip);
    for (const ip of entry.ips) this.add(serviceKey, ip, entry.request);
    if (entry.ips.length === 0) this.entries.delete(serviceKey);
    else this.entries.set(serviceKey, entry);
  }

  private add(serviceKey: string, ip: IPAddress, request: AllocationRequest): void {
    const k = ipKey(ip);
    let h = this.holders.get(k);
    if (h === undefined) {
      h = { ip, services: new Map() };
      this.holders.set(k, h);
      for (const p of this.ordered) if (p.contains(ip)) p.hold(ip);
    }
    h.services.set(serviceKey, request);
    if (request.sharingKey !== '') {
      const set = this.byKey.get(request.sharingKey) ?? new Set<string>();
      set.add(k);
      this.byKey.set(request.sharingKey, set);
    }
  }

  private drop(serviceKey: string, ip: IPAddress): void {
    const k = ipKey(ip);
    const h = this.holders.get(k);
    const request = h?.services.get(serviceKey);
    if (h === undefined || request === undefined) return;
    h.services.delete(serviceKey);
    const keyStillUsed = [...h.services.values()].some((r) => r.sharingKey === request.sharingKey);
    if (request.sharingKey !== '' && !keyStillUsed) {
      const set = this.byKey.get(request.sharingKey);
      set?.delete(k);
      if (set?.size === 0) this.byKey.delete(request.sharingKey);
    }
    if (h.services.size > 0) return;
    this.holders.delete(k);
    for (const p of this.ordered) if (p.contains(ip)) p.release(ip);
  }
}

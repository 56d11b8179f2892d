import { networkInterfaces } from 'node:os';
import type { ProbeResult } from '@ironlb/shared/http';
import { EventRecorder, type KubeClients } from '@ironlb/shared/kube';
import type { Logger } from 'pino';
import { AnnouncementReporter } from './k8s/announcement-reporter.js';
import { ClusterView } from './k8s/cluster-view.js';
import { Announcer } from './l2/announcer.js';
import type { Conflict } from './l2/responder.js';
import { Membership, type Peer } from './membership/membership.js';
import type { SpeakerMetrics } from './metrics.js';
import { interfacesFor, PlanMemo, planAnnouncements, type IpPlan, type PlanInput } from './planner/index.js';

export interface MembershipSettings {
  secret: Uint8Array;
  bindAddress: string;
  port: number;
  intervalMs: number;
  timeoutMs: number;
  stallToleranceMs: number;
}

export interface SpeakerOptions {
  nodeName: string;
  clients: KubeClients;
  logger: Logger;
  metrics: SpeakerMetrics;
  membership: MembershipSettings;
  conflictProbeIntervalMs: number;
  /** How long we keep answering after telling peers we leave (graceful handover). */
  handoverMs: number;
  /** Periodic re-plan, a safety net behind the event-driven one. */
  resyncMs: number;
  /** Claim election timings (--claim-grace, --stale-after); the election's defaults when absent. */
  election?: { claimGraceMs: number; staleAfterMs: number } | undefined;
  /** Interface used when an L2Announcement names none; default: the one holding the node's InternalIP. */
  defaultInterface?: string | undefined;
  /** Services with this spec.loadBalancerClass are announced too (unset class always is). */
  loadBalancerClass?: string | undefined;
}

/**
 * The speaker: turns the cluster view plus live membership into the set of (interface, IP) pairs this
 * node announces, and keeps the announcer equal to it.
 *
 * Invariants: a membership change re-plans synchronously (failover does not wait for the API server or
 * a timer); nothing is announced before the caches have synced; on shutdown we first tell peers we leave,
 * keep answering for `handoverMs`, then stop.
 */
export class Speaker {
  private readonly view: ClusterView;
  private readonly membership: Membership;
  private readonly announcer: Announcer;
  private readonly recorder: EventRecorder;
  private readonly reporter: AnnouncementReporter;
  private plans: IpPlan[] = [];
  private readonly memo = new PlanMemo();
  private pending = false;
  private resyncTimer: NodeJS.Timeout | null = null;
  private started = false;
  private peerKey = '';
  private warmUntil = Number.POSITIVE_INFINITY;
  private macs: string[] = [];
  private macsAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: SpeakerOptions) {
    const { logger, metrics, clients } = options;
    this.view = new ClusterView({
      clients,
      loadBalancerClass: options.loadBalancerClass,
      logger: logger.child({ component: 'cluster-view' }),
      onChange: () => {
        this.schedulePlan();
      },
    });
    this.membership = new Membership({
      ...options.membership,
      self: options.nodeName,
      onChange: (changes) => {
        for (const c of changes)
          logger.info({ member: c.node, alive: c.alive, reason: c.reason }, 'membership change');
        this.plan();
      },
      onInvalid: (reason) => {
        logger.debug({ reason }, 'dropped membership datagram');
      },
    });
    this.announcer = new Announcer({
      metrics,
      logger: logger.child({ component: 'announcer' }),
      peerMacs: () => new Set([...this.membership.peerMacs().values()].flat()),
      onConflict: (c) => {
        this.onConflict(c);
      },
      conflictProbeIntervalMs: options.conflictProbeIntervalMs,
      reannounceDelayMs: options.membership.timeoutMs + options.membership.intervalMs,
    });
    this.recorder = new EventRecorder({
      events: clients.events,
      reportingController: 'ironlb.io/speaker',
      reportingInstance: options.nodeName,
      logger,
    });
    this.reporter = new AnnouncementReporter({
      self: options.nodeName,
      recorder: this.recorder,
      core: clients.core,
      logger,
      annotationDebounceMs: 500,
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    this.announcer.start(signal);
    this.recorder.start(signal);
    this.publishState();
    await this.membership.start(signal);
    // Warm-up: hear every live peer (and learn its MACs) before announcing anything, so a starting
    // speaker neither grabs IPs that others hold nor mistakes their frames for conflicts.
    const warmUpMs = this.options.membership.timeoutMs + this.options.membership.intervalMs;
    this.warmUntil = performance.now() + warmUpMs;
    await this.view.start(signal);
    this.started = true;
    setTimeout(() => {
      this.plan();
    }, warmUpMs).unref();
    this.resyncTimer = setInterval(() => {
      this.plan();
    }, this.options.resyncMs);
    this.resyncTimer.unref();
    this.plan();
  }

  ready(): ProbeResult {
    if (!this.started) return { ok: false, reason: 'starting' };
    if (!this.view.hasSynced()) return { ok: false, reason: 'caches not synced' };
    if (performance.now() < this.warmUntil) return { ok: false, reason: 'hearing peers before announcing' };
    return { ok: true };
  }

  /** Graceful stop: hand our IPs to their successors, then stop everything. */
  async shutdown(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.options.logger.info({ handoverMs: this.options.handoverMs }, 'leaving: handing over announced IPs');
    await this.membership.leave();
    await new Promise((r) => setTimeout(r, this.options.handoverMs));
    this.announcer.stop();
    await this.reporter.stop({ clear: true });
    await this.membership.stop();
    await this.view.stop();
    await this.recorder.stop();
  }

  /** Current plans (for debugging and tests). */
  currentPlans(): readonly IpPlan[] {
    return this.plans;
  }

  private schedulePlan(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.plan();
    });
  }

  private plan(): void {
    if (!this.started || !this.view.hasSynced()) return;
    this.updatePeers();
    this.publishState();
    if (performance.now() < this.warmUntil) return;
    const started = performance.now();
    const alive = this.membership.alive();
    const snapshot = this.view.snapshot();
    this.plans = planAnnouncements({ ...snapshot, alive }, this.memo);
    this.announcer.apply(this.desiredInterfaces(snapshot));
    const announced = this.announcer.announced();
    const changes = this.reporter.report({
      plans: this.plans,
      alive,
      interfacesOf: (ip) => announced.get(ip) ?? [],
    });
    this.reporter.setAnnounced([...announced.keys()]);
    this.options.metrics.electionChanges.inc(changes);
    this.options.metrics.membersAlive.set(alive.size);
    this.options.logger.debug({ ips: this.plans.length, ms: performance.now() - started }, 'planned');
  }

  /** Interface → IPs this node announces there, from the current plans. */
  private desiredInterfaces(snapshot: Omit<PlanInput, 'alive'>): Map<string, Set<string>> {
    const self = snapshot.nodes.find((n) => n.name === this.options.nodeName);
    const desired = new Map<string, Set<string>>();
    if (!self) return desired;
    const fallback = this.defaultInterface();
    for (const plan of this.plans) {
      if (plan.announcer !== this.options.nodeName) continue;
      const choice = interfacesFor({ plan, node: self, announcements: snapshot.announcements });
      const names = [...choice.named, ...(choice.useDefault && fallback ? [fallback] : [])];
      if (choice.useDefault && !fallback)
        this.options.logger.warn({ ip: plan.ip }, 'no default interface found');
      for (const name of names) desired.set(name, (desired.get(name) ?? new Set()).add(plan.ip));
    }
    return desired;
  }

  private updatePeers(): void {
    const family = this.options.membership.bindAddress.includes(':') ? 'v6' : 'v4';
    const peers: Peer[] = [];
    for (const [name, ips] of this.view.nodeAddresses()) {
      const address = ips.find((ip) => ip.includes(':') === (family === 'v6')) ?? ips[0];
      if (address) peers.push({ name, address, port: this.options.membership.port });
    }
    const key = JSON.stringify(peers);
    if (key === this.peerKey) return;
    this.peerKey = key;
    this.membership.setPeers(peers);
  }

  private defaultInterface(): string | undefined {
    if (this.options.defaultInterface) return this.options.defaultInterface;
    const ips = new Set(this.view.nodeAddresses().get(this.options.nodeName) ?? []);
    for (const [name, addrs] of Object.entries(networkInterfaces())) {
      if (addrs?.some((a) => ips.has(a.address))) return name;
    }
    return undefined;
  }

  /** What peers hear from us (claims come with the claim-based election). */
  private publishState(): void {
    this.membership.publish({ claims: new Map(), stalenessMs: 0, stale: false, macs: this.ownMacs() });
  }

  /** Our MACs, refreshed at most every few seconds (heartbeats carry them). */
  private ownMacs(): string[] {
    const now = performance.now();
    if (now - this.macsAt < 5000) return this.macs;
    this.macsAt = now;
    const macs = new Set<string>();
    for (const addrs of Object.values(networkInterfaces())) {
      for (const a of addrs ?? []) if (!a.internal && a.mac !== '00:00:00:00:00:00') macs.add(a.mac);
    }
    this.macs = [...macs];
    return this.macs;
  }

  private onConflict(conflict: Conflict & { interface: string }): void {
    const plan = this.plans.find((p) => p.ip === conflict.ip);
    this.reporter.conflict({ conflict, services: plan?.services ?? [] });
  }
}

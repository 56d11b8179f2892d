import { familyOfValidIP } from '@ironlb/shared';
import type { ProbeResult } from '@ironlb/shared/http';
import { ClaimDriver } from './claim-driver.js';
import { DEFAULT_CLAIM_SETTINGS, type ClaimSettings } from './election/claims.js';
import type { Freshness } from './election/freshness.js';
import { ClaimReporter } from './k8s/claim-reporter.js';
import { LocalInterfaces } from './local-interfaces.js';
import type { Conflict } from './l2/responder.js';
import type { MembershipChange, Peer } from './membership/membership.js';
import {
  desiredInterfaces,
  PlanMemo,
  planAnnouncements,
  type IpPlan,
  type PlanInput,
  type ServiceRef,
} from './planner/index.js';
import { realParts, type RealPartsOptions, type SpeakerHooks, type SpeakerParts } from './speaker-parts.js';

/** What the real parts need (except staleAfterMs, taken from `election`), plus the speaker's own settings. */
export interface SpeakerOptions extends Omit<RealPartsOptions, 'staleAfterMs'> {
  /** How long we keep answering after telling peers we leave (graceful handover). */
  handoverMs: number;
  /** Periodic re-plan, a safety net behind the event-driven one. */
  resyncMs: number;
  /** Interface used when an L2Announcement names none; default: the one holding the node's InternalIP. */
  defaultInterface?: string | undefined;
  /** Claim election timings (docs/election.md); default 300 ms grace, stale after 3 s, settle 5 s. */
  election?: ClaimSettings | undefined;
  /** Builds the collaborators (default: the real ones); tests pass fakes. */
  parts?: ((hooks: SpeakerHooks) => SpeakerParts) | undefined;
}

/** How often our staleness is re-published between plans (heartbeats carry the latest value). */
const PUBLISH_INTERVAL_MS = 1000;

/**
 * The speaker: turns the cluster view plus live membership and peers' claims into the set of (interface, IP)
 * pairs this node announces, keeps the announcer equal to it, and tells peers what it announces.
 *
 * Invariants: a membership change re-plans synchronously (failover does not wait for the API server or
 * a timer); a peer's claims or staleness changing re-plans within one event-loop turn, and so does the end
 * of a claim grace; the claims we publish are exactly the IPs the announcer holds after each plan; nothing
 * is announced before the caches have synced and peers were heard (warm-up); on stop we first tell peers we
 * leave, keep answering each IP until an alive peer claims it (at most `handoverMs`), plan nothing more, then
 * stop. IPs an alive peer claims are taken only once our view has settled (docs/election.md).
 */
export class Speaker {
  private readonly parts: SpeakerParts;
  private readonly claims: ClaimDriver;
  private readonly claimReporter: ClaimReporter;
  private readonly settings: ClaimSettings;
  private readonly aliveSince = new Map<string, number>();
  private plans: IpPlan[] = [];
  private readonly memo = new PlanMemo();
  private pending = false;
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private peerKey = '';
  private warmUntil = Number.POSITIVE_INFINITY;
  private warmUpTimer: NodeJS.Timeout | null = null;
  /** The warm-up is over for good (latched: a peer dying later must never hold plans back). */
  private warm = false;
  /** Names of the peers membership was told of (self excluded). */
  private peerNames: string[] = [];
  /** The view has been settled at least once since start (readiness). */
  private settledOnce = false;
  /** stop() has begun: no more plans (the announcer keeps what it has through the handover, then stops). */
  private stopping = false;
  /** Membership has been told of at least one peer (its heartbeats are admitted only from then on). */
  private peersKnown = false;
  private readonly local: LocalInterfaces;
  private macs: string[] = [];
  private lastClaims: ReadonlyMap<string, number> = new Map();
  /** Canonical IPs we announced last round that an alive peer claimed too. */
  private contested = new Set<string>();

  constructor(private readonly options: SpeakerOptions) {
    const { logger, metrics } = options;
    this.settings = { ...DEFAULT_CLAIM_SETTINGS, ...options.election };
    const hooks: SpeakerHooks = {
      onViewChange: () => {
        this.schedulePlan();
      },
      onMembershipChange: (changes) => {
        this.membershipChanged(changes);
      },
      onPeerState: () => {
        this.schedulePlan();
      },
      onConflict: (c) => {
        this.onConflict(c);
      },
      onStaleChange: (stale, stalenessMs) => {
        if (stale)
          logger.warn(
            { stalenessMs },
            'view of the API server is stale: peers stop deferring to us for IPs we do not claim',
          );
        else logger.info({ stalenessMs }, 'view of the API server is fresh again');
        metrics.viewStale.set(stale ? 1 : 0);
        this.publish();
        this.plan();
      },
      peerMacs: () => new Set([...this.parts.membership.peerMacs().values()].flat()),
    };
    this.parts = (
      options.parts ??
      ((h: SpeakerHooks): SpeakerParts =>
        realParts({ ...options, staleAfterMs: this.settings.staleAfterMs }, h))
    )(hooks);
    this.local = new LocalInterfaces({
      interfaces: this.parts.interfaces,
      configured: options.defaultInterface,
    });
    this.claims = new ClaimDriver({
      self: options.nodeName,
      settings: this.settings,
      onDue: () => {
        this.plan();
      },
    });
    this.claimReporter = new ClaimReporter({
      self: options.nodeName,
      recorder: this.parts.recorder,
      unclaimed: metrics.peerUnclaimed,
      logger,
    });
  }

  async start(signal: AbortSignal): Promise<void> {
    const { parts } = this;
    parts.announcer.start(signal);
    parts.recorder.start(signal);
    parts.freshness.start(signal);
    await parts.membership.start(signal);
    this.publish();
    // Warm-up: hear every live peer (and learn its MACs and claims) before announcing anything, so a starting
    // speaker neither grabs IPs that others hold nor mistakes their frames for conflicts.
    const warmUpMs = this.warmUpMs();
    this.warmUntil = performance.now() + warmUpMs;
    await parts.view.start(signal);
    await parts.bgp?.start(signal);
    this.started = true;
    this.every(this.options.resyncMs, () => {
      this.plan();
    });
    this.every(PUBLISH_INTERVAL_MS, () => {
      this.publish();
    });
    this.plan();
  }

  ready(): ProbeResult {
    if (!this.started) return { ok: false, reason: 'starting' };
    if (!this.parts.view.hasSynced()) return { ok: false, reason: 'caches not synced' };
    if (this.parts.bgp?.hasSynced() === false) return { ok: false, reason: 'BGP caches not synced' };
    if (!this.warmedUp()) return { ok: false, reason: 'hearing peers before announcing' };
    // Ready once the view has settled (and taken back what it ranks first for): a rolling update then moves
    // on to the next node only after this one is done moving IPs.
    if (!this.settled()) return { ok: false, reason: 'view of the API server not settled yet' };
    return { ok: true };
  }

  /** Graceful stop: hand our IPs to their successors, then stop everything. */
  async stop(): Promise<void> {
    const { parts } = this;
    // Peers' heartbeats and view events keep arriving until their parts stop: a plan after announcer.stop()
    // would announce our IPs again (gratuitous ARP) after we handed them over.
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.warmUpTimer) clearTimeout(this.warmUpTimer);
    this.warmUpTimer = null;
    this.claims.stop();
    this.options.logger.info({ handoverMs: this.options.handoverMs }, 'leaving: handing over announced IPs');
    await parts.membership.leave();
    await this.handOver();
    parts.announcer.stop();
    await parts.reporter.stop({ clear: true });
    await parts.membership.stop();
    parts.freshness.stop();
    // FRR keeps its configuration: a restarting speaker withdraws no route.
    await parts.bgp?.stop();
    await parts.view.stop();
    await parts.recorder.stop();
  }

  /**
   * Keeps answering for `handoverMs`, but stops answering for each IP as soon as an alive peer claims it: that
   * peer announces it already (claims are published after its announcer applied them), and two nodes answering
   * ARP during the handover let a client that re-resolved in between go back to us, then away again (lab: the
   * client's answers went n1 → n3 → n1 → n3 around a restart).
   */
  private async handOver(): Promise<void> {
    const { announcer, membership } = this.parts;
    const end = performance.now() + this.options.handoverMs;
    const step = Math.max(1, this.options.membership.intervalMs);
    for (;;) {
      const claimed = new Set<string>();
      for (const peer of membership.peers().values())
        for (const ip of peer.claims?.keys() ?? []) claimed.add(ip);
      const desired = new Map<string, Set<string>>();
      let dropped = false;
      for (const [ip, interfaces] of announcer.announced()) {
        if (claimed.has(this.claims.canonical(ip))) {
          dropped = true;
          continue;
        }
        for (const name of interfaces) desired.set(name, (desired.get(name) ?? new Set()).add(ip));
      }
      if (dropped) announcer.apply(desired);
      const left = end - performance.now();
      if (left <= 0 || desired.size === 0) return;
      await new Promise((r) => setTimeout(r, Math.min(step, left)));
    }
  }

  /** Current plans, announcers as decided by the claim election (for debugging and tests). */
  currentPlans(): readonly IpPlan[] {
    return this.plans;
  }

  private every(ms: number, run: () => void): void {
    const t = setInterval(run, ms);
    t.unref();
    this.timers.push(t);
  }

  /**
   * One timer for the end of the warm-up. Re-armed by every plan that comes too early: a timer may fire early
   * by as long as the event-loop turn that set it had been running.
   */
  private planAfterWarmUp(): void {
    if (this.warmUpTimer) return;
    const now = performance.now();
    this.warmUpTimer = setTimeout(
      () => {
        this.warmUpTimer = null;
        this.plan();
      },
      Math.max(0, (now < this.warmUntil ? this.warmUntil : this.warmDeadline()) - now) + 1,
    );
    this.warmUpTimer.unref();
  }

  /**
   * Warm-up: at least until warmUntil, and then until every peer membership knows has been heard, but no longer
   * than the settle time past warmUntil (a peer that is really down does not hold us back for longer). A
   * CPU-starved speaker may not read its peers' heartbeats within the wall-clock warm-up; it then saw nobody
   * alive and announced every IP it ranks first (lab, 5 % of a core). Ends once, for good.
   */
  private warmedUp(): boolean {
    if (this.warm) return true;
    const now = performance.now();
    if (now < this.warmUntil) return false;
    const alive = this.parts.membership.alive();
    this.warm = now >= this.warmDeadline() || this.peerNames.every((p) => alive.has(p));
    return this.warm;
  }

  private warmDeadline(): number {
    return this.warmUntil + (this.settings.claimSettleMs ?? 0);
  }

  private warmUpMs(): number {
    return this.options.membership.timeoutMs + this.options.membership.intervalMs;
  }

  private membershipChanged(changes: MembershipChange[]): void {
    const now = performance.now();
    for (const c of changes) {
      this.options.logger.info({ member: c.node, alive: c.alive, reason: c.reason }, 'membership change');
      if (c.alive) this.aliveSince.set(c.node, now);
      else this.aliveSince.delete(c.node);
    }
    this.plan();
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
    if (!this.started || this.stopping || !this.parts.view.hasSynced()) return;
    this.updatePeers();
    if (!this.warmedUp()) {
      // Peers must know our MACs before our first gratuitous frame, or they take it for a conflict.
      this.refreshMacs(this.parts.view.snapshot());
      this.publish();
      this.planAfterWarmUp();
      return;
    }
    this.settled(); // readiness latches the first settle even if no probe asked in time
    const { membership, announcer, reporter } = this.parts;
    const started = performance.now();
    const alive = membership.alive();
    const snapshot = this.parts.view.snapshot();
    const planned = planAnnouncements({ ...snapshot, alive }, this.memo);
    this.refreshMacs(snapshot);
    const round = this.claims.decide({
      plans: planned,
      me: this.freshness(),
      peers: membership.peers(),
      settledFromMs: this.settledFromMs(),
    });
    this.plans = round.plans;
    const { desired, withoutInterface } = desiredInterfaces({
      self: this.options.nodeName,
      plans: this.plans,
      nodes: snapshot.nodes,
      announcements: snapshot.announcements,
      defaultInterface: this.defaultInterface(),
    });
    for (const ip of withoutInterface) this.options.logger.warn({ ip }, 'no default interface found');
    announcer.apply(desired);
    const announced = announcer.announced();
    this.lastClaims = this.claims.announced(announced.keys());
    this.publish();
    this.reassertWon(announced.keys());
    const services = new Map<string, readonly ServiceRef[]>();
    for (const p of this.plans) services.set(this.claims.canonical(p.ip), p.services);
    this.claimReporter.report({
      decisions: round.decisions,
      servicesOf: (ip) => services.get(ip) ?? [],
      blame: (peer) =>
        started - (this.aliveSince.get(peer) ?? Number.NEGATIVE_INFINITY) >=
        this.warmUpMs() + (this.settings.claimSettleMs ?? 0) + this.settings.claimGraceMs,
    });
    const changes = reporter.report({
      plans: this.plans,
      alive,
      interfacesOf: (ip) => announced.get(ip) ?? [],
    });
    reporter.setAnnounced([...announced.keys()]);
    this.options.metrics.electionChanges.inc(changes);
    this.parts.bgp?.plan({
      snapshot,
      addresses: this.parts.view.nodeAddresses().get(this.options.nodeName) ?? [],
      alive,
    });
    this.options.metrics.membersAlive.set(alive.size);
    this.options.logger.debug({ ips: this.plans.length, ms: performance.now() - started }, 'planned');
  }

  /**
   * While two speakers answered for an IP, clients may have learnt either MAC. When the other one withdraws
   * (or dies) and we keep the IP, a fresh gratuitous burst moves every client to us.
   */
  private reassertWon(announcedIps: Iterable<string>): void {
    const peers = [...this.parts.membership.peers().values()];
    const contested = new Set<string>();
    for (const ip of this.lastClaims.keys())
      if (peers.some((p) => p.claims?.has(ip) === true)) contested.add(ip);
    const won = new Set<string>();
    for (const raw of announcedIps) {
      const ip = this.claims.canonical(raw);
      if (this.contested.has(ip) && !contested.has(ip)) won.add(raw);
    }
    this.contested = contested;
    if (won.size > 0) this.parts.announcer.reassert(won);
  }

  /**
   * From when our view counts as settled (fresh and confirmed for the settle time); null while it is not;
   * undefined when the settle rule is off (--claim-settle 0).
   */
  private settledFromMs(): number | null | undefined {
    const settleMs = this.settings.claimSettleMs ?? 0;
    if (settleMs === 0) return undefined;
    const since = this.parts.freshness.freshSinceMs();
    return since === null ? null : since + settleMs;
  }

  private settled(): boolean {
    if (this.settledOnce) return true;
    const from = this.settledFromMs();
    this.settledOnce = from === undefined || (from !== null && performance.now() >= from);
    return this.settledOnce;
  }

  private freshness(): Freshness {
    return { stalenessMs: this.parts.freshness.stalenessMs(), stale: this.parts.freshness.stale() };
  }

  /** Tells peers what we announce, how fresh our view is, and the MACs we announce from. */
  private publish(): void {
    const me = this.freshness();
    this.options.metrics.viewStalenessSeconds.set(me.stalenessMs / 1000);
    this.parts.membership.publish({ claims: this.lastClaims, ...me, macs: this.macs });
  }

  private updatePeers(): void {
    const family = familyOfValidIP(this.options.membership.bindAddress);
    const peers: Peer[] = [];
    for (const [name, ips] of this.parts.view.nodeAddresses()) {
      const address = ips.find((ip) => familyOfValidIP(ip) === family) ?? ips[0];
      if (address) peers.push({ name, address, port: this.options.membership.port });
    }
    const key = JSON.stringify(peers);
    if (key === this.peerKey) return;
    this.peerKey = key;
    this.parts.membership.setPeers(peers);
    this.peerNames = peers.map((p) => p.name).filter((n) => n !== this.options.nodeName);
    if (!this.peersKnown && peers.some((p) => p.name !== this.options.nodeName)) {
      // Heartbeats count only from peers membership knows, i.e. once the view has synced: on a slow start the
      // warm-up from start() is over by then, and the first plan would see nobody alive and announce every IP
      // (seen on a CPU-starved node). The warm-up runs again from here, once.
      this.peersKnown = true;
      this.warmUntil = Math.max(this.warmUntil, performance.now() + this.warmUpMs());
    }
  }

  private defaultInterface(): string | undefined {
    return this.local.defaultInterface(this.parts.view.nodeAddresses().get(this.options.nodeName) ?? []);
  }

  /**
   * MACs of the interfaces we may announce on: the default one and every one an L2Announcement names (peers
   * must know them before our first gratuitous frame, so not only those in use now).
   */
  private refreshMacs(snapshot: Omit<PlanInput, 'alive'>): void {
    const names = new Set<string>();
    const fallback = this.defaultInterface();
    if (fallback) names.add(fallback);
    for (const a of snapshot.announcements) for (const i of a.interfaces) names.add(i);
    this.macs = this.local.macsFor(names);
  }

  private onConflict(conflict: Conflict & { interface: string }): void {
    const plan = this.plans.find((p) => p.ip === conflict.ip);
    this.parts.reporter.conflict({ conflict, services: plan?.services ?? [] });
  }
}

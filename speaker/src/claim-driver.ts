import {
  ClaimElection,
  claimsIp,
  type ClaimSettings,
  type IpDecision,
  type IpToDecide,
} from './election/claims.js';
import { canonicalIp } from './election/election.js';
import { ownerTag, type Freshness } from './election/freshness.js';
import type { PeerClaims } from './election/known-claims.js';
import type { IpPlan } from './planner/index.js';

export interface ClaimDriverOptions {
  self: string;
  settings: ClaimSettings;
  /** Called when a claim grace ends: decide again. */
  onDue: () => void;
  /** Monotonic clock (ms); default performance.now. */
  now?: () => number;
}

export interface ClaimRound {
  /** The plans with `announcer` replaced by the claim decision (self when we announce). */
  plans: IpPlan[];
  decisions: IpDecision[];
}

/**
 * The speaker's shell around the pure claim election: turns plans into decisions, keeps one timer for the
 * earliest grace end, and remembers which IPs we hold (a wait keeps them: make before break).
 *
 * Invariants: at most one timer is pending, set for the earliest `nextAtMs` of the last round; plans of IPs
 * outside every pool are passed through untouched (never announced); an IP appearing under two spellings
 * is decided once, by its canonical text.
 */
export class ClaimDriver {
  private readonly election: ClaimElection;
  private held = new Set<string>();
  private tags = new Map<string, number>();
  /** Raw IP text → canonical text, for the IPs of the last round (parsing is on the failover path). */
  private canonicalOf = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private timerAtMs = Number.POSITIVE_INFINITY;

  constructor(private readonly options: ClaimDriverOptions) {
    this.election = new ClaimElection(options.settings);
  }

  decide(args: {
    plans: readonly IpPlan[];
    me: Freshness;
    peers: ReadonlyMap<string, PeerClaims>;
    /** See DecideInput.settledFromMs (same clock as `now`). */
    settledFromMs?: number | null | undefined;
  }): ClaimRound {
    const nowMs = this.now();
    const previous = this.canonicalOf;
    this.canonicalOf = new Map();
    const inputs = new Map<string, IpToDecide>();
    for (const plan of args.plans) {
      const ip = previous.get(plan.ip) ?? canonicalIp(plan.ip);
      this.canonicalOf.set(plan.ip, ip);
      if (plan.pool === null) continue;
      if (!inputs.has(ip)) inputs.set(ip, { ip, tag: ownerTag(plan.services), candidates: plan.candidates });
    }
    const result = this.election.decide({
      self: this.options.self,
      nowMs,
      me: args.me,
      peers: args.peers,
      ips: inputs.values(),
      held: this.held,
      settledFromMs: args.settledFromMs,
    });
    const byIp = new Map(result.decisions.map((d) => [d.ip, d]));
    this.tags = new Map(result.decisions.map((d) => [d.ip, d.tag]));
    const plans = args.plans.map((plan) => {
      if (plan.pool === null) return plan;
      const decision = byIp.get(this.canonical(plan.ip))?.decision;
      if (!decision) return plan;
      if (claimsIp(decision)) return { ...plan, announcer: this.options.self };
      if (decision.kind === 'defer' || decision.kind === 'wait') return { ...plan, announcer: decision.node };
      // Nobody to follow: keep the nominal announcer for reporting, but never ourselves.
      return plan.announcer === this.options.self ? { ...plan, announcer: null } : plan;
    });
    this.schedule(result.nextAtMs, nowMs);
    return { plans, decisions: result.decisions };
  }

  /**
   * Records the IPs we announce now (after the announcer applied the plans) and returns our claims to
   * publish: canonical IP → owner tag, for exactly those IPs.
   */
  announced(ips: Iterable<string>): Map<string, number> {
    const claims = new Map<string, number>();
    for (const raw of ips) {
      const ip = this.canonical(raw);
      const tag = this.tags.get(ip);
      if (tag !== undefined) claims.set(ip, tag);
    }
    this.held = new Set(claims.keys());
    return claims;
  }

  /** Canonical text of an IP (cached for the IPs of the last round). */
  canonical(ip: string): string {
    return this.canonicalOf.get(ip) ?? canonicalIp(ip);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAtMs = Number.POSITIVE_INFINITY;
  }

  private schedule(atMs: number | null, nowMs: number): void {
    if (atMs === null) return;
    if (this.timer && this.timerAtMs <= atMs) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = atMs;
    // +1 ms: a timer may fire a fraction early; the grace is "now >= until".
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAtMs = Number.POSITIVE_INFINITY;
        this.options.onDue();
      },
      Math.max(0, atMs - nowMs) + 1,
    );
    this.timer.unref();
  }

  private now(): number {
    return (this.options.now ?? (() => performance.now()))();
  }
}

import { compareRanked, nodeScore } from './election.js';
import { compareFreshness, type Freshness } from './freshness.js';
import { KnownClaims, type PeerClaims } from './known-claims.js';

/**
 * Claim election: who announces an IP when speakers' views of the API server may disagree.
 *
 * Every speaker publishes the IPs it announces ("claims", IP → owner tag) and how fresh its view is. For
 * each IP in its own view, a speaker walks its ranking of eligible alive nodes (rendezvous order):
 *  1. the candidate is me → I claim, unless an alive peer claiming the IP (any tag) is strictly fresher
 *     than me, or as fresh and ranked before me: then I yield to it. Settle exception: while my view is not
 *     settled (`settledFromMs`: not yet fresh and confirmed for the settle time, since start or since it was
 *     last stale) and I do not hold the IP, I do not take it from a candidate at least as fresh as me that
 *     claims it with my tag, nor from one whose claim set I do not know yet: I defer to it (`settling`) and
 *     decide again once settled. A failover (the claimer dies) or an IP nobody claims is taken at once;
 *  2. the candidate claims the IP with my owner tag → defer to it (even when its view is stale: an outage
 *     that hits everyone changes nothing), unless I claim it too and beat it (it yields to me by rule 1), or
 *     its view is stale, mine is fresher and I learned this IP+tag after I first saw it stale (then rule 3
 *     skips it: whether I defer must not depend on whether its claim or mine came first);
 *  3. otherwise (it claims another tag, or nothing): its view strictly fresher than mine → defer (it knows
 *     better whether the IP still exists); mine strictly fresher → skip it at once ("stale view"); equal →
 *     wait until `claimGraceMs` after I learned of this IP+tag, or after the candidate got its place in my
 *     ranking (e.g. a failover), whichever is later; past that, skip it ("no claim") and go on.
 *
 * Invariants (see docs/election.md):
 *  - Pure and deterministic given the inputs and the times passed in; no I/O, no clock reads.
 *  - Identical views and claims as published by the ranking → exactly the first eligible node claims.
 *  - Yielding follows a strict total order (freshness rank, then rendezvous rank), so among speakers that
 *    hear each other, two claimers of one IP always leave exactly one.
 *  - A peer whose claim set is being re-assembled counts with its last complete set for up to
 *    `unknownClaimsHoldMs` (see KnownClaims), so a peer changing one claim moves none of its other IPs.
 *  - A candidate is waited for at most `claimGraceMs` from the later of "IP+tag learned" and "candidate's
 *    place in the ranking changed"; candidates that kept their place since the IP was learned share one grace.
 */

export interface ClaimSettings {
  /** How long a ranked candidate may take to claim an IP before the next one takes it. */
  claimGraceMs: number;
  /** Limit past which a view is stale; also the unit of freshness ranks. */
  staleAfterMs: number;
  /** How long a peer's last complete claim set stands in while its new one is re-assembled (default 2 s). */
  unknownClaimsHoldMs?: number | undefined;
  /**
   * How long my view must have been fresh and confirmed, without a stale spell, before I take an IP a peer
   * claims (the shell turns it into `settledFromMs`; default 5 s).
   */
  claimSettleMs?: number | undefined;
}

export const DEFAULT_CLAIM_SETTINGS: ClaimSettings = {
  claimGraceMs: 300,
  staleAfterMs: 3000,
  unknownClaimsHoldMs: 2000,
  claimSettleMs: 5000,
};

export interface IpToDecide {
  /** Canonical IP text (the key of claims). */
  ip: string;
  /** My owner tag for the IP. */
  tag: number;
  /** Eligible alive nodes in my view, best first (this node included when eligible). */
  candidates: readonly string[];
}

export interface DecideInput {
  self: string;
  /** Monotonic time. */
  nowMs: number;
  me: Freshness;
  /** Alive peers (self excluded) and what they last told us. */
  peers: ReadonlyMap<string, PeerClaims>;
  ips: Iterable<IpToDecide>;
  /** IPs I claim now: a wait keeps them claimed until the grace ends (make before break). */
  held: ReadonlySet<string>;
  /**
   * From when my view counts as settled (fresh and confirmed, without a stale spell, for the settle time);
   * null while it is not (stale, or never confirmed since start). Undefined: always settled.
   */
  settledFromMs?: number | null | undefined;
}

export type DeferReason = 'claims' | 'fresher-view' | 'fresher-claim' | 'settling';
export type SkipReason = 'stale-view' | 'no-claim';

export type ClaimDecision =
  | { kind: 'claim' }
  | { kind: 'defer'; node: string; reason: DeferReason }
  | { kind: 'wait'; node: string; untilMs: number; hold: boolean }
  | { kind: 'none' };

export interface SkippedPeer {
  node: string;
  reason: SkipReason;
}

export interface IpDecision {
  ip: string;
  tag: number;
  decision: ClaimDecision;
  /** Peers passed over on the way to the decision (never the node deferred or yielded to). */
  skipped: readonly SkippedPeer[];
}

export interface DecideResult {
  decisions: IpDecision[];
  /** Earliest time a wait ends or a peer's stand-in claim set expires (decide again then), or null. */
  nextAtMs: number | null;
}

/** True when the decision means this node announces the IP now. */
export function claimsIp(decision: ClaimDecision): boolean {
  return decision.kind === 'claim' || (decision.kind === 'wait' && decision.hold);
}

interface IpMemory {
  tag: number;
  learnedAtMs: number;
  candidates: readonly string[];
  /** Non-decreasing steps: candidates from `fromIndex` on got their place at `atMs`. */
  steps: { fromIndex: number; atMs: number }[];
}

const UNKNOWN_PEER: PeerClaims = { stale: false, stalenessMs: 0, claims: undefined };

/** Holds, per IP, when it was learned and when each ranked candidate got its place. */
export class ClaimElection {
  private readonly memory = new Map<string, IpMemory>();
  /** Alive peer → when I first saw it report a stale view (since its last fresh report). */
  private readonly staleSince = new Map<string, number>();
  private readonly known: KnownClaims;

  constructor(private readonly settings: ClaimSettings = DEFAULT_CLAIM_SETTINGS) {
    this.known = new KnownClaims(
      settings.unknownClaimsHoldMs ?? DEFAULT_CLAIM_SETTINGS.unknownClaimsHoldMs ?? 0,
    );
  }

  decide(raw: DecideInput): DecideResult {
    const known = this.known.resolve(raw.peers, raw.nowMs);
    const input = { ...raw, peers: known.peers };
    this.noteStale(input.peers, input.nowMs);
    const claimers = claimersByIp(input.peers);
    const decisions: IpDecision[] = [];
    const seen = new Set<string>();
    let nextAtMs: number | null = known.nextAtMs;
    for (const ip of input.ips) {
      seen.add(ip.ip);
      const memory = this.remember(ip, input.nowMs);
      const decided = this.decideIp({ ip, memory, input, claimers: claimers.get(ip.ip) ?? [] });
      if (decided.decision.kind === 'wait')
        nextAtMs = Math.min(nextAtMs ?? Number.POSITIVE_INFINITY, decided.decision.untilMs);
      const settledAt = input.settledFromMs ?? null;
      if (decided.decision.kind === 'defer' && decided.decision.reason === 'settling' && settledAt !== null)
        nextAtMs = Math.min(nextAtMs ?? Number.POSITIVE_INFINITY, settledAt);
      decisions.push(decided);
    }
    for (const ip of [...this.memory.keys()]) if (!seen.has(ip)) this.memory.delete(ip);
    return { decisions, nextAtMs };
  }

  private noteStale(peers: ReadonlyMap<string, PeerClaims>, nowMs: number): void {
    for (const node of [...this.staleSince.keys()])
      if (peers.get(node)?.stale !== true) this.staleSince.delete(node);
    for (const [node, peer] of peers)
      if (peer.stale && !this.staleSince.has(node)) this.staleSince.set(node, nowMs);
  }

  /**
   * Rule 2 applies to a same-tag claim of `node` unless its view is stale, mine is fresher, and I learned the
   * IP+tag strictly after I first saw it stale: it claims from a view I know to be older than what I learned.
   */
  private defersToSameTag(a: { memory: IpMemory; node: string; peer: PeerClaims; me: Freshness }): boolean {
    const since = this.staleSince.get(a.node);
    if (since === undefined || a.memory.learnedAtMs <= since) return true;
    return compareFreshness(a.me, a.peer, this.settings.staleAfterMs) <= 0;
  }

  private remember(ip: IpToDecide, nowMs: number): IpMemory {
    const known = this.memory.get(ip.ip);
    if (!known || known.tag !== ip.tag) {
      const fresh = { tag: ip.tag, learnedAtMs: nowMs, candidates: ip.candidates, steps: [] };
      this.memory.set(ip.ip, fresh);
      return fresh;
    }
    const d = firstDifference(known.candidates, ip.candidates);
    if (d !== null) {
      known.steps = known.steps.filter((s) => s.fromIndex < d);
      known.steps.push({ fromIndex: d, atMs: nowMs });
      known.candidates = ip.candidates;
    }
    return known;
  }

  private decideIp(args: {
    ip: IpToDecide;
    memory: IpMemory;
    input: DecideInput;
    claimers: readonly string[];
  }): IpDecision {
    const { ip, memory, input } = args;
    const { staleAfterMs, claimGraceMs } = this.settings;
    const skipped: SkippedPeer[] = [];
    const done = (decision: ClaimDecision): IpDecision => ({ ip: ip.ip, tag: ip.tag, decision, skipped });
    for (const [index, candidate] of ip.candidates.entries()) {
      if (candidate === input.self) return this.meStep({ ...args, skipped });
      const peer = input.peers.get(candidate) ?? UNKNOWN_PEER;
      // Defer to a same-tag claimer, unless we both claim and it will yield to us (rule 1 on its side):
      // deferring then would leave the IP with nobody.
      if (
        peer.claims?.get(ip.ip) === ip.tag &&
        this.defersToSameTag({ memory, node: candidate, peer, me: input.me }) &&
        !(
          input.held.has(ip.ip) &&
          this.beats({ a: input.self, fa: input.me, b: candidate, fb: peer, ip: ip.ip })
        )
      )
        return done({ kind: 'defer', node: candidate, reason: 'claims' });
      const cmp = compareFreshness(input.me, peer, staleAfterMs);
      if (cmp < 0) return done({ kind: 'defer', node: candidate, reason: 'fresher-view' });
      if (cmp > 0) {
        skipped.push({ node: candidate, reason: 'stale-view' });
        continue;
      }
      const untilMs = Math.max(memory.learnedAtMs, placedAt(memory, index)) + claimGraceMs;
      if (input.nowMs < untilMs)
        return done({ kind: 'wait', node: candidate, untilMs, hold: input.held.has(ip.ip) });
      skipped.push({ node: candidate, reason: 'no-claim' });
    }
    return done({ kind: 'none' });
  }

  /** Rule 1: I am the candidate; yield only to the freshest-then-first claimer that beats me. */
  private meStep(args: {
    ip: IpToDecide;
    input: DecideInput;
    claimers: readonly string[];
    skipped: SkippedPeer[];
  }): IpDecision {
    const { ip, input, claimers } = args;
    let best: { node: string; peer: PeerClaims } | null = null;
    for (const node of claimers) {
      const peer = input.peers.get(node);
      if (!peer || !this.beats({ a: node, fa: peer, b: input.self, fb: input.me, ip: ip.ip })) continue;
      if (!best || this.beats({ a: node, fa: peer, b: best.node, fb: best.peer, ip: ip.ip }))
        best = { node, peer };
    }
    if (!best) {
      const holder = this.settlingFor(args);
      const decision: ClaimDecision =
        holder === null ? { kind: 'claim' } : { kind: 'defer', node: holder, reason: 'settling' };
      return { ip: ip.ip, tag: ip.tag, decision, skipped: args.skipped };
    }
    const winner = best.node;
    return {
      ip: ip.ip,
      tag: ip.tag,
      decision: { kind: 'defer', node: winner, reason: 'fresher-claim' },
      skipped: args.skipped.filter((s) => s.node !== winner),
    };
  }

  /**
   * Rule 1's settle exception: while my view is not settled and I do not hold the IP, the candidate I leave it
   * to: the first in my ranking that claims it with my tag or whose claim set is unknown, and is at least as
   * fresh as me (a staler claimer would defer to my fresher view, leaving the IP with nobody). Null: claim.
   */
  private settlingFor(args: { ip: IpToDecide; input: DecideInput }): string | null {
    const { ip, input } = args;
    const settled = input.settledFromMs;
    if (settled === undefined || (settled !== null && input.nowMs >= settled)) return null;
    if (input.held.has(ip.ip)) return null;
    for (const node of ip.candidates) {
      const peer = input.peers.get(node);
      if (node === input.self || !peer) continue;
      if (peer.claims !== undefined && peer.claims.get(ip.ip) !== ip.tag) continue;
      if (compareFreshness(peer, input.me, this.settings.staleAfterMs) >= 0) return node;
    }
    return null;
  }

  /** Strict total order between two speakers for one IP: fresher first, then rendezvous rank. */
  private beats(args: { a: string; fa: Freshness; b: string; fb: Freshness; ip: string }): boolean {
    const cmp = compareFreshness(args.fa, args.fb, this.settings.staleAfterMs);
    if (cmp !== 0) return cmp > 0;
    const ra = { node: args.a, score: nodeScore(args.a, args.ip) };
    const rb = { node: args.b, score: nodeScore(args.b, args.ip) };
    return compareRanked(ra, rb) < 0;
  }
}

/** When the candidate at `index` got its current place (its prefix in the ranking last changed). */
function placedAt(memory: IpMemory, index: number): number {
  let at = Number.NEGATIVE_INFINITY;
  for (const s of memory.steps) if (s.fromIndex <= index) at = s.atMs;
  return at;
}

function firstDifference(a: readonly string[], b: readonly string[]): number | null {
  if (a === b) return null;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? null : n;
}

/** IP → alive peers claiming it (any tag), built once per decision round. */
function claimersByIp(peers: ReadonlyMap<string, PeerClaims>): Map<string, string[]> {
  const byIp = new Map<string, string[]>();
  for (const [node, peer] of peers) {
    for (const ip of peer.claims?.keys() ?? []) {
      const list = byIp.get(ip);
      if (list) list.push(node);
      else byIp.set(ip, [node]);
    }
  }
  return byIp;
}

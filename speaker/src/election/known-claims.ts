import type { Freshness } from './freshness.js';

/** What a peer last told us: its freshness and its claims. */
export interface PeerClaims extends Freshness {
  /** canonical IP → owner tag; undefined while unknown (counts as claiming nothing). */
  claims: ReadonlyMap<string, number> | undefined;
}

/**
 * Bridges the moments a peer's claim set is unknown while it is being re-assembled (membership reports
 * `claims: undefined` from the heartbeat announcing a new set until all of its chunks have arrived): for up to
 * `holdMs` the peer's last complete set stands in for it, so a peer that changes one claim is not taken for a
 * peer that claims nothing (which would make its other IPs move away and back).
 *
 * Invariants: a defined set always wins and is remembered; an unknown set is replaced by the last complete one
 * only during the first `holdMs` of the gap, then stays unknown; dead peers (absent from the input) are
 * forgotten, so a restarted peer starts from nothing.
 */
export class KnownClaims {
  private readonly last = new Map<
    string,
    { claims: ReadonlyMap<string, number>; unknownSinceMs: number | null }
  >();

  constructor(private readonly holdMs: number) {}

  resolve(
    peers: ReadonlyMap<string, PeerClaims>,
    nowMs: number,
  ): { peers: ReadonlyMap<string, PeerClaims>; nextAtMs: number | null } {
    const out = new Map<string, PeerClaims>();
    let nextAtMs: number | null = null;
    for (const [node, peer] of peers) {
      const known = this.last.get(node);
      if (peer.claims !== undefined) {
        this.last.set(node, { claims: peer.claims, unknownSinceMs: null });
        out.set(node, peer);
        continue;
      }
      if (!known) {
        out.set(node, peer);
        continue;
      }
      known.unknownSinceMs ??= nowMs;
      const until = known.unknownSinceMs + this.holdMs;
      if (nowMs < until) {
        out.set(node, { ...peer, claims: known.claims });
        nextAtMs = Math.min(nextAtMs ?? Number.POSITIVE_INFINITY, until);
      } else out.set(node, peer);
    }
    for (const node of [...this.last.keys()]) if (!peers.has(node)) this.last.delete(node);
    return { peers: out, nextAtMs };
  }
}

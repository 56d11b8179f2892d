import {
  EMPTY_CLAIM_SET,
  checkClaim,
  prepareClaimSet,
  sameClaims,
  sameDigest,
  type ClaimSet,
} from './claim-set.js';
import { parseMac } from '../packet/index.js';
import { MAX_MACS, type PeerState } from './heartbeat-codec.js';
import type { LocalState } from './types.js';

/**
 * What this speaker tells its peers, in wire-ready form. Pure.
 *
 * Invariants:
 * - MACs are normalised (lower case), de-duplicated and sorted; at most MAX_MACS are carried, the
 *   lowest ones, so the choice is deterministic. Dropping any is reported once.
 * - Invalid claims (non-canonical IP text, owner tag not a uint32) are a caller bug: they are left out
 *   and reported, never sent, never thrown.
 * - `update` reports `claims: true` exactly when the claim set's digest changed, and `heartbeat: true`
 *   when anything a heartbeat carries changed. The staleness age is not a change while it grows as
 *   predicted (reported age + time since it was reported); it is when it departs from that by more
 *   than `toleranceMs` (the view was refreshed), so pre-signed heartbeats are re-signed.
 * - Times are the caller's monotonic clock.
 */
export class LocalClaims {
  private claims: ReadonlyMap<string, number> = new Map();
  private set: ClaimSet = EMPTY_CLAIM_SET;
  private macs: string[] = [];
  private stale = false;
  private stalenessMs = 0;
  private reportedAtMs = 0;

  constructor(private readonly options: { warn: (message: string) => void; toleranceMs: number }) {}

  update(state: LocalState, nowMs: number): { claims: boolean; heartbeat: boolean } {
    const macs = this.boundMacs(state.macs);
    const predicted = this.stalenessAt(nowMs);
    let heartbeat =
      state.stale !== this.stale ||
      macs.join(',') !== this.macs.join(',') ||
      Math.abs(state.stalenessMs - predicted) > this.options.toleranceMs;
    let claims = false;
    if (!sameClaims(state.claims, this.claims)) {
      const set = this.prepare(state.claims);
      this.claims = new Map(state.claims);
      claims = !sameDigest(set.digest, this.set.digest);
      this.set = set;
      heartbeat ||= claims;
    }
    this.macs = macs;
    this.stale = state.stale;
    this.stalenessMs = state.stalenessMs;
    this.reportedAtMs = nowMs;
    return { claims, heartbeat };
  }

  /** What a heartbeat sent at `atMs` says (our view keeps ageing until the next report). */
  heartbeatState(atMs: number): PeerState {
    return {
      stalenessMs: this.stalenessAt(atMs),
      stale: this.stale,
      digest: this.set.digest,
      macs: this.macs,
    };
  }

  private stalenessAt(atMs: number): number {
    return this.stalenessMs + Math.max(0, atMs - this.reportedAtMs);
  }

  claimSet(): ClaimSet {
    return this.set;
  }

  private prepare(claims: ReadonlyMap<string, number>): ClaimSet {
    const prepared = prepareClaimSet(claims);
    if (prepared.ok) return prepared.value;
    const valid = new Map<string, number>();
    for (const [ip, tag] of claims) {
      const problem = checkClaim(ip, tag);
      if (problem) this.options.warn(`claim ${JSON.stringify(ip)} not published: ${problem}`);
      else valid.set(ip, tag);
    }
    const retried = prepareClaimSet(valid);
    return retried.ok ? retried.value : EMPTY_CLAIM_SET;
  }

  private boundMacs(input: readonly string[]): string[] {
    const macs = new Set<string>();
    for (const mac of input) {
      const lower = mac.toLowerCase();
      if (parseMac(lower)) macs.add(lower);
      else this.options.warn(`not a MAC address, not sent to peers: ${JSON.stringify(mac)}`);
    }
    const sorted = [...macs].sort();
    if (sorted.length > MAX_MACS)
      this.options.warn(
        `announcing on more than ${MAX_MACS} interfaces: heartbeats carry only the ${MAX_MACS} lowest MACs`,
      );
    return sorted.slice(0, MAX_MACS);
  }
}

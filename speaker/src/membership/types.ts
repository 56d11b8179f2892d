/**
 * The contract between membership (what peers tell us over UDP) and the election (what we decide).
 *
 * Invariants:
 * - Claim keys are canonical IP text (as formatted by `@ironlb/shared` ip helpers); the value is a 32-bit
 *   owner tag chosen by the election (e.g. a hash of the owning Service), carried verbatim.
 * - `PeerReport.claims` is `undefined` until we hold a complete claim set whose digest equals the digest the
 *   peer advertised in its latest heartbeat; it is never a partial or mixed set.
 * - `stale` is the sender's own verdict ("my view of the API is older than the configured limit");
 *   `stalenessMs` is how old that view is, as the sender measured it.
 */
export interface LocalState {
  /** IPs this speaker claims (announces or is about to): canonical IP text → 32-bit owner tag. */
  claims: ReadonlyMap<string, number>;
  /** Age of our view of the API server (time since the last successful watch event or relist). */
  stalenessMs: number;
  /** True when stalenessMs is past the configured limit. */
  stale: boolean;
  /** MACs of the interfaces we announce on (peers tell a handover from a conflict with them). */
  macs: readonly string[];
}

export interface PeerReport {
  node: string;
  stalenessMs: number;
  stale: boolean;
  /** undefined until a complete set matching the peer's latest digest is held. */
  claims: ReadonlyMap<string, number> | undefined;
  macs: readonly string[];
}

export interface MembershipChange {
  node: string;
  alive: boolean;
  reason: string;
}

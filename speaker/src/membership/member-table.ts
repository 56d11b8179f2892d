import type { Envelope, Heartbeat, PeerState } from './heartbeat-codec.js';
import type { MembershipChange } from './types.js';

/**
 * Liveness bookkeeping and admission of membership datagrams. Pure: callers pass the clocks.
 *
 * Invariants:
 * - A datagram is admitted only if its signed timestamp is within `clockWindowMs` of our wall clock and
 *   its signed sender address equals both the datagram's source address and the address we know for
 *   that node (its Node object). So a restarted receiver, which has no ordering state, cannot be fed
 *   heartbeats captured more than the window ago, nor heartbeats re-sent from another host.
 * - A member is alive iff its last accepted "alive" heartbeat arrived less than `timeoutMs` ago (local
 *   monotonic time) and no "leaving" with the same incarnation was accepted after it.
 * - Heartbeats are accepted only in order: a higher incarnation (the peer restarted), or the same
 *   incarnation with a higher sequence. Anything else is a replay or a reordering and is dropped.
 * - Claim chunks and pulls are accepted only from an alive member's current incarnation.
 * - A complete claim set sent at a sequence above the last heartbeat's becomes the member's advertised
 *   digest at once (`adoptDigest`); a heartbeat older than that sequence does not revert it.
 * - `sweep` must not declare members dead for a period in which *we* could not read the socket: the
 *   caller reports its own stalls with `noteStall`, and silence that overlaps a stall is forgiven.
 */
export interface MemberState {
  node: string;
  incarnation: bigint;
  sequence: number;
  state: PeerState;
  /** Sequence at which `state.digest` was learned (a heartbeat's, or a newer complete claim set's). */
  digestSequence: number;
  lastHeardMs: number;
  alive: boolean;
}

/** Where and when a datagram arrived. Addresses are canonical text (see normalizeAddress). */
export interface Arrival {
  monotonicMs: number;
  wallMs: number;
  source: string | undefined;
  /** The address of the sender's Node object, undefined if the node is not a known peer. */
  known: string | undefined;
}

export interface MemberTableOptions {
  timeoutMs: number;
  clockWindowMs: number;
}

export type Observation =
  | { accepted: false; reason: string }
  | { accepted: true; change: MembershipChange | null; stateChanged: boolean };

export type { MembershipChange };

export class MemberTable {
  private readonly members = new Map<string, MemberState>();
  private forgivenUntilMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: MemberTableOptions) {}

  /** Checks time and address binding of any datagram; undefined when admitted, else the reason. */
  admit(envelope: Envelope, at: Arrival): string | undefined {
    const skew = envelope.timestampMs - at.wallMs;
    if (!(Math.abs(skew) <= this.options.clockWindowMs)) return `timestamp outside the window (${skew} ms)`;
    if (at.known === undefined) return 'unknown node';
    if (envelope.address !== at.known)
      return `signed address ${envelope.address} is not the node's ${at.known}`;
    if (envelope.address !== at.source)
      return `signed address ${envelope.address} is not the source ${String(at.source)}`;
    return undefined;
  }

  /** Admission of a claim chunk or pull: a checked datagram from an alive member's current incarnation. */
  admitFromMember(envelope: Envelope, at: Arrival): string | undefined {
    const rejected = this.admit(envelope, at);
    if (rejected) return rejected;
    const known = this.members.get(envelope.node);
    if (!known?.alive || known.incarnation !== envelope.incarnation) return 'not from an alive incarnation';
    return undefined;
  }

  /** Applies one verified heartbeat. */
  observe(hb: Heartbeat, at: Arrival): Observation {
    const rejected = this.admit(hb, at);
    if (rejected) return { accepted: false, reason: rejected };
    const known = this.members.get(hb.node);
    if (known && !isNewer(hb, known)) return { accepted: false, reason: 'replayed or reordered' };
    const wasAlive = known?.alive ?? false;
    const alive = hb.kind === 'alive';
    const { state, digestSequence } = mergeState(known, hb);
    const stateChanged = !known || differs(known.state, state);
    this.members.set(hb.node, {
      node: hb.node,
      incarnation: hb.incarnation,
      sequence: hb.sequence,
      state,
      digestSequence,
      lastHeardMs: at.monotonicMs,
      alive,
    });
    const change =
      alive === wasAlive
        ? null
        : { node: hb.node, alive, reason: alive ? 'heartbeat received' : 'speaker is leaving' };
    return { accepted: true, change, stateChanged };
  }

  /**
   * A complete claim set `digest`, sent by `envelope`'s sender at its sequence, becomes the advertised one if
   * it is newer than everything we heard from that incarnation. Returns whether the digest changed.
   */
  adoptDigest(envelope: Envelope, digest: PeerState['digest']): boolean {
    const known = this.members.get(envelope.node);
    if (!known?.alive || known.incarnation !== envelope.incarnation) return false;
    if (envelope.sequence <= Math.max(known.sequence, known.digestSequence)) return false;
    const changed = known.state.digest.hash !== digest.hash || known.state.digest.count !== digest.count;
    known.state = { ...known.state, digest };
    known.digestSequence = envelope.sequence;
    return changed;
  }

  /** Records that our own event loop could not run until `toMs`. */
  noteStall(toMs: number): void {
    this.forgivenUntilMs = Math.max(this.forgivenUntilMs, toMs);
  }

  /** Marks members silent for longer than the timeout as dead. */
  sweep(nowMs: number): MembershipChange[] {
    const changes: MembershipChange[] = [];
    for (const member of this.members.values()) {
      if (!member.alive) continue;
      // Silence is measured from the later of the last heartbeat and the end of our own stall.
      const since = Math.max(member.lastHeardMs, this.forgivenUntilMs);
      const silentMs = nowMs - since;
      if (silentMs >= this.options.timeoutMs) {
        member.alive = false;
        changes.push({
          node: member.node,
          alive: false,
          reason: `no heartbeat for ${Math.round(silentMs)} ms`,
        });
      }
    }
    return changes;
  }

  /** Forgets members that are no longer candidate peers (e.g. the Node object was deleted). */
  retain(nodes: ReadonlySet<string>): MembershipChange[] {
    const changes: MembershipChange[] = [];
    for (const [name, member] of this.members) {
      if (nodes.has(name)) continue;
      this.members.delete(name);
      if (member.alive) changes.push({ node: name, alive: false, reason: 'node removed' });
    }
    return changes;
  }

  alive(): string[] {
    return [...this.members.values()].filter((m) => m.alive).map((m) => m.node);
  }

  get(node: string): MemberState | undefined {
    return this.members.get(node);
  }

  all(): MemberState[] {
    return [...this.members.values()];
  }
}

/** A heartbeat's state, keeping a digest adopted from a claim set sent after the heartbeat was signed. */
function mergeState(
  known: MemberState | undefined,
  hb: Heartbeat,
): { state: PeerState; digestSequence: number } {
  if (known?.incarnation !== hb.incarnation || hb.sequence >= known.digestSequence)
    return { state: hb.state, digestSequence: hb.sequence };
  return { state: { ...hb.state, digest: known.state.digest }, digestSequence: known.digestSequence };
}

/** What peers re-plan on: the stale flag or the claim set. */
function differs(a: PeerState, b: PeerState): boolean {
  return a.stale !== b.stale || a.digest.hash !== b.digest.hash || a.digest.count !== b.digest.count;
}

function isNewer(hb: Heartbeat, known: MemberState): boolean {
  if (hb.incarnation !== known.incarnation) return hb.incarnation > known.incarnation;
  return hb.sequence > known.sequence;
}

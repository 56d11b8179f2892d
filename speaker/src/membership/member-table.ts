import type { Heartbeat } from './heartbeat-codec.js';
import type { MembershipChange } from './types.js';

/**
 * Liveness bookkeeping for speaker membership. Pure: callers pass the time.
 *
 * Invariants:
 * - A member is alive iff its last accepted "alive" heartbeat arrived less than `timeoutMs` ago (local
 *   monotonic time) and no "leaving" with the same incarnation was accepted after it.
 * - Heartbeats are accepted only in order: a higher incarnation (the peer restarted), or the same
 *   incarnation with a higher sequence. Anything else is a replay or a reordering and is dropped.
 * - `sweep` must not declare members dead for a period in which *we* could not read the socket: the
 *   caller reports its own stalls with `noteStall`, and silence that overlaps a stall is forgiven.
 */
export interface MemberState {
  node: string;
  incarnation: bigint;
  sequence: number;
  macs: string[];
  lastHeardMs: number;
  alive: boolean;
}

export type { MembershipChange };

export class MemberTable {
  private readonly members = new Map<string, MemberState>();
  private forgivenUntilMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly timeoutMs: number) {}

  /** Applies one verified heartbeat; returns the change it caused, if any. */
  observe(hb: Heartbeat, nowMs: number): MembershipChange | null {
    const known = this.members.get(hb.node);
    if (known && !isNewer(hb, known)) return null;
    const wasAlive = known?.alive ?? false;
    const alive = hb.kind === 'alive';
    this.members.set(hb.node, {
      node: hb.node,
      incarnation: hb.incarnation,
      sequence: hb.sequence,
      macs: hb.macs,
      lastHeardMs: nowMs,
      alive,
    });
    if (alive === wasAlive) return null;
    return { node: hb.node, alive, reason: alive ? 'heartbeat received' : 'speaker is leaving' };
  }

  /** Records that our own event loop could not run between `fromMs` and `toMs`. */
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
      if (silentMs >= this.timeoutMs) {
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

function isNewer(hb: Heartbeat, known: MemberState): boolean {
  if (hb.incarnation !== known.incarnation) return hb.incarnation > known.incarnation;
  return hb.sequence > known.sequence;
}

import { describe, expect, it } from 'vitest';
import { EMPTY_CLAIM_SET } from './claim-set.js';
import type { Heartbeat } from './heartbeat-codec.js';
import { MemberTable, type Arrival } from './member-table.js';

const WALL = 1_764_500_000_000;
const ADDRESS: Record<string, string> = { a: '192.0.2.1', b: '192.0.2.2' };

function beat(node: string, sequence: number, extra: Partial<Heartbeat> = {}): Heartbeat {
  return {
    kind: 'alive',
    node,
    incarnation: 1n,
    sequence,
    timestampMs: WALL,
    address: ADDRESS[node] ?? '::',
    state: { stalenessMs: 0, stale: false, digest: EMPTY_CLAIM_SET.digest, macs: [] },
    ...extra,
  };
}

/** Arrival at monotonic time t, wall clock WALL + t, from the node's own address. */
function at(t: number, hb: { node: string }, extra: Partial<Arrival> = {}): Arrival {
  const address = ADDRESS[hb.node];
  return { monotonicMs: t, wallMs: WALL + t, source: address, known: address, ...extra };
}

function table(): MemberTable {
  return new MemberTable({ timeoutMs: 500, clockWindowMs: 5000 });
}

/** Observes `hb` arriving at monotonic `when` (or `when.time`, with overrides of the arrival). */
function observe(
  t: MemberTable,
  hb: Heartbeat,
  when: number | (Partial<Arrival> & { time: number }),
): ReturnType<MemberTable['observe']> {
  const { time, ...extra } = typeof when === 'number' ? { time: when } : when;
  return t.observe(hb, at(time, hb, extra));
}

describe('MemberTable liveness', () => {
  it('marks a member alive on its first heartbeat and dead after the timeout', () => {
    const t = table();
    expect(observe(t, beat('b', 1), 0)).toEqual({
      accepted: true,
      change: { node: 'b', alive: true, reason: 'heartbeat received' },
      stateChanged: true,
    });
    expect(t.sweep(499)).toEqual([]);
    expect(t.sweep(500)).toEqual([{ node: 'b', alive: false, reason: 'no heartbeat for 500 ms' }]);
    expect(t.alive()).toEqual([]);
  });

  it('keeps a member alive while heartbeats keep coming', () => {
    const t = table();
    for (let time = 0; time <= 5000; time += 100) {
      observe(t, beat('b', time / 100 + 1, { timestampMs: WALL + time }), time);
      expect(t.sweep(time + 50)).toEqual([]);
    }
    expect(t.alive()).toEqual(['b']);
  });

  it('drops replayed and reordered heartbeats', () => {
    const t = table();
    observe(t, beat('b', 5), 0);
    t.sweep(600);
    expect(observe(t, beat('b', 5), 700)).toEqual({ accepted: false, reason: 'replayed or reordered' });
    expect(observe(t, beat('b', 4), 700).accepted).toBe(false);
    expect(t.alive()).toEqual([]);
    const next = observe(t, beat('b', 6), 700);
    expect(next.accepted && next.change?.alive).toBe(true);
  });

  it('accepts a restarted peer (higher incarnation, sequence starting over)', () => {
    const t = table();
    observe(t, beat('b', 900), 0);
    t.sweep(1000);
    const seen = observe(t, beat('b', 0, { incarnation: 2n }), 1100);
    expect(seen.accepted && seen.change?.alive).toBe(true);
  });

  it('takes a leaving member out at once, and an older alive does not resurrect it', () => {
    const t = table();
    observe(t, beat('b', 1), 0);
    const left = observe(t, beat('b', 2, { kind: 'leaving' }), 10);
    expect(left.accepted && left.change).toEqual({ node: 'b', alive: false, reason: 'speaker is leaving' });
    expect(observe(t, beat('b', 1), 20).accepted).toBe(false);
    expect(t.alive()).toEqual([]);
  });

  it('reports a state change when the digest or the stale flag changes, not for the same state', () => {
    const t = table();
    observe(t, beat('b', 1), 0);
    expect(observe(t, beat('b', 2), 100)).toMatchObject({ accepted: true, stateChanged: false });
    const digest = { hash: 9n, count: 1 };
    const changed = beat('b', 3, { state: { stalenessMs: 0, stale: false, digest, macs: [] } });
    expect(observe(t, changed, 200)).toMatchObject({ accepted: true, stateChanged: true });
    const stale = beat('b', 4, { state: { stalenessMs: 9000, stale: true, digest, macs: [] } });
    expect(observe(t, stale, 300)).toMatchObject({ accepted: true, stateChanged: true });
    expect(t.get('b')?.state.stale).toBe(true);
  });

  it('adopts the digest of a claim set sent after the last heartbeat, and an older heartbeat does not revert it', () => {
    const t = table();
    const a = { hash: 1n, count: 1 };
    const b = { hash: 2n, count: 2 };
    const withDigest = (sequence: number, digest: typeof a): Heartbeat =>
      beat('b', sequence, { state: { stalenessMs: 0, stale: false, digest, macs: [] } });
    observe(t, withDigest(3, a), 0);
    // Chunks sent at or before the last heartbeat's slot, or by another incarnation, change nothing.
    expect(t.adoptDigest({ ...withDigest(3, a), incarnation: 1n }, b)).toBe(false);
    expect(t.adoptDigest({ ...withDigest(6, a), incarnation: 2n }, b)).toBe(false);
    expect(t.adoptDigest(withDigest(6, a), b)).toBe(true);
    expect(t.get('b')?.state.digest).toEqual(b);
    // A heartbeat signed before the chunks but delivered after them (slot 5) keeps b.
    expect(observe(t, withDigest(5, a), 100)).toMatchObject({ accepted: true, stateChanged: false });
    expect(t.get('b')?.state.digest).toEqual(b);
    expect(observe(t, withDigest(7, b), 200)).toMatchObject({ accepted: true, stateChanged: false });
    const c = { hash: 3n, count: 3 };
    expect(observe(t, withDigest(8, c), 300)).toMatchObject({ accepted: true, stateChanged: true });
  });

  it('forgives silence that overlaps our own stall', () => {
    const t = table();
    observe(t, beat('b', 1), 0);
    // We were frozen until t=900: the peer's datagrams are still unread in the socket.
    t.noteStall(900);
    expect(t.sweep(950)).toEqual([]);
    observe(t, beat('b', 2), 960);
    expect(t.sweep(1300)).toEqual([]);
    // A peer that is really gone is still detected once the forgiven window has passed.
    expect(t.sweep(1460)).toHaveLength(1);
  });

  it('forgets members whose Node disappeared', () => {
    const t = table();
    observe(t, beat('a', 1), 0);
    observe(t, beat('b', 1), 0);
    expect(t.retain(new Set(['a']))).toEqual([{ node: 'b', alive: false, reason: 'node removed' }]);
    expect(t.alive()).toEqual(['a']);
  });
});

describe('MemberTable replay protection', () => {
  it('a restarted receiver rejects a replayed heartbeat of a dead peer once it is older than the window', () => {
    // The peer sent this at WALL and died. The receiver restarts 6 s later with an empty table and an
    // attacker replays the captured datagram.
    const captured = beat('b', 41);
    const restarted = table();
    const replay = restarted.observe(captured, { ...at(0, captured), wallMs: WALL + 6000 });
    expect(replay).toEqual({ accepted: false, reason: 'timestamp outside the window (-6000 ms)' });
    expect(restarted.alive()).toEqual([]);
    // The same datagram within the window is accepted (that is the window's price: at most 5 s).
    expect(restarted.observe(captured, { ...at(0, captured), wallMs: WALL + 4000 }).accepted).toBe(true);
  });

  it('rejects timestamps from the future beyond the window', () => {
    const t = table();
    const early = beat('b', 1, { timestampMs: WALL + 5001 });
    expect(t.observe(early, at(0, early)).accepted).toBe(false);
  });

  it('rejects a heartbeat whose source is not the signed address', () => {
    const t = table();
    const hb = beat('b', 1);
    expect(observe(t, hb, { time: 0, source: '192.0.2.66' })).toEqual({
      accepted: false,
      reason: 'signed address 192.0.2.2 is not the source 192.0.2.66',
    });
    expect(t.alive()).toEqual([]);
  });

  it("rejects a heartbeat whose signed address is not the node's address, even from that source", () => {
    const t = table();
    // Re-sent from another host by someone who holds the key but is not node b.
    const hb = beat('b', 1, { address: '192.0.2.66' });
    expect(observe(t, hb, { time: 0, source: '192.0.2.66' })).toEqual({
      accepted: false,
      reason: "signed address 192.0.2.66 is not the node's 192.0.2.2",
    });
  });

  it('accepts claim chunks and pulls only from the current incarnation of an alive member', () => {
    const t = table();
    const hb = beat('b', 1, { incarnation: 7n });
    expect(t.admitFromMember(hb, at(0, hb))).toBe('not from an alive incarnation');
    observe(t, hb, 0);
    expect(t.admitFromMember(hb, at(10, hb))).toBeUndefined();
    expect(t.admitFromMember({ ...hb, incarnation: 6n }, at(10, hb))).toBe('not from an alive incarnation');
    expect(t.admitFromMember(hb, at(10, hb, { source: '192.0.2.9' }))).toMatch(/not the source/);
  });
});

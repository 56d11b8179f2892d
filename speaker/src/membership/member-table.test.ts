import { describe, expect, it } from 'vitest';
import type { Heartbeat } from './heartbeat-codec.js';
import { MemberTable } from './member-table.js';

function beat(node: string, sequence: number, extra: Partial<Heartbeat> = {}): Heartbeat {
  return { kind: 'alive', node, incarnation: 1n, sequence, macs: [], ...extra };
}

describe('MemberTable', () => {
  it('marks a member alive on its first heartbeat and dead after the timeout', () => {
    const table = new MemberTable(500);
    expect(table.observe(beat('b', 1), 0)).toEqual({ node: 'b', alive: true, reason: 'heartbeat received' });
    expect(table.sweep(499)).toEqual([]);
    expect(table.sweep(500)).toEqual([{ node: 'b', alive: false, reason: 'no heartbeat for 500 ms' }]);
    expect(table.alive()).toEqual([]);
  });

  it('keeps a member alive while heartbeats keep coming', () => {
    const table = new MemberTable(500);
    for (let t = 0; t <= 5000; t += 100) {
      table.observe(beat('b', t / 100 + 1), t);
      expect(table.sweep(t + 50)).toEqual([]);
    }
    expect(table.alive()).toEqual(['b']);
  });

  it('drops replayed and reordered heartbeats', () => {
    const table = new MemberTable(500);
    table.observe(beat('b', 5), 0);
    table.sweep(600);
    expect(table.observe(beat('b', 5), 700)).toBeNull();
    expect(table.observe(beat('b', 4), 700)).toBeNull();
    expect(table.alive()).toEqual([]);
    expect(table.observe(beat('b', 6), 700)?.alive).toBe(true);
  });

  it('accepts a restarted peer (higher incarnation, sequence starting over)', () => {
    const table = new MemberTable(500);
    table.observe(beat('b', 900), 0);
    table.sweep(1000);
    expect(table.observe(beat('b', 0, { incarnation: 2n }), 1100)?.alive).toBe(true);
  });

  it('takes a leaving member out at once', () => {
    const table = new MemberTable(500);
    table.observe(beat('b', 1), 0);
    expect(table.observe(beat('b', 2, { kind: 'leaving' }), 10)).toEqual({
      node: 'b',
      alive: false,
      reason: 'speaker is leaving',
    });
    // A stale "alive" from before the leave does not resurrect it.
    expect(table.observe(beat('b', 1), 20)).toBeNull();
    expect(table.alive()).toEqual([]);
  });

  it('forgives silence that overlaps our own stall', () => {
    const table = new MemberTable(500);
    table.observe(beat('b', 1), 0);
    // We were frozen until t=900: the peer's datagrams are still unread in the socket.
    table.noteStall(900);
    expect(table.sweep(950)).toEqual([]);
    table.observe(beat('b', 2), 960);
    expect(table.sweep(1300)).toEqual([]);
    // A peer that is really gone is still detected once the forgiven window has passed.
    expect(table.sweep(1460)).toHaveLength(1);
  });

  it('forgets members whose Node disappeared', () => {
    const table = new MemberTable(500);
    table.observe(beat('a', 1), 0);
    table.observe(beat('b', 1), 0);
    expect(table.retain(new Set(['a']))).toEqual([{ node: 'b', alive: false, reason: 'node removed' }]);
    expect(table.alive()).toEqual(['a']);
  });
});

import { describe, expect, it } from 'vitest';
import { KnownClaims, type PeerClaims } from './known-claims.js';

const FRESH = { stale: false, stalenessMs: 0 };
const set = (entries: Record<string, number>): ReadonlyMap<string, number> =>
  new Map(Object.entries(entries));
const peers = (claims: ReadonlyMap<string, number> | undefined): Map<string, PeerClaims> =>
  new Map([['n1', { ...FRESH, claims }]]);

describe('KnownClaims', () => {
  it('stands in the last complete set for holdMs while a new one is re-assembled, then reports it unknown', () => {
    const known = new KnownClaims(2000);
    expect(known.resolve(peers(set({ a: 1 })), 0).peers.get('n1')?.claims).toEqual(set({ a: 1 }));
    const gap = known.resolve(peers(undefined), 100);
    expect(gap.peers.get('n1')?.claims).toEqual(set({ a: 1 }));
    expect(gap.nextAtMs).toBe(2100);
    expect(known.resolve(peers(undefined), 2099).peers.get('n1')?.claims).toEqual(set({ a: 1 }));
    expect(known.resolve(peers(undefined), 2100).peers.get('n1')?.claims).toBeUndefined();
    // A complete set wins at once and starts a new gap count next time.
    expect(known.resolve(peers(set({ b: 2 })), 3000).peers.get('n1')?.claims).toEqual(set({ b: 2 }));
    expect(known.resolve(peers(undefined), 3500).nextAtMs).toBe(5500);
  });

  it('never invents a set for a peer it has not heard a complete one from, and forgets dead peers', () => {
    const known = new KnownClaims(2000);
    expect(known.resolve(peers(undefined), 0).peers.get('n1')?.claims).toBeUndefined();
    known.resolve(peers(set({ a: 1 })), 10);
    known.resolve(new Map(), 20); // n1 died
    expect(known.resolve(peers(undefined), 30).peers.get('n1')?.claims).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { LocalClaims } from './local-claims.js';
import type { LocalState } from './types.js';

function state(extra: Partial<LocalState> = {}): LocalState {
  return { claims: new Map(), stalenessMs: 0, stale: false, macs: [], ...extra };
}

function mac(i: number): string {
  return `02:00:00:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
}

describe('LocalClaims', () => {
  it('reports a claims change only when the digest changes', () => {
    const local = new LocalClaims({ warn: () => undefined, toleranceMs: 100 });
    const claims = new Map([['10.0.0.1', 1]]);
    expect(local.update(state({ claims }), 0)).toEqual({ claims: true, heartbeat: true });
    expect(local.update(state({ claims: new Map(claims) }), 0)).toEqual({ claims: false, heartbeat: false });
    // The caller mutating its own map after publishing does not alter what we hold.
    claims.set('10.0.0.2', 2);
    expect(local.claimSet().digest.count).toBe(1);
    expect(local.update(state({ claims }), 0)).toEqual({ claims: true, heartbeat: true });
  });

  it('does not re-sign while the staleness age grows as predicted, does when the view is refreshed', () => {
    const local = new LocalClaims({ warn: () => undefined, toleranceMs: 100 });
    expect(local.update(state({ stalenessMs: 100 }), 0)).toEqual({ claims: false, heartbeat: false });
    // A heartbeat sent 50 ms later says the view is 50 ms older.
    expect(local.heartbeatState(50).stalenessMs).toBe(150);
    expect(local.update(state({ stalenessMs: 1100 }), 1000)).toEqual({ claims: false, heartbeat: false });
    // The view was refreshed: pre-signed heartbeats would overstate its age.
    expect(local.update(state({ stalenessMs: 10 }), 2000)).toEqual({ claims: false, heartbeat: true });
    expect(local.heartbeatState(2000).stalenessMs).toBe(10);
    expect(local.update(state({ stalenessMs: 9000, stale: true }), 2000)).toEqual({
      claims: false,
      heartbeat: true,
    });
  });

  it('carries the 8 lowest distinct MACs of 300 interfaces and warns once', () => {
    const warnings: string[] = [];
    const local = new LocalClaims({ warn: (m) => warnings.push(m), toleranceMs: 100 });
    const macs = Array.from({ length: 300 }, (_, i) => mac(299 - i).toUpperCase());
    local.update(state({ macs: [...macs, ...macs] }), 0);
    local.update(state({ macs }), 0);
    expect(local.heartbeatState(0).macs).toEqual(Array.from({ length: 8 }, (_, i) => mac(i)));
    expect(new Set(warnings).size).toBe(1);
  });

  it('leaves out invalid claims and MACs instead of throwing', () => {
    const warnings: string[] = [];
    const local = new LocalClaims({ warn: (m) => warnings.push(m), toleranceMs: 100 });
    local.update(
      state({
        claims: new Map([
          ['10.0.0.1', 1],
          ['bogus', 2],
          ['10.0.0.3', -4],
        ]),
        macs: ['nope'],
      }),
      0,
    );
    expect(local.claimSet().digest.count).toBe(1);
    expect(local.heartbeatState(0).macs).toEqual([]);
    expect(warnings).toHaveLength(3);
  });
});

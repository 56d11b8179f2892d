import type { BgpSessionState } from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import {
  parseNeighborDetail,
  sessionEventNote,
  sessionEvents,
  type SessionEvent,
  type SessionTrack,
} from './session-events.js';

const A = '192.0.2.61';
const B = '2001:db8::61';
const GRACE = 60_000;

/** Feeds polls (ms, address → state) through sessionEvents; returns every event with the poll time. */
function run(
  polls: [number, Record<string, BgpSessionState | undefined>][],
  wanted: (t: number) => string[] = () => [A],
): { t: number; event: SessionEvent }[] {
  let tracks = new Map<string, SessionTrack>();
  const out: { t: number; event: SessionEvent }[] = [];
  for (const [t, states] of polls) {
    const map = new Map(
      Object.entries(states).flatMap(([a, s]) => (s === undefined ? [] : [[a, s] as const])),
    );
    const r = sessionEvents({ tracks, states: map, wanted: new Set(wanted(t)), now: t, graceMs: GRACE });
    tracks = r.tracks;
    out.push(...r.events.map((event) => ({ t, event })));
  }
  return out;
}

describe('sessionEvents', () => {
  it('a session up within the grace time gives no event', () => {
    expect(
      run([
        [0, { [A]: 'Active' }],
        [30_000, { [A]: 'Connect' }],
        [59_000, { [A]: 'Established' }],
        [200_000, { [A]: 'Established' }],
      ]),
    ).toEqual([]);
  });

  it('never Established: one Warning after the grace time, however long it stays so; Normal when it comes up', () => {
    const polls: [number, Record<string, BgpSessionState | undefined>][] = [];
    for (let t = 0; t <= 600_000; t += 10_000)
      polls.push([t, { [A]: t % 20_000 === 0 ? 'Active' : 'Connect' }]);
    polls.push([610_000, { [A]: 'Established' }]);
    expect(run(polls)).toEqual([
      { t: 60_000, event: { kind: 'not-established', address: A, state: 'Active', forMs: 60_000 } },
      {
        t: 610_000,
        event: {
          kind: 'established',
          address: A,
          state: 'Established',
          forMs: 610_000,
          after: 'not-established',
        },
      },
    ]);
  });

  it('a session FRR does not have at all counts as not Established (state undefined)', () => {
    expect(
      run([
        [0, {}],
        [GRACE, {}],
        [GRACE * 2, {}],
      ]),
    ).toEqual([{ t: GRACE, event: { kind: 'not-established', address: A, state: undefined, forMs: GRACE } }]);
  });

  it('down then back: one Warning when it leaves Established, one Normal when it is back, per episode', () => {
    expect(
      run([
        [0, { [A]: 'Established' }],
        [1_000, { [A]: 'Active' }],
        [2_000, { [A]: 'Connect' }],
        [300_000, { [A]: 'Idle' }],
        [301_000, { [A]: 'Established' }],
        [302_000, { [A]: 'Established' }],
        [303_000, { [A]: 'Idle' }],
        [304_000, { [A]: 'Established' }],
      ]).map(({ t, event }) => [t, event.kind, event.forMs]),
    ).toEqual([
      [1_000, 'down', 0],
      [301_000, 'established', 300_000],
      [303_000, 'down', 0],
      [304_000, 'established', 1_000],
    ]);
  });

  it('a session down for longer than the grace time gives no not-established on top of the down', () => {
    expect(
      run([
        [0, { [A]: 'Established' }],
        [1_000, { [A]: 'Active' }],
        [GRACE * 3, { [A]: 'Active' }],
      ]).map(({ event }) => event.kind),
    ).toEqual(['down']);
  });

  it('a session no longer wanted is forgotten without an event; wanted again it starts a new episode', () => {
    const wanted = (t: number): string[] => (t >= 10_000 && t < 20_000 ? [] : [A]);
    expect(
      run(
        [
          [0, { [A]: 'Established' }],
          [10_000, {}],
          [20_000, { [A]: 'Active' }],
          [20_000 + GRACE - 1, { [A]: 'Active' }],
          [20_000 + GRACE, { [A]: 'Active' }],
        ],
        wanted,
      ).map(({ t, event }) => [t, event.kind]),
    ).toEqual([[20_000 + GRACE, 'not-established']]);
  });

  it('tracks sessions independently, events in address order', () => {
    expect(
      run(
        [
          [0, { [A]: 'Established', [B]: 'Established' }],
          [1_000, { [A]: 'Active' }],
        ],
        () => [B, A],
      ).map(({ event }) => [event.kind, event.address]),
    ).toEqual([
      ['down', A],
      ['down', B],
    ]);
  });

  it('the first poll after a start: Established is up (no event), anything else starts the grace time', () => {
    expect(run([[5_000, { [A]: 'Established' }]])).toEqual([]);
    expect(
      run([
        [5_000, { [A]: 'Active' }],
        [5_000 + GRACE, { [A]: 'Active' }],
      ]).map(({ t }) => t),
    ).toEqual([5_000 + GRACE]);
  });
});

describe('parseNeighborDetail', () => {
  it("reads FRR 8.4's state, last reset and notification", () => {
    const text = JSON.stringify({
      '192.0.2.61': {
        remoteAs: 64512,
        bgpState: 'Active',
        connectionsEstablished: 1,
        lastResetDueTo: 'Notification received (Cease/Administrative Shutdown)',
        lastNotificationReason: 'Cease/Administrative Shutdown',
      },
    });
    expect(parseNeighborDetail(text)).toEqual({
      state: 'Active',
      lastReset: 'Notification received (Cease/Administrative Shutdown)',
      lastNotification: 'Cease/Administrative Shutdown',
    });
  });

  it('undefined for text that is not a neighbor object', () => {
    for (const text of ['', 'not json', '[]', '{}', '{"192.0.2.61": 3}', '{"x": {"remoteAs": 1}}'])
      expect(parseNeighborDetail(text), text).toBeUndefined();
  });
});

describe('sessionEventNote', () => {
  const node = 'n1';
  it('names the node, the peer address, the state and what FRR says', () => {
    expect(
      sessionEventNote({
        node,
        event: { kind: 'down', address: A, state: 'Active', forMs: 0 },
        detail: {
          state: 'Active',
          lastReset: 'Waiting for NHT',
          lastNotification: 'Cease/Peer Unconfigured',
        },
      }),
    ).toBe(
      'node n1: session with 192.0.2.61 left Established (now Active); FRR last reset: Waiting for NHT, last notification: Cease/Peer Unconfigured',
    );
    expect(
      sessionEventNote({
        node,
        event: { kind: 'not-established', address: A, state: undefined, forMs: 60_400 },
      }),
    ).toBe(
      'node n1: session with 192.0.2.61 not Established 60s after it was configured (now no session in FRR)',
    );
    expect(
      sessionEventNote({
        node,
        event: { kind: 'established', address: A, state: 'Established', forMs: 12_000, after: 'down' },
        detail: { lastReset: 'x' },
      }),
    ).toBe('node n1: session with 192.0.2.61 Established again after 12s down');
  });
});

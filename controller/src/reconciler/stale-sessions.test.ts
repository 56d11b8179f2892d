import type { BgpSessionStatus } from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import { goneNodes, sessionPrunes, type PeerSessions } from './stale-sessions.js';

const entry = (node: string, state: BgpSessionStatus['state'] = 'Established'): BgpSessionStatus => ({
  node,
  state,
  lastChange: '2026-12-01T06:00:00Z',
});

describe('goneNodes', () => {
  const base = { existing: new Set(['a', 'b']), graceMs: 30_000 };

  it('a named node missing from the cache is gone only once it has been missing for the grace time', () => {
    const first = goneNodes({ ...base, named: ['a', 'x', 'x'], missingSince: new Map(), now: 1_000 });
    expect(first).toEqual({ gone: new Set(), missingSince: new Map([['x', 1_000]]), nextCheckMs: 31_000 });
    const early = goneNodes({ ...base, named: ['x'], missingSince: first.missingSince, now: 30_999 });
    expect(early.gone).toEqual(new Set());
    const due = goneNodes({ ...base, named: ['x'], missingSince: early.missingSince, now: 31_000 });
    expect(due).toEqual({
      gone: new Set(['x']),
      missingSince: new Map([['x', 1_000]]),
      nextCheckMs: undefined,
    });
  });

  it('a name that shows up in the Node cache (or is no longer named) is forgotten', () => {
    const missingSince = new Map([
      ['a', 0],
      ['y', 0],
    ]);
    expect(goneNodes({ ...base, named: ['a', 'b'], missingSince, now: 100_000 })).toEqual({
      gone: new Set(),
      missingSince: new Map(),
      nextCheckMs: undefined,
    });
  });

  it('the next check is the earliest end of a grace time', () => {
    const r = goneNodes({
      ...base,
      named: ['x', 'y', 'z'],
      missingSince: new Map([
        ['x', 5_000],
        ['y', 2_000],
      ]),
      now: 10_000,
    });
    expect(r.nextCheckMs).toBe(32_000);
    expect(r.missingSince.get('z')).toBe(10_000);
  });
});

describe('sessionPrunes', () => {
  const peer = (name: string, sessions: BgpSessionStatus[]): PeerSessions => ({
    name,
    resourceVersion: `rv-${name}`,
    sessions,
    summary: 'whatever',
  });

  it("removes only gone nodes' entries, keeps the others as they were, recomputes the summary", () => {
    const peers = [
      peer('p2', [entry('a'), entry('gone-1', 'Active'), entry('b', 'Idle'), entry('gone-2')]),
      peer('p1', [entry('a'), entry('b')]),
      peer('p0', [entry('gone-2', 'Connect')]),
    ];
    expect(sessionPrunes({ peers, gone: new Set(['gone-1', 'gone-2']) })).toEqual([
      { peer: 'p0', resourceVersion: 'rv-p0', removed: ['gone-2'], sessions: [], summary: '0/0 Established' },
      {
        peer: 'p2',
        resourceVersion: 'rv-p2',
        removed: ['gone-1', 'gone-2'],
        sessions: [entry('a'), entry('b', 'Idle')],
        summary: '1/2 Established; b Idle',
      },
    ]);
  });

  it('nothing gone: no writes', () => {
    expect(sessionPrunes({ peers: [peer('p', [entry('a')])], gone: new Set(['z']) })).toEqual([]);
  });
});

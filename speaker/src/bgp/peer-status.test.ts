import { describe, expect, it } from 'vitest';
import { sessionEntry, statusApplyBody, statusUpToDate, withOwnEntry } from './peer-status.js';

const T0 = '2026-12-01T03:00:00Z';
const T1 = '2026-12-01T03:05:00Z';

describe('sessionEntry', () => {
  it('keeps lastChange while the state is the same, else the time now; no FRR session is Idle', () => {
    const previous = { node: 'a', state: 'Established' as const, lastChange: T0 };
    expect(sessionEntry({ node: 'a', state: 'Established', previous, now: T1 })).toEqual(previous);
    expect(sessionEntry({ node: 'a', state: 'Active', previous, now: T1 })).toEqual({
      node: 'a',
      state: 'Active',
      lastChange: T1,
    });
    expect(sessionEntry({ node: 'a', state: undefined, previous: undefined, now: T1 })).toEqual({
      node: 'a',
      state: 'Idle',
      lastChange: T1,
    });
  });
});

describe('statusApplyBody', () => {
  const others = [
    { node: 'c', state: 'Active' as const, lastChange: T0 },
    { node: 'a', state: 'Established' as const, lastChange: T0 },
  ];

  it("carries only this node's entry and the summary of the whole list as it will be", () => {
    const own = { node: 'b', state: 'Established' as const, lastChange: T1 };
    expect(
      statusApplyBody({ peer: 'r1', node: 'b', own, observed: { sessions: others, summary: 'x' } }),
    ).toEqual({
      apiVersion: 'ironlb.io/v1alpha1',
      kind: 'BGPPeer',
      metadata: { name: 'r1' },
      status: { sessions: [own], summary: '2/3 Established; c Active' },
    });
  });

  it('without an own entry: no sessions field (the apply drops the entry this node owned)', () => {
    const observed = { sessions: [...others, { node: 'b', state: 'Idle' as const }], summary: undefined };
    expect(statusApplyBody({ peer: 'r1', node: 'b', own: undefined, observed })).toEqual({
      apiVersion: 'ironlb.io/v1alpha1',
      kind: 'BGPPeer',
      metadata: { name: 'r1' },
      status: { summary: '1/2 Established; c Active' },
    });
  });

  it('withOwnEntry replaces, adds or removes only this node, sorted by node', () => {
    const own = { node: 'a', state: 'Idle' as const };
    expect(withOwnEntry(others, 'a', own).map((s) => `${s.node} ${s.state}`)).toEqual(['a Idle', 'c Active']);
    expect(withOwnEntry(others, 'b', own).map((s) => s.node)).toEqual(['a', 'a', 'c']);
    expect(withOwnEntry(others, 'c', undefined).map((s) => s.node)).toEqual(['a']);
  });
});

describe('statusUpToDate', () => {
  const own = { node: 'a', state: 'Established' as const, lastChange: T1 };
  it('compares the entry state and checks that the summary matches the list', () => {
    const sessions = [{ node: 'a', state: 'Established' as const, lastChange: T0 }];
    expect(statusUpToDate({ node: 'a', own, observed: { sessions, summary: '1/1 Established' } })).toBe(true);
    expect(statusUpToDate({ node: 'a', own, observed: { sessions, summary: '0/1 Established' } })).toBe(
      false,
    );
    expect(statusUpToDate({ node: 'a', own, observed: { sessions: [], summary: '0/0 Established' } })).toBe(
      false,
    );
    expect(
      statusUpToDate({
        node: 'a',
        own: { ...own, state: 'Active' },
        observed: { sessions, summary: '1/1 Established' },
      }),
    ).toBe(false);
    expect(
      statusUpToDate({ node: 'a', own: undefined, observed: { sessions, summary: '1/1 Established' } }),
    ).toBe(false);
    expect(
      statusUpToDate({ node: 'b', own: undefined, observed: { sessions, summary: '1/1 Established' } }),
    ).toBe(true);
  });
});

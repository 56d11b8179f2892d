import { describe, expect, it } from 'vitest';
import { ClaimElection, claimsIp, type DecideInput } from './claims.js';
import type { PeerClaims } from './known-claims.js';
import { rankNodes } from './election.js';

const IP = '198.51.100.7';
const TAG = 42;
const FRESH = { stale: false, stalenessMs: 0 };
const STALE = { stale: true, stalenessMs: 4000 };
const settings = { claimGraceMs: 300, staleAfterMs: 3000 };

function peer(claims: Record<string, number> | undefined, f = FRESH): PeerClaims {
  return { ...f, claims: claims === undefined ? undefined : new Map(Object.entries(claims)) };
}

/** Nodes named so that their rendezvous order for IP is a, b, c (checked below). */
const [A, B, C] = rankNodes(IP, ['n1', 'n2', 'n3']).map((r) => r.node) as [string, string, string];

function input(over: Partial<DecideInput> & { self: string }): DecideInput {
  return {
    nowMs: 0,
    me: FRESH,
    peers: new Map(),
    ips: [{ ip: IP, tag: TAG, candidates: [A, B, C] }],
    held: new Set(),
    ...over,
  };
}

function decide(
  e: ClaimElection,
  over: Partial<DecideInput> & { self: string },
): ReturnType<ClaimElection['decide']> {
  return e.decide(input(over));
}

describe('ClaimElection', () => {
  it('identical views: the first in the ranking claims, the others defer to its claim', () => {
    const peers = (self: string): Map<string, PeerClaims> =>
      new Map([A, B, C].filter((n) => n !== self).map((n) => [n, peer(n === A ? { [IP]: TAG } : {})]));
    expect(decide(new ClaimElection(settings), { self: A, peers: peers(A) }).decisions[0]?.decision).toEqual({
      kind: 'claim',
    });
    for (const self of [B, C])
      expect(
        decide(new ClaimElection(settings), { self, peers: peers(self) }).decisions[0]?.decision,
      ).toEqual({
        kind: 'defer',
        node: A,
        reason: 'claims',
      });
  });

  it('defers to a stale candidate that claims the same tag (an outage that hits everyone changes nothing)', () => {
    const e = new ClaimElection(settings);
    const r = decide(e, {
      self: B,
      me: STALE,
      peers: new Map([[A, peer({ [IP]: TAG }, STALE)]]),
      nowMs: 10_000,
    });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'defer', node: A, reason: 'claims' });
  });

  it('waits up to the grace for a fresh candidate that does not claim, then skips it and claims', () => {
    const e = new ClaimElection(settings);
    const peers = new Map([
      [A, peer({})],
      [C, peer({})],
    ]);
    const first = decide(e, { self: B, peers, nowMs: 1000 });
    expect(first.decisions[0]?.decision).toEqual({ kind: 'wait', node: A, untilMs: 1300, hold: false });
    expect(first.nextAtMs).toBe(1300);
    expect(decide(e, { self: B, peers, nowMs: 1299 }).decisions[0]?.decision.kind).toBe('wait');
    const late = decide(e, { self: B, peers, nowMs: 1300 });
    expect(late.decisions[0]?.decision).toEqual({ kind: 'claim' });
    expect(late.decisions[0]?.skipped).toEqual([{ node: A, reason: 'no-claim' }]);
    expect(late.nextAtMs).toBeNull();
  });

  it('skips a stale candidate at once when my view is fresh', () => {
    const e = new ClaimElection(settings);
    const r = decide(e, { self: B, peers: new Map([[A, peer({}, STALE)]]), nowMs: 5 });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'claim' });
    expect(r.decisions[0]?.skipped).toEqual([{ node: A, reason: 'stale-view' }]);
  });

  it('skips a stale candidate that claims another tag (a released IP re-used while it was partitioned)', () => {
    const e = new ClaimElection(settings);
    const r = decide(e, { self: B, peers: new Map([[A, peer({ [IP]: TAG + 1 }, STALE)]]) });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'claim' });
  });

  it('defers to a stale same-tag claimer only for an IP learned before it went stale, whoever claimed first', () => {
    const claimsIt = peer({ [IP]: TAG }, STALE);
    // Learned while A was fresh; A then goes stale and keeps claiming: deferred to (rule 2).
    const before = new ClaimElection(settings);
    decide(before, { self: B, peers: new Map([[A, peer({ [IP]: TAG })]]), nowMs: 0 });
    const kept = decide(before, { self: B, peers: new Map([[A, claimsIt]]), nowMs: 1000 });
    expect(kept.decisions[0]?.decision).toEqual({ kind: 'defer', node: A, reason: 'claims' });
    // Learned after I saw A stale: A's claim comes from a view older than mine; skipped whether B already
    // holds the IP or not (the outcome does not depend on which claim came first).
    for (const held of [new Set<string>(), new Set([IP])]) {
      const after = new ClaimElection(settings);
      after.decide(input({ self: B, peers: new Map([[A, peer({}, STALE)]]), ips: [], nowMs: 0 }));
      const r = decide(after, { self: B, peers: new Map([[A, claimsIt]]), nowMs: 100, held });
      expect(r.decisions[0]?.decision).toEqual({ kind: 'claim' });
      expect(r.decisions[0]?.skipped).toEqual([{ node: A, reason: 'stale-view' }]);
    }
    // Both stale alike (an outage that hits everyone): rule 2 stands, whatever I learned when.
    const alike = new ClaimElection(settings);
    alike.decide(input({ self: B, me: STALE, peers: new Map([[A, peer({}, STALE)]]), ips: [], nowMs: 0 }));
    const r = decide(alike, { self: B, me: STALE, peers: new Map([[A, claimsIt]]), nowMs: 100 });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'defer', node: A, reason: 'claims' });
    // Fresh again, then stale again: the new episode counts from its own start.
    decide(before, { self: B, peers: new Map([[A, peer({ [IP]: TAG })]]), nowMs: 2000 });
    const again = decide(before, { self: B, peers: new Map([[A, claimsIt]]), nowMs: 3000 });
    expect(again.decisions[0]?.decision).toEqual({ kind: 'defer', node: A, reason: 'claims' });
  });

  it('a stale speaker defers to a fresher candidate even when it does not claim (the IP may be gone)', () => {
    const e = new ClaimElection(settings);
    const r = decide(e, { self: B, me: STALE, peers: new Map([[A, peer({})]]) });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'defer', node: A, reason: 'fresher-view' });
  });

  it('the candidate yields to a strictly fresher claimer, even one ranked after it', () => {
    const e = new ClaimElection(settings);
    const r = decide(e, { self: A, me: STALE, peers: new Map([[C, peer({ [IP]: TAG + 1 })]]) });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'defer', node: C, reason: 'fresher-claim' });
  });

  it('as fresh: the claimer ranked first keeps the IP, the other yields', () => {
    const peersOfB = new Map([[A, peer({ [IP]: TAG + 1 })]]);
    const b = new ClaimElection(settings);
    // B skips A (another tag, not claimed within the grace), reaches itself, then yields to A's claim.
    expect(decide(b, { self: B, peers: peersOfB, nowMs: 0 }).decisions[0]?.decision.kind).toBe('wait');
    const r = decide(b, { self: B, peers: peersOfB, nowMs: 400 });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'defer', node: A, reason: 'fresher-claim' });
    expect(r.decisions[0]?.skipped).toEqual([]);
    // A, first in rank, keeps claiming although B claims too.
    const a = decide(new ClaimElection(settings), {
      self: A,
      peers: new Map([[B, peer({ [IP]: TAG })]]),
    });
    expect(a.decisions[0]?.decision).toEqual({ kind: 'claim' });
  });

  it('of two stale views, only one about twice as old counts as less fresh (noise does not flip it)', () => {
    const e = new ClaimElection(settings);
    const slightlyOlder = { stale: true, stalenessMs: 4500 };
    const muchOlder = { stale: true, stalenessMs: 20_000 };
    expect(
      decide(e, { self: A, me: slightlyOlder, peers: new Map([[C, peer({ [IP]: 1 }, STALE)]]) }).decisions[0]
        ?.decision,
    ).toEqual({ kind: 'claim' });
    expect(
      decide(e, { self: A, me: muchOlder, peers: new Map([[C, peer({ [IP]: 1 }, STALE)]]) }).decisions[0]
        ?.decision,
    ).toEqual({ kind: 'defer', node: C, reason: 'fresher-claim' });
  });

  it('a wait keeps an IP this node already announces (make before break)', () => {
    const e = new ClaimElection(settings);
    const r = decide(e, { self: B, peers: new Map([[A, peer({})]]), held: new Set([IP]) });
    expect(r.decisions[0]?.decision).toMatchObject({ kind: 'wait', node: A, hold: true });
    expect(claimsIp(r.decisions[0]?.decision ?? { kind: 'none' })).toBe(true);
  });

  it('a new first candidate (failover) gets a full grace even for an IP learned long ago', () => {
    const e = new ClaimElection(settings);
    const X = 'n0';
    const ips = (candidates: string[]): DecideInput['ips'] => [{ ip: IP, tag: TAG, candidates }];
    expect(
      decide(e, { self: C, nowMs: 0, ips: ips([X, A, C]), peers: new Map([[X, peer({ [IP]: TAG })]]) })
        .decisions[0]?.decision,
    ).toEqual({ kind: 'defer', node: X, reason: 'claims' });
    // X dies at 10 s: A is first now and has not claimed yet; it gets until 10.3 s.
    const r = decide(e, { self: C, nowMs: 10_000, ips: ips([A, C]), peers: new Map([[A, peer({})]]) });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'wait', node: A, untilMs: 10_300, hold: false });
  });

  it('candidates that kept their place since the IP was learned share one grace', () => {
    const e = new ClaimElection(settings);
    const peers = new Map([
      [A, peer({})],
      [B, peer({})],
    ]);
    expect(decide(e, { self: C, peers, nowMs: 0 }).decisions[0]?.decision).toMatchObject({
      kind: 'wait',
      node: A,
    });
    const r = decide(e, { self: C, peers, nowMs: 300 });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'claim' });
    expect(r.decisions[0]?.skipped.map((s) => s.node)).toEqual([A, B]);
  });

  it('a new tag for the IP restarts the grace', () => {
    const e = new ClaimElection(settings);
    const peers = new Map([[A, peer({ [IP]: TAG })]]);
    decide(e, { self: B, peers, nowMs: 0 });
    const r = decide(e, {
      self: B,
      peers,
      nowMs: 5000,
      ips: [{ ip: IP, tag: TAG + 1, candidates: [A, B, C] }],
    });
    expect(r.decisions[0]?.decision).toEqual({ kind: 'wait', node: A, untilMs: 5300, hold: false });
  });

  it('without eligible candidates, or when I am not eligible and all are skipped, nobody is chosen', () => {
    const e = new ClaimElection(settings);
    expect(
      decide(e, { self: B, ips: [{ ip: IP, tag: TAG, candidates: [] }] }).decisions[0]?.decision,
    ).toEqual({ kind: 'none' });
    const r = decide(e, {
      self: B,
      ips: [{ ip: IP, tag: TAG, candidates: [A] }],
      peers: new Map([[A, peer({}, STALE)]]),
    });
    expect(r.decisions[0]).toMatchObject({
      decision: { kind: 'none' },
      skipped: [{ node: A, reason: 'stale-view' }],
    });
  });

  describe('settle rule: a speaker whose view is not settled takes no IP a peer already claims', () => {
    const claimedByB = (f = FRESH): Map<string, PeerClaims> =>
      new Map([
        [B, peer({ [IP]: TAG }, f)],
        [C, peer({})],
      ]);

    it('defers to an as-fresh same-tag claimer until settled, then claims (and asks to decide again then)', () => {
      const e = new ClaimElection(settings);
      const early = decide(e, { self: A, peers: claimedByB(), nowMs: 1000, settledFromMs: 6000 });
      expect(early.decisions[0]?.decision).toEqual({ kind: 'defer', node: B, reason: 'settling' });
      expect(early.nextAtMs).toBe(6000);
      const late = decide(e, { self: A, peers: claimedByB(), nowMs: 6000, settledFromMs: 6000 });
      expect(late.decisions[0]?.decision).toEqual({ kind: 'claim' });
    });

    it('not settled at all (stale, or never confirmed): defers without a deadline', () => {
      const r = decide(new ClaimElection(settings), { self: A, peers: claimedByB(), settledFromMs: null });
      expect(r.decisions[0]?.decision).toEqual({ kind: 'defer', node: B, reason: 'settling' });
      expect(r.nextAtMs).toBeNull();
    });

    it('keeps an IP it holds, and claims at once an IP nobody claims (liveness unchanged)', () => {
      const held = decide(new ClaimElection(settings), {
        self: A,
        peers: claimedByB(),
        held: new Set([IP]),
        settledFromMs: null,
      });
      expect(held.decisions[0]?.decision).toEqual({ kind: 'claim' });
      const nobody = decide(new ClaimElection(settings), {
        self: A,
        peers: new Map([
          [B, peer({})],
          [C, peer({})],
        ]),
        settledFromMs: null,
      });
      expect(nobody.decisions[0]?.decision).toEqual({ kind: 'claim' });
    });

    it('failover is immediate: once the claimer is dead (gone from peers) the unsettled speaker claims', () => {
      const e = new ClaimElection(settings);
      expect(
        decide(e, { self: A, peers: claimedByB(), settledFromMs: null }).decisions[0]?.decision.kind,
      ).toBe('defer');
      const after = decide(e, { self: A, peers: new Map([[C, peer({})]]), nowMs: 100, settledFromMs: null });
      expect(after.decisions[0]?.decision).toEqual({ kind: 'claim' });
    });

    it('takes the IP from a staler claimer and from one claiming another tag, as before', () => {
      const stale = decide(new ClaimElection(settings), {
        self: A,
        peers: claimedByB(STALE),
        settledFromMs: null,
      });
      expect(stale.decisions[0]?.decision).toEqual({ kind: 'claim' });
      const otherTag = decide(new ClaimElection(settings), {
        self: A,
        peers: new Map([[B, peer({ [IP]: TAG + 1 })]]),
        settledFromMs: null,
      });
      expect(otherTag.decisions[0]?.decision).toEqual({ kind: 'claim' });
    });

    it('defers to a candidate whose claim set it has not heard yet', () => {
      const r = decide(new ClaimElection(settings), {
        self: A,
        peers: new Map([
          [B, peer({})],
          [C, peer(undefined)],
        ]),
        settledFromMs: 6000,
      });
      expect(r.decisions[0]?.decision).toEqual({ kind: 'defer', node: C, reason: 'settling' });
    });

    it('the holder keeps the IP while the first-ranked speaker settles (it waits the grace, then passes over it)', () => {
      const e = new ClaimElection(settings);
      const peers = new Map([
        [A, peer({})],
        [C, peer({})],
      ]);
      const r = decide(e, { self: B, peers, held: new Set([IP]), nowMs: 0 });
      expect(claimsIp(r.decisions[0]?.decision ?? { kind: 'none' })).toBe(true);
      const later = decide(e, { self: B, peers, held: new Set([IP]), nowMs: 400 });
      expect(later.decisions[0]?.decision).toEqual({ kind: 'claim' });
    });
  });
});

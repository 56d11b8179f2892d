import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClaimElection, claimsIp } from './claims.js';
import type { PeerClaims } from './known-claims.js';
import { rankNodes } from './election.js';
import type { Freshness } from './freshness.js';

/**
 * Model of N speakers running the claim election in synchronous rounds of STEP ms: in each round every
 * present speaker decides from what its LAN peers published in the previous round, then publishes the IPs
 * it claims and its freshness. A scenario is a list of epochs; each epoch draws anew who is present
 * (joins/leaves), the LAN components (symmetric partitions), who is cut off from the API (stale, with an
 * age), each speaker's view (which IPs, which owner tag, learned after a lag, or never) and each speaker's
 * opinion of which nodes are eligible. Within an epoch nothing changes, so a stale age is constant: a
 * freshness rank crossing is just another epoch.
 *
 * Properties:
 *  - within the grace: from the first round after GRACE following the moment a fresh speaker that deems
 *    itself eligible learned an IP (or the epoch began), some speaker of its LAN component claims the IP,
 *    in every round (who may announce is the speakers' call; a fresh one never leaves its IP unclaimed);
 *  - after convergence (GRACE + LAG + a few rounds into an epoch, until it ends): no IP has two claimers
 *    in one LAN component, and the claimers do not change any more (no flapping), even when a peer's claim
 *    set is unknown for a round (membership re-assembling it).
 */

const STEP = 100;
const GRACE = 300;
const STALE_AFTER = 3000;
const MAX_LAG = 6;
const ROUNDS = MAX_LAG + GRACE / STEP + 12;
const CHECK_FROM = MAX_LAG + GRACE / STEP + 4;
const NODES = ['n0', 'n1', 'n2', 'n3', 'n4'];
const IPS = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '2001:db8::4', '2001:db8::5'];

interface ViewEntry {
  tag: number;
  learnRound: number;
}

interface Epoch {
  present: boolean[];
  lan: number[];
  staleness: (number | null)[];
  /** view[node][ip] */
  view: (ViewEntry | null)[][];
  /** ineligible[node][ip][other]: node thinks `other` may not announce ip. */
  ineligible: boolean[][][];
  /**
   * [round, node]: in that round nobody knows the node's claim set (as while membership re-assembles a new
   * one). Only after convergence, where they must change nothing.
   */
  unknownClaims: [number, number][];
  /**
   * Per node: the round of this epoch from which its view counts as settled (fresh nodes only; a stale one is
   * never settled). Until then it takes no IP a peer at least as fresh claims (the settle rule).
   */
  settleRound: number[];
}

const epochArb = (n: number, k: number): fc.Arbitrary<Epoch> =>
  fc.record({
    present: fc.array(fc.boolean(), { minLength: n, maxLength: n }).filter((p) => p.some(Boolean)),
    lan: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
    staleness: fc.array(fc.option(fc.integer({ min: STALE_AFTER + 1, max: 100_000 }), { freq: 2 }), {
      minLength: n,
      maxLength: n,
    }),
    view: fc.array(
      fc.array(
        fc.option(
          fc.record({
            tag: fc.integer({ min: 0, max: 2 }),
            learnRound: fc.integer({ min: 0, max: MAX_LAG }),
          }),
          {
            freq: 4,
          },
        ),
        { minLength: k, maxLength: k },
      ),
      { minLength: n, maxLength: n },
    ),
    ineligible: fc.array(
      fc.array(
        fc.array(
          fc.integer({ min: 0, max: 6 }).map((v) => v === 0),
          { minLength: n, maxLength: n },
        ),
        {
          minLength: k,
          maxLength: k,
        },
      ),
      { minLength: n, maxLength: n },
    ),
    unknownClaims: fc.array(
      fc.tuple(fc.integer({ min: CHECK_FROM, max: ROUNDS - 1 }), fc.integer({ min: 0, max: n - 1 })),
      { maxLength: 4 },
    ),
    settleRound: fc.array(fc.integer({ min: 0, max: MAX_LAG }), { minLength: n, maxLength: n }),
  });

const scenarioArb = fc
  .record({ n: fc.integer({ min: 2, max: 5 }), k: fc.integer({ min: 1, max: 5 }) })
  .chain(({ n, k }) =>
    fc.record({
      n: fc.constant(n),
      k: fc.constant(k),
      epochs: fc.array(epochArb(n, k), { minLength: 1, maxLength: 4 }),
    }),
  );

interface Speaker {
  election: ClaimElection;
  held: Set<string>;
}

function freshness(epoch: Epoch, i: number): Freshness {
  const s = epoch.staleness[i];
  return s === null || s === undefined ? { stale: false, stalenessMs: 0 } : { stale: true, stalenessMs: s };
}

/** Runs a scenario; calls check(epoch, round, claims) after every round. */
function simulate(
  scenario: { n: number; k: number; epochs: Epoch[] },
  check: (args: { epoch: Epoch; round: number; claims: Map<string, Map<string, number>> }) => void,
): void {
  const { n, k } = scenario;
  const names = NODES.slice(0, n);
  const ips = IPS.slice(0, k);
  const speakers = new Map<string, Speaker>();
  let published = new Map<string, Map<string, number>>();
  let now = 0;
  for (const epoch of scenario.epochs) {
    const epochStart = now;
    for (const [i, name] of names.entries()) {
      if (!epoch.present[i]) {
        speakers.delete(name); // left (or crashed): forgets everything
        published.delete(name);
      } else if (!speakers.has(name))
        speakers.set(name, {
          election: new ClaimElection({ claimGraceMs: GRACE, staleAfterMs: STALE_AFTER }),
          held: new Set(),
        });
    }
    for (let round = 0; round < ROUNDS; round++) {
      const next = new Map<string, Map<string, number>>();
      for (const [i, name] of names.entries()) {
        const speaker = speakers.get(name);
        if (!speaker) continue;
        const alive = names.filter((_, j) => epoch.present[j] && epoch.lan[j] === epoch.lan[i]);
        const peers = new Map<string, PeerClaims>(
          alive
            .filter((p) => p !== name)
            .map((p) => [
              p,
              {
                ...freshness(epoch, names.indexOf(p)),
                claims: epoch.unknownClaims.some(([r, j]) => r === round && names[j] === p)
                  ? undefined
                  : (published.get(p) ?? new Map()),
              },
            ]),
        );
        const view = ips.flatMap((ip, x) => {
          const entry = epoch.view[i]?.[x];
          if (!entry || entry.learnRound > round) return [];
          const eligible = alive.filter((other) => !epoch.ineligible[i]?.[x]?.[names.indexOf(other)]);
          return [{ ip, tag: entry.tag, candidates: rankNodes(ip, eligible).map((r) => r.node) }];
        });
        const result = speaker.election.decide({
          self: name,
          nowMs: now,
          me: freshness(epoch, i),
          peers,
          ips: view,
          held: speaker.held,
          settledFromMs: epoch.staleness[i] === null ? epochStart + (epoch.settleRound[i] ?? 0) * STEP : null,
        });
        const mine = new Map(result.decisions.filter((d) => claimsIp(d.decision)).map((d) => [d.ip, d.tag]));
        speaker.held = new Set(mine.keys());
        next.set(name, mine);
      }
      published = next;
      check({ epoch, round, claims: published });
      now += STEP;
    }
  }
}

function claimersIn(args: {
  names: string[];
  epoch: Epoch;
  component: number;
  ip: string;
  claims: Map<string, Map<string, number>>;
}): string[] {
  return args.names.filter(
    (name, j) =>
      args.epoch.present[j] &&
      args.epoch.lan[j] === args.component &&
      (args.claims.get(name)?.has(args.ip) ?? false),
  );
}

describe('claim election model', () => {
  it('random partitions, stale views, lags, joins and leaves: every IP a fresh speaker knows is claimed after the grace, by exactly one speaker of its LAN, without flapping', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const names = NODES.slice(0, scenario.n);
        const ips = IPS.slice(0, scenario.k);
        let settled: Map<string, string[]> | null = null;
        simulate(scenario, ({ epoch, round, claims }) => {
          if (round === 0) settled = null;
          for (const component of new Set(epoch.lan)) {
            for (const [x, ip] of ips.entries()) {
              // Liveness within the grace: from the first round after the grace that follows the moment a
              // fresh, self-eligible speaker learned the IP (or the epoch changed the ranking), some speaker
              // of its LAN claims it.
              const learnedByFresh = names.flatMap((_, i) => {
                const entry = epoch.view[i]?.[x];
                const fresh = epoch.present[i] && epoch.lan[i] === component && epoch.staleness[i] === null;
                return fresh && entry && epoch.ineligible[i]?.[x]?.[i] === false ? [entry.learnRound] : [];
              });
              const claimers = claimersIn({ names, epoch, component, ip, claims });
              if (learnedByFresh.some((learned) => round >= learned + GRACE / STEP + 1))
                expect(claimers.length, `${ip} unclaimed in LAN ${String(component)}`).toBeGreaterThan(0);
            }
          }
          if (round < CHECK_FROM) return;
          const snapshot = new Map<string, string[]>();
          for (const component of new Set(epoch.lan)) {
            for (const ip of ips) {
              const claimers = claimersIn({ names, epoch, component, ip, claims });
              snapshot.set(`${String(component)}/${ip}`, claimers);
              expect(
                claimers.length,
                `two claimers of ${ip} in LAN ${String(component)}`,
              ).toBeLessThanOrEqual(1);
            }
          }
          if (settled) expect(snapshot).toEqual(settled);
          settled = snapshot;
        });
      }),
      { numRuns: Number(process.env.CLAIMS_MODEL_RUNS ?? 200) },
    );
  }, 120_000);

  it('identical fresh views: from the first round on, exactly the ranking winner claims each IP', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), (n, k) => {
        const names = NODES.slice(0, n);
        const ips = IPS.slice(0, k);
        const epoch: Epoch = {
          present: names.map(() => true),
          lan: names.map(() => 0),
          staleness: names.map(() => null),
          view: names.map(() => ips.map((_, x) => ({ tag: x, learnRound: 0 }))),
          ineligible: names.map(() => ips.map(() => names.map(() => false))),
          unknownClaims: [],
          settleRound: names.map(() => 0),
        };
        simulate({ n, k, epochs: [epoch] }, ({ claims }) => {
          for (const ip of ips) {
            const winner = rankNodes(ip, names)[0]?.node;
            expect(claimersIn({ names, epoch, component: 0, ip, claims })).toEqual([winner]);
          }
        });
      }),
      { numRuns: 50 },
    );
  }, 60_000);
});

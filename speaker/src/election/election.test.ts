import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIp, compareRanked, electAnnouncer, fnv1a64, nodeScore, rankNodes } from './election.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** 3000 addresses: 1500 from 198.18.0.0/15 (benchmarking range) and 1500 from 2001:db8::/64. */
function testIps(): string[] {
  const ips: string[] = [];
  for (let i = 0; i < 1500; i++) ips.push(`198.18.${Math.floor(i / 256)}.${i % 256}`);
  for (let i = 0; i < 1500; i++) ips.push(`2001:db8::${i.toString(16)}`);
  return ips;
}

function winners(ips: string[], nodes: string[]): Map<string, string | null> {
  return new Map(ips.map((ip) => [ip, electAnnouncer(ip, nodes)]));
}

describe('hash', () => {
  it.each([
    ['', 0xcbf29ce484222325n],
    ['a', 0xaf63dc4c8601ec8cn],
    ['foobar', 0x85944171f73967e8n],
  ])('FNV-1a 64 of %j matches the published test vector', (input, expected) => {
    expect(fnv1a64(utf8(input))).toBe(expected);
  });
  it('matches a straightforward BigInt FNV-1a 64 on arbitrary bytes', () => {
    const reference = (bytes: Uint8Array): bigint => {
      let h = 0xcbf29ce484222325n;
      for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & ((1n << 64n) - 1n);
      return h;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(fnv1a64(bytes)).toBe(reference(bytes));
      }),
      { numRuns: 300 },
    );
  });
  it('scores the canonical IP text', () => {
    expect(canonicalIp('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(nodeScore('n1', '2001:DB8:0:0::1')).toBe(nodeScore('n1', '2001:db8::1'));
    expect(canonicalIp('not-an-ip')).toBe('not-an-ip');
  });
  it('separates node and IP with a NUL so ("n1", "1.2.3.4") and ("n11", ".2.3.4") differ', () => {
    expect(nodeScore('n1', '1.2.3.4')).not.toBe(nodeScore('n11', '.2.3.4'));
  });
});

describe('electAnnouncer / rankNodes', () => {
  it('returns null without eligible nodes and the only node otherwise', () => {
    expect(electAnnouncer('192.0.2.1', [])).toBeNull();
    expect(electAnnouncer('192.0.2.1', ['n1'])).toBe('n1');
    expect(rankNodes('192.0.2.1', [])).toEqual([]);
  });
  it('agrees with rankNodes, de-duplicates, and ignores input order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.ipV4(),
        (nodes, ip) => {
          const ranked = rankNodes(ip, [...nodes, ...nodes]).map((r) => r.node);
          expect([...ranked].sort()).toEqual([...nodes].sort());
          expect(electAnnouncer(ip, [...nodes].reverse())).toBe(ranked[0]);
          expect(rankNodes(ip, [...nodes].reverse()).map((r) => r.node)).toEqual(ranked);
        },
      ),
      { numRuns: 200 },
    );
  });
  it('breaks score ties by node name, ascending', () => {
    expect(compareRanked({ node: 'a', score: 5n }, { node: 'b', score: 5n })).toBeLessThan(0);
    expect(compareRanked({ node: 'b', score: 5n }, { node: 'a', score: 5n })).toBeGreaterThan(0);
    expect(compareRanked({ node: 'b', score: 6n }, { node: 'a', score: 5n })).toBeLessThan(0);
    expect(compareRanked({ node: 'a', score: 5n }, { node: 'a', score: 5n })).toBe(0);
  });
});

describe('distribution and disruption', () => {
  const ips = testIps();
  const nodes = ['worker-1', 'worker-2', 'worker-3'];
  const before = winners(ips, nodes);

  it('spreads 3000 IPs over 3 nodes at 33% ± 3% each', () => {
    const counts = new Map<string, number>();
    for (const w of before.values()) counts.set(w!, (counts.get(w!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(nodes);
    for (const count of counts.values())
      expect(Math.abs(count / ips.length - 1 / 3)).toBeLessThanOrEqual(0.03);
  });

  it('moves only the IPs of a removed node, and spreads them over the others', () => {
    const after = winners(ips, ['worker-1', 'worker-3']);
    let moved = 0;
    const receivers = new Set<string>();
    for (const ip of ips) {
      if (before.get(ip) === 'worker-2') {
        moved++;
        receivers.add(after.get(ip)!);
      } else {
        expect(after.get(ip)).toBe(before.get(ip));
      }
    }
    expect(moved).toBeGreaterThan(0);
    expect([...receivers].sort()).toEqual(['worker-1', 'worker-3']);
  });

  it('moves IPs only to a newly added node', () => {
    const after = winners(ips, [...nodes, 'worker-4']);
    for (const ip of ips) {
      if (after.get(ip) !== 'worker-4') expect(after.get(ip)).toBe(before.get(ip));
    }
  });

  it('gives consecutive IPs independent winners (no long runs)', () => {
    let longest = 0;
    let run = 0;
    let previous: string | null = null;
    for (const ip of ips.slice(0, 1500)) {
      const w = before.get(ip) ?? null;
      run = w === previous ? run + 1 : 1;
      previous = w;
      longest = Math.max(longest, run);
    }
    expect(longest).toBeLessThan(15); // (1/3)^15 per start position: practically impossible if independent
  });
});

describe('independent speakers (MetalLB-style)', () => {
  it('exactly one of the speakers claims each IP although each sees the member list in its own order', () => {
    const members = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'];
    const views = members.map((self, i) => ({
      self,
      view: [...members.slice(i), ...members.slice(0, i)].reverse(),
    }));
    for (const ip of testIps()) {
      const claimants = views.filter(({ self, view }) => electAnnouncer(ip, view) === self);
      expect(claimants.length).toBe(1);
    }
  });
  it('two speakers with different eligibility inputs still never both claim an IP they both consider eligible', () => {
    // speaker x considers [x, y] eligible; speaker y considers [x, y] eligible too: one winner.
    for (const ip of testIps().slice(0, 500)) {
      const x = electAnnouncer(ip, ['x', 'y']) === 'x';
      const y = electAnnouncer(ip, ['y', 'x']) === 'y';
      expect(x !== y).toBe(true);
    }
  });
});

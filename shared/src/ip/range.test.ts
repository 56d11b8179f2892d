import { describe, expect, it } from 'vitest';
import { parseIP } from './address.js';
import { parseCIDR } from './cidr.js';
import { countBuggy, firstOverlap, formatRange, normalizeRanges, rangesContain } from './range.js';
import type { IPRange } from './range.js';

const v4 = (a: bigint, b: bigint): IPRange => ({ family: 'IPv4', start: a, end: b });

describe('ranges', () => {
  it('parses CIDRs and refuses host bits and long prefixes', () => {
    expect(parseCIDR('198.51.100.0/28')).toEqual({
      ok: true,
      value: { family: 'IPv4', base: 0xc6336400n, prefixLength: 28 },
    });
    expect(parseCIDR('198.51.100.1/28')).toEqual({
      ok: false,
      error: { kind: 'host-bits', masked: '198.51.100.0/28' },
    });
    expect(parseCIDR('2001:db8::/129')).toEqual({
      ok: false,
      error: { kind: 'prefix-range', family: 'IPv6', prefixLength: '129' },
    });
    expect(parseCIDR('10.0.0.0/08')).toEqual({ ok: false, error: { kind: 'syntax' } });
  });

  it('normalizes: sorts, merges overlapping and adjacent, keeps families apart', () => {
    const r = normalizeRanges([
      v4(20n, 30n),
      { family: 'IPv6', start: 1n, end: 5n },
      v4(0n, 9n),
      v4(10n, 12n),
      v4(25n, 40n),
    ]);
    expect(r).toEqual([v4(0n, 12n), v4(20n, 40n), { family: 'IPv6', start: 1n, end: 5n }]);
  });

  it('finds membership by binary search', () => {
    const r = normalizeRanges([v4(0n, 9n), v4(20n, 29n), { family: 'IPv6', start: 5n, end: 5n }]);
    expect(rangesContain(r, { family: 'IPv4', value: 25n })).toBe(true);
    expect(rangesContain(r, { family: 'IPv4', value: 15n })).toBe(false);
    expect(rangesContain(r, { family: 'IPv6', value: 5n })).toBe(true);
    expect(rangesContain(r, { family: 'IPv6', value: 9n })).toBe(false);
  });

  it('reports the first overlap', () => {
    expect(firstOverlap([v4(0n, 9n), v4(30n, 39n)], [v4(10n, 19n), v4(35n, 50n)])).toEqual(v4(35n, 39n));
    expect(firstOverlap([v4(0n, 9n)], [v4(10n, 19n)])).toBeUndefined();
    expect(formatRange(v4(0xc6336400n, 0xc633640fn))).toBe('198.51.100.0-198.51.100.15');
  });

  it('counts .0 and .255 addresses arithmetically', () => {
    const a = parseIP('198.51.100.0')!.value;
    expect(countBuggy(v4(a, a + 255n))).toBe(2n);
    expect(countBuggy(v4(a + 1n, a + 254n))).toBe(0n);
    expect(countBuggy(v4(0n, 0xffffn))).toBe(512n);
    expect(countBuggy(v4(a + 255n, a + 256n))).toBe(2n);
  });
});

import { describe, expect, it } from 'vitest';
import {
  addressToBytes,
  bytesToAddress,
  normalizeAddress,
  prepareClaimSet,
  recordsToClaims,
  sameClaims,
} from './claim-set.js';

describe('claim set wire form', () => {
  it('maps IPv4 into IPv4-mapped IPv6 and back', () => {
    expect([...(addressToBytes('198.51.100.7') ?? [])]).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 198, 51, 100, 7,
    ]);
    expect(bytesToAddress(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 198, 51, 100, 7]))).toBe(
      '198.51.100.7',
    );
    expect(bytesToAddress(addressToBytes('2001:db8::7') ?? Buffer.alloc(16))).toBe('2001:db8::7');
    expect(addressToBytes('not-an-ip')).toBeUndefined();
  });

  it('normalises socket addresses: zones, IPv4-mapped IPv6, non-canonical IPv6', () => {
    expect(normalizeAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(normalizeAddress('')).toBeUndefined();
  });

  it('gives equal sets equal records and digests whatever the insertion order', () => {
    const a = prepareClaimSet(
      new Map([
        ['10.0.0.2', 2],
        ['2001:db8::1', 3],
        ['10.0.0.1', 1],
      ]),
    );
    const b = prepareClaimSet(
      new Map([
        ['10.0.0.1', 1],
        ['10.0.0.2', 2],
        ['2001:db8::1', 3],
      ]),
    );
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.value.records.equals(b.value.records)).toBe(true);
    expect(a.value.digest).toEqual(b.value.digest);
    expect(a.value.digest.count).toBe(3);
    expect([...recordsToClaims(a.value.records)]).toEqual([
      ['10.0.0.1', 1],
      ['10.0.0.2', 2],
      ['2001:db8::1', 3],
    ]);
  });

  it('changes the digest when one owner tag changes', () => {
    const a = prepareClaimSet(new Map([['10.0.0.1', 1]]));
    const b = prepareClaimSet(new Map([['10.0.0.1', 2]]));
    expect(a.ok && b.ok && a.value.digest.hash !== b.value.digest.hash).toBe(true);
  });

  it('refuses non-canonical keys and tags outside uint32', () => {
    expect(prepareClaimSet(new Map([['2001:DB8::1', 1]]))).toEqual({
      ok: false,
      error: { key: '2001:DB8::1', reason: 'not a canonical IP' },
    });
    expect(prepareClaimSet(new Map([['10.0.0.1', -1]])).ok).toBe(false);
    expect(prepareClaimSet(new Map([['10.0.0.1', 2 ** 32]])).ok).toBe(false);
    expect(prepareClaimSet(new Map([['10.0.0.1', 1.5]])).ok).toBe(false);
  });

  it('compares claim maps by content', () => {
    expect(sameClaims(new Map([['a', 1]]), new Map([['a', 1]]))).toBe(true);
    expect(sameClaims(new Map([['a', 1]]), new Map([['a', 2]]))).toBe(false);
    expect(sameClaims(new Map([['a', 1]]), new Map())).toBe(false);
  });
});

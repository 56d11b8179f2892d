import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIP } from '@ironlb/shared';
import { formatMac, ipBytesToText, ipFromBytes, ipTextToBytes, ipToBytes, parseMac } from './addresses.js';

describe('MAC', () => {
  it.each([
    ['02:00:00:00:0A:01', '02:00:00:00:0a:01'],
    ['33:33:FF:00:01:00', '33:33:ff:00:01:00'],
  ])('parses %s', (text, formatted) => {
    const mac = parseMac(text);
    expect(mac).not.toBeNull();
    expect(formatMac(mac!)).toBe(formatted);
  });
  it.each([
    '',
    '02:00:00:00:0a',
    '02:00:00:00:0a:1',
    '02:00:00:00:0a:zz',
    '02:00:00:00:0a:01:02',
    '33-33-ff-00-01-00',
    '02:00:00:00:0a:01\n',
  ])('rejects %j', (text) => {
    expect(parseMac(text)).toBeNull();
  });
});

describe('IP wire bytes', () => {
  it.each([
    ['192.0.2.10', [192, 0, 2, 10]],
    ['0.0.0.0', [0, 0, 0, 0]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['2001:db8::1', [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 1]],
    ['ff02::1:ff00:100', [0xff, 2, ...Array<number>(8).fill(0), 0, 1, 0xff, 0, 1, 0]],
  ])('%s is %j on the wire', (text, bytes) => {
    expect(Array.from(ipTextToBytes(text)!)).toEqual(bytes);
    expect(ipBytesToText(Uint8Array.from(bytes))).toBe(text);
  });

  it('formats with the shared canonical text', () => {
    expect(ipBytesToText(ipTextToBytes('2001:0DB8:0000:0000:0000:0000:0000:0001')!)).toBe('2001:db8::1');
  });

  it.each(['1.2.3', '01.2.3.4', '2001:db8::1::2', '::ffff:192.0.2.1', 'fe80::1%eth0', ''])(
    'refuses %j like the shared parser',
    (text) => {
      expect(parseIP(text)).toBeUndefined();
      expect(ipTextToBytes(text)).toBeNull();
    },
  );

  it('only 4 or 16 bytes are an address; other lengths still format without throwing', () => {
    expect(ipFromBytes(new Uint8Array(5))).toBeNull();
    expect(ipBytesToText(Uint8Array.of(1, 2, 3))).toBe('<3 bytes 010203>');
  });

  it('round-trips every IPv4 and IPv6 value', () => {
    const value = (bits: bigint): fc.Arbitrary<bigint> => fc.bigInt({ min: 0n, max: (1n << bits) - 1n });
    const address = fc.oneof(
      value(32n).map((v) => ({ family: 'IPv4' as const, value: v })),
      value(128n).map((v) => ({ family: 'IPv6' as const, value: v })),
    );
    fc.assert(
      fc.property(address, (a) => {
        expect(ipFromBytes(ipToBytes(a))).toEqual(a);
      }),
    );
  });
});

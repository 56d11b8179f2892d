import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareIP, formatIP, parseIP } from './address.js';

describe('parseIP / formatIP', () => {
  it.each([
    ['198.51.100.7', 'IPv4', 0xc6336407n, '198.51.100.7'],
    ['0.0.0.0', 'IPv4', 0n, '0.0.0.0'],
    ['255.255.255.255', 'IPv4', 0xffffffffn, '255.255.255.255'],
    ['2001:db8::1', 'IPv6', 0x20010db8000000000000000000000001n, '2001:db8::1'],
    ['2001:DB8:0:0:1:0:0:1', 'IPv6', 0x20010db8000000000001000000000001n, '2001:db8::1:0:0:1'],
    ['::', 'IPv6', 0n, '::'],
    ['::1', 'IPv6', 1n, '::1'],
    ['64:ff9b::198.51.100.1', 'IPv6', 0x0064ff9b0000000000000000c6336401n, '64:ff9b::c633:6401'],
    ['2001:db8:0:1:1:1:1:1', 'IPv6', 0x20010db8000000010001000100010001n, '2001:db8:0:1:1:1:1:1'],
  ] as const)('%s', (...row) => {
    const [text, family, value, canonical] = row;
    const ip = parseIP(text);
    expect(ip).toEqual({ family, value });
    expect(formatIP(ip!)).toBe(canonical);
  });

  it.each([
    '198.51.100.256',
    '198.51.100',
    '198.51.100.010',
    '1.2.3.4.5',
    '',
    '2001:db8:::1',
    '2001:db8::1::2',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '::ffff:198.51.100.1',
    'fe80::1%eth0',
    '12345::',
    ' 1.2.3.4',
    '1.2.3.4::',
  ])('rejects %j', (text) => {
    expect(parseIP(text)).toBeUndefined();
  });

  it('round-trips any IPv6 value through its canonical text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        fc.pre(value >> 32n !== 0xffffn);
        const text = formatIP({ family: 'IPv6', value });
        expect(parseIP(text)).toEqual({ family: 'IPv6', value });
      }),
    );
  });

  it('orders IPv4 before IPv6, then numerically', () => {
    const ips = ['2001:db8::1', '10.0.0.2', '10.0.0.1', '::1'].map((t) => parseIP(t)!);
    expect(ips.sort(compareIP).map(formatIP)).toEqual(['10.0.0.1', '10.0.0.2', '::1', '2001:db8::1']);
  });
});

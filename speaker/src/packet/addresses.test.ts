import { describe, expect, it } from 'vitest';
import {
  bytesEqual,
  formatIp,
  formatIpv6,
  formatMac,
  parseIp,
  parseIpv4,
  parseIpv6,
  parseMac,
} from './addresses.js';

describe('MAC', () => {
  it.each([
    ['02:00:00:00:0A:01', '02:00:00:00:0a:01'],
    ['33-33-ff-00-01-00', '33:33:ff:00:01:00'],
  ])('parses %s', (text, formatted) => {
    const mac = parseMac(text);
    expect(mac).not.toBeNull();
    expect(formatMac(mac!)).toBe(formatted);
  });
  it.each(['', '02:00:00:00:0a', '02:00:00:00:0a:1', '02:00:00:00:0a:zz', '02:00:00:00:0a:01:02'])(
    'rejects %j',
    (text) => {
      expect(parseMac(text)).toBeNull();
    },
  );
});

describe('IPv4', () => {
  it('round-trips', () => {
    expect(Array.from(parseIpv4('192.0.2.10')!)).toEqual([192, 0, 2, 10]);
    expect(formatIp(parseIp('198.51.100.255')!)).toBe('198.51.100.255');
  });
  it.each(['1.2.3', '1.2.3.256', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d', ''])('rejects %j', (text) => {
    expect(parseIpv4(text)).toBeNull();
  });
});

describe('IPv6', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['ff02::1:ff00:100', 'ff02::1:ff00:100'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ])('%s formats as %s', (text, canonical) => {
    const ip = parseIpv6(text);
    expect(ip).not.toBeNull();
    expect(formatIpv6(ip!)).toBe(canonical);
    expect(bytesEqual(parseIpv6(canonical)!, ip!)).toBe(true);
  });
  it.each([
    '2001:db8::1::2',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    'g::1',
    '12345::',
    ':1',
  ])('rejects %j', (text) => {
    expect(parseIpv6(text)).toBeNull();
  });
});

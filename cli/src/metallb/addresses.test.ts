import { describe, expect, it } from 'vitest';
import { ipFamily, normaliseAddress } from './addresses.js';

describe('normaliseAddress', () => {
  it.each([
    ['192.168.10.0/24', '192.168.10.0/24'],
    ['192.168.9.1-192.168.9.5', '192.168.9.1-192.168.9.5'],
    ['192.168.9.1 - 192.168.9.5', '192.168.9.1-192.168.9.5'],
    ['  10.0.0.7  ', '10.0.0.7'],
    ['fc00:f853:0ccd:e799::/124', 'fc00:f853:0ccd:e799::/124'],
    ['2002:2:2::1 - 2002:2:2::100', '2002:2:2::1-2002:2:2::100'],
    ['::ffff:10.0.0.1/128', '::ffff:10.0.0.1/128'],
    ['10.0.0.0/08', '10.0.0.0/8'],
  ])('accepts %j as %j', (input, expected) => {
    expect(normaliseAddress(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', 'empty address entry'],
    ['10.0.0.1 10.0.0.2', 'address entry "10.0.0.1 10.0.0.2" contains whitespace'],
    ['10.0.0.1-', 'range "10.0.0.1-" needs an IP on both sides of "-"'],
    ['10.0.0.1-fc00::1', 'range "10.0.0.1-fc00::1" mixes IPv4 and IPv6'],
    ['10.0.0.0/33', 'CIDR "10.0.0.0/33" needs a prefix length 0..32'],
    ['fc00::/129', 'CIDR "fc00::/129" needs a prefix length 0..128'],
    ['256.0.0.0/8', 'CIDR "256.0.0.0/8" has no valid IP before "/"'],
    ['example.com', '"example.com" is not an IP, CIDR or range'],
  ])('refuses %j', (input, message) => {
    expect(normaliseAddress(input)).toEqual({ ok: false, error: message });
  });
});

describe('ipFamily', () => {
  it.each([
    ['1.2.3.4', 4],
    ['::', 6],
    ['1:2:3:4:5:6:7:8', 6],
    ['1:2:3:4:5:6:1.2.3.4', 6],
    ['1:2:3:4:5:6:7', undefined],
    ['1::2::3', undefined],
    [':::', undefined],
    ['1.2.3', undefined],
    ['12345::', undefined],
  ])('%s is %s', (text, family) => {
    expect(ipFamily(text)).toBe(family);
  });
});

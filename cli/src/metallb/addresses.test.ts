import { describe, expect, it } from 'vitest';
import { normaliseAddress } from './addresses.js';

describe('normaliseAddress', () => {
  it.each([
    ['192.168.10.0/24', '192.168.10.0/24'],
    ['192.168.9.1-192.168.9.5', '192.168.9.1-192.168.9.5'],
    ['192.168.9.1 - 192.168.9.5', '192.168.9.1-192.168.9.5'],
    ['  10.0.0.7  ', '10.0.0.7'],
    ['fc00:f853:0ccd:e799::/124', 'fc00:f853:0ccd:e799::/124'],
    ['2002:2:2::1 - 2002:2:2::100', '2002:2:2::1-2002:2:2::100'],
  ])('accepts %j as %j', (input, expected) => {
    expect(normaliseAddress(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['', 'empty address entry'],
    ['10.0.0.1 10.0.0.2', 'address entry "10.0.0.1 10.0.0.2" contains whitespace'],
    ['10.0.0.1-', "'10.0.0.1-' is not a valid IPv4/IPv6 CIDR, range or address"],
    ['10.0.0.1-fc00::1', "range '10.0.0.1-fc00::1' mixes IPv4 and IPv6"],
    ['10.0.0.9-10.0.0.1', "range '10.0.0.9-10.0.0.1' starts after it ends"],
    ['10.0.0.0/33', 'prefix length 33 is out of range for IPv4 (0-32)'],
    ['fc00::/129', 'prefix length 129 is out of range for IPv6 (0-128)'],
    ['10.0.0.1/24', "CIDR '10.0.0.1/24' has host bits set (it must be the network address)"],
    ['10.0.0.0/08', "'10.0.0.0/08' is not a valid IPv4/IPv6 CIDR, range or address"],
    ['256.0.0.0/8', "'256.0.0.0/8' is not a valid IPv4/IPv6 CIDR, range or address"],
    ['::ffff:10.0.0.1/128', "'::ffff:10.0.0.1/128' is not a valid IPv4/IPv6 CIDR, range or address"],
    ['example.com', "'example.com' is not a valid IPv4/IPv6 CIDR, range or address"],
  ])('refuses %j as an IPPool would', (input, message) => {
    expect(normaliseAddress(input)).toEqual({ ok: false, error: message });
  });
});

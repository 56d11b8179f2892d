import { type IPFamily, familyBits, parseIP } from '../ip/address.js';
import { parseCIDR } from '../ip/cidr.js';
import { type IPRange, cidrToRange } from '../ip/range.js';
import { type Result, err, ok } from '../types/result.js';

/**
 * Messages shared word for word with the CEL rules in charts/ironlb/crds/ironlb.io_ippools.yaml.
 * Changing one means changing the other (the invalid-pool table tests both).
 */
export const addressMessages = {
  invalid: (s: string): string => `'${s}' is not a valid IPv4/IPv6 CIDR, range or address`,
  prefixRange: (o: { prefix: string; family: IPFamily }): string =>
    `prefix length ${o.prefix} is out of range for ${o.family} (0-${familyBits(o.family)})`,
  hostBits: (text: string): string => `CIDR '${text}' has host bits set (it must be the network address)`,
  mixedFamily: (s: string): string => `range '${s}' mixes IPv4 and IPv6`,
  reversed: (s: string): string => `range '${s}' starts after it ends`,
  empty: 'addresses must list at least one CIDR, range or address',
} as const;

export const ADDRESS_MAX_LENGTH = 100;
export const ADDRESSES_MAX_ITEMS = 64;

function parseRange(text: string): Result<IPRange> {
  const parts = text.split('-');
  const a = parts.length === 2 ? parseIP(parts[0] ?? '') : undefined;
  const b = parts.length === 2 ? parseIP(parts[1] ?? '') : undefined;
  if (a === undefined || b === undefined) return err(addressMessages.invalid(text));
  if (a.family !== b.family) return err(addressMessages.mixedFamily(text));
  if (a.value > b.value) return err(addressMessages.reversed(text));
  return ok({ family: a.family, start: a.value, end: b.value });
}

/** One `spec.addresses` entry: `a.b.c.d/n`, `x::/n`, `start-end` (inclusive) or a single address. */
export function parseAddressEntry(text: string): Result<IPRange> {
  if (text.includes('-')) return parseRange(text);
  if (text.includes('/')) {
    const cidr = parseCIDR(text);
    if (cidr.ok) return ok(cidrToRange(cidr.value));
    switch (cidr.error.kind) {
      case 'syntax':
        return err(addressMessages.invalid(text));
      case 'prefix-range':
        return err(
          addressMessages.prefixRange({ prefix: cidr.error.prefixLength, family: cidr.error.family }),
        );
      case 'host-bits':
        return err(addressMessages.hostBits(text));
    }
  }
  const ip = parseIP(text);
  return ip === undefined
    ? err(addressMessages.invalid(text))
    : ok({ family: ip.family, start: ip.value, end: ip.value });
}

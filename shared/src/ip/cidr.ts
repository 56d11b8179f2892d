import { type Result, err, ok } from '../types/result.js';
import { type IPFamily, familyBits, formatIP, parseIP } from './address.js';

export interface Cidr {
  readonly family: IPFamily;
  /** Network address: host bits are zero (invariant enforced by parseCIDR). */
  readonly base: bigint;
  readonly prefixLength: number;
}

/** Why a CIDR string was refused; the config layer turns these into user-facing messages. */
export type CidrError =
  | { kind: 'syntax' }
  | { kind: 'prefix-range'; family: IPFamily; prefixLength: string }
  | { kind: 'host-bits'; masked: string };

const PREFIX = /^(0|[1-9][0-9]{0,2})$/;

export function hostMask(family: IPFamily, prefixLength: number): bigint {
  return (1n << BigInt(familyBits(family) - prefixLength)) - 1n;
}

/** Parses `addr/len` and rejects host bits set (the CRD rejects them too). */
export function parseCIDR(text: string): Result<Cidr, CidrError> {
  const parts = text.split('/');
  if (parts.length !== 2) return err({ kind: 'syntax' });
  const [addrText = '', lenText = ''] = parts;
  const address = parseIP(addrText);
  if (address === undefined || !PREFIX.test(lenText)) return err({ kind: 'syntax' });
  const prefixLength = Number(lenText);
  if (prefixLength > familyBits(address.family)) {
    return err({ kind: 'prefix-range', family: address.family, prefixLength: lenText });
  }
  const mask = hostMask(address.family, prefixLength);
  if ((address.value & mask) !== 0n) {
    const masked = formatIP({ family: address.family, value: address.value & ~mask });
    return err({ kind: 'host-bits', masked: `${masked}/${lenText}` });
  }
  return ok({ family: address.family, base: address.value, prefixLength });
}

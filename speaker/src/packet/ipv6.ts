import {
  ETHERNET_HEADER_LENGTH,
  ETHERTYPE_IPV6,
  decodeEthernet,
  newFrame,
  type EthernetHeader,
} from './ethernet.js';

/** Fixed IPv6 header (RFC 8200) carrying ICMPv6 directly: extension headers are not supported. */
export const IPV6_HEADER_LENGTH = 40;
const NEXT_HEADER_ICMPV6 = 58;

export interface Ipv6Icmp {
  eth: EthernetHeader;
  src: Uint8Array;
  dst: Uint8Array;
  hopLimit: number;
  /** The ICMPv6 message (header + body), exactly payload-length bytes. */
  icmp: Uint8Array;
}

/** Decodes Ethernet + IPv6 whose next header is ICMPv6; null otherwise or if truncated. */
export function decodeIpv6Icmp(frame: Uint8Array): Ipv6Icmp | null {
  const eth = decodeEthernet(frame);
  if (eth?.etherType !== ETHERTYPE_IPV6 || frame.length < ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH) {
    return null;
  }
  const v = new DataView(frame.buffer, frame.byteOffset + ETHERNET_HEADER_LENGTH, IPV6_HEADER_LENGTH);
  if (v.getUint8(0) >> 4 !== 6 || v.getUint8(6) !== NEXT_HEADER_ICMPV6) return null;
  const start = ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH;
  const end = start + v.getUint16(4);
  if (end > frame.length) return null;
  return {
    eth,
    hopLimit: v.getUint8(7),
    src: frame.slice(ETHERNET_HEADER_LENGTH + 8, ETHERNET_HEADER_LENGTH + 24),
    dst: frame.slice(ETHERNET_HEADER_LENGTH + 24, ETHERNET_HEADER_LENGTH + 40),
    icmp: frame.slice(start, end),
  };
}

/**
 * ICMPv6 checksum (RFC 4443 §2.3): one's complement of the one's complement sum over the pseudo-header
 * (src, dst, 32-bit upper-layer length, 3 zero bytes, next header 58) and the message as given.
 * Over a message whose checksum field holds a correct value the result is 0.
 */
export function icmpv6Checksum(options: { src: Uint8Array; dst: Uint8Array; icmp: Uint8Array }): number {
  const { src, dst, icmp } = options;
  let sum = 0;
  const add = (bytes: Uint8Array): void => {
    for (let i = 0; i < bytes.length; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  };
  add(src);
  add(dst);
  sum += (icmp.length >>> 16) + (icmp.length & 0xffff) + NEXT_HEADER_ICMPV6;
  add(icmp);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** Builds Ethernet + IPv6 + the ICMPv6 message, filling in the ICMPv6 checksum (bytes 2..3 of icmp). */
export function encodeIpv6Icmp(options: {
  ethSrc: Uint8Array;
  ethDst: Uint8Array;
  src: Uint8Array;
  dst: Uint8Array;
  hopLimit: number;
  icmp: Uint8Array;
}): Uint8Array {
  const { icmp } = options;
  const frame = newFrame(
    { dst: options.ethDst, src: options.ethSrc, etherType: ETHERTYPE_IPV6 },
    IPV6_HEADER_LENGTH + icmp.length,
  );
  const v = new DataView(frame.buffer, ETHERNET_HEADER_LENGTH);
  v.setUint32(0, 0x60000000);
  v.setUint16(4, icmp.length);
  v.setUint8(6, NEXT_HEADER_ICMPV6);
  v.setUint8(7, options.hopLimit);
  frame.set(options.src, ETHERNET_HEADER_LENGTH + 8);
  frame.set(options.dst, ETHERNET_HEADER_LENGTH + 24);
  const start = ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH;
  frame.set(icmp, start);
  frame[start + 2] = 0;
  frame[start + 3] = 0;
  const sum = icmpv6Checksum({ src: options.src, dst: options.dst, icmp: frame.subarray(start) });
  v.setUint16(IPV6_HEADER_LENGTH + 2, sum);
  return frame;
}

/** ff02::1:ffXX:XXXX from the low 24 bits of ip (RFC 4291 §2.7.1). */
export function solicitedNodeAddress(ip: Uint8Array): Uint8Array {
  const out = Uint8Array.from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0]);
  out.set(ip.subarray(13, 16), 13);
  return out;
}

/** 33:33 followed by the low 32 bits of an IPv6 multicast address (RFC 2464 §7). */
export function multicastMac(group: Uint8Array): Uint8Array {
  const out = Uint8Array.from([0x33, 0x33, 0, 0, 0, 0]);
  out.set(group.subarray(12, 16), 2);
  return out;
}

/** The MAC to join so that neighbour solicitations for ip reach us: 33:33:ff:XX:XX:XX. */
export function solicitedNodeMac(ip: Uint8Array): Uint8Array {
  return multicastMac(solicitedNodeAddress(ip));
}

export function isIpv6Multicast(ip: Uint8Array): boolean {
  return ip[0] === 0xff;
}

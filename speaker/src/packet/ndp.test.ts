import { describe, expect, it } from 'vitest';
import { ipBytesToText, formatMac, ipTextToBytes, parseMac } from './addresses.js';
import { icmpv6Checksum, decodeIpv6Icmp, solicitedNodeAddress, solicitedNodeMac } from './ipv6.js';
import {
  decodeNdp,
  encodeNaReply,
  encodeNeighborSolicitation,
  encodeUnsolicitedNa,
  isDadNs,
  type NeighborAdvertisement,
  type NeighborSolicitation,
} from './ndp.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ip6 = (s: string): Uint8Array => ipTextToBytes(s)!;
/** Rewrites the ICMPv6 checksum of an Ethernet+IPv6 frame after a test mutated it. */
function fixChecksum(frame: Uint8Array): Uint8Array {
  frame.fill(0, 56, 58);
  const sum = icmpv6Checksum(decodeIpv6Icmp(frame)!);
  frame[56] = sum >> 8;
  frame[57] = sum & 0xff;
  return frame;
}
const MAC_A = parseMac('02:00:00:00:0a:01')!;
const MAC_B = parseMac('02:00:00:00:0b:01')!;

// Captured on a veth pair (Linux 6.x). The kernel in B (2001:db8::2) solicits 2001:db8::1; checksum 0x1128.
const KERNEL_NS = hex(`3333ff000001 020000000b01 86dd
  60000000 0020 3a ff 20010db8000000000000000000000002 ff0200000000000000000001ff000001
  87 00 1128 00000000 20010db8000000000000000000000001 01 01 020000000b01`);
// The kernel in A answered with S+O set, source = target; checksum 0x8073.
const KERNEL_NA = hex(`020000000b01 020000000a01 86dd
  60000000 0020 3a ff 20010db8000000000000000000000001 20010db8000000000000000000000002
  88 00 8073 60000000 20010db8000000000000000000000001 02 01 020000000a01`);
// The kernel's DAD probe for its link-local address: source ::, and a Nonce option (type 14, RFC 7527).
const KERNEL_DAD = hex(`3333ff000b01 020000000b01 86dd
  60000000 0020 3a ff 00000000000000000000000000000000 ff0200000000000000000001ff000b01
  87 00 fb37 00000000 fe80000000000000000000fffe000b01 0e 01 f530cd4c9b66`);

describe('ICMPv6 checksum', () => {
  it('verifies to 0 over the captured kernel messages', () => {
    for (const frame of [KERNEL_NS, KERNEL_NA, KERNEL_DAD])
      expect(icmpv6Checksum(decodeIpv6Icmp(frame)!)).toBe(0);
  });
  it('recomputes the kernel values with the field zeroed', () => {
    const ns = decodeIpv6Icmp(KERNEL_NS)!;
    ns.icmp.fill(0, 2, 4);
    expect(icmpv6Checksum(ns).toString(16)).toBe('1128');
  });
  it('matches a sum worked by hand', () => {
    // src ::1, dst ::2, message [0x87,0,0,0] (length 4): words 0x0001 + 0x0002 + length 0x0004 + next
    // header 0x003a + 0x8700 = 0x8741; one's complement 0x78be.
    expect(icmpv6Checksum({ src: ip6('::1'), dst: ip6('::2'), icmp: hex('87000000') })).toBe(0x78be);
  });
});

describe('decodeNdp', () => {
  it('decodes the captured NS with its source link-layer option', () => {
    const ns = decodeNdp(KERNEL_NS) as NeighborSolicitation;
    expect(ns.kind).toBe('ns');
    expect(ipBytesToText(ns.src)).toBe('2001:db8::2');
    expect(ipBytesToText(ns.dst)).toBe('ff02::1:ff00:1');
    expect(ipBytesToText(ns.target)).toBe('2001:db8::1');
    expect(formatMac(ns.sourceLinkLayer!)).toBe('02:00:00:00:0b:01');
    expect(isDadNs(ns)).toBe(false);
  });
  it('decodes the captured NA flags and target link-layer option', () => {
    const na = decodeNdp(KERNEL_NA) as NeighborAdvertisement;
    expect(na).toMatchObject({ kind: 'na', router: false, solicited: true, override: true });
    expect(formatMac(na.targetLinkLayer!)).toBe('02:00:00:00:0a:01');
  });
  it('decodes the captured DAD probe, skipping the unknown nonce option', () => {
    const ns = decodeNdp(KERNEL_DAD) as NeighborSolicitation;
    expect(isDadNs(ns)).toBe(true);
    expect(ns.sourceLinkLayer).toBeNull();
    expect(ipBytesToText(ns.target)).toBe('fe80::ff:fe00:b01');
  });
  const mutate = (frame: Uint8Array, at: number, value: number): Uint8Array => {
    const copy = Uint8Array.from(frame);
    copy[at] = value;
    return copy;
  };
  it.each([
    ['hop limit 64', mutate(KERNEL_NS, 21, 64)],
    ['bad checksum', mutate(KERNEL_NS, 57, 0x29)],
    ['code 1', mutate(KERNEL_NS, 55, 1)],
    ['ICMPv6 echo request', mutate(KERNEL_NS, 54, 128)],
    ['next header UDP', mutate(KERNEL_NS, 20, 17)],
    ['zero-length option', mutate(KERNEL_NS, 79, 0)],
    ['truncated payload', KERNEL_NS.slice(0, 80)],
    ['not IPv6', mutate(KERNEL_NS, 12, 0x08)],
  ])('rejects %s', (_name, frame) => {
    expect(decodeNdp(frame)).toBeNull();
  });
  it('rejects a DAD probe carrying a source link-layer option, and one sent to a non solicited-node group', () => {
    const dad = (dst?: string): Uint8Array =>
      encodeNeighborSolicitation({
        mac: MAC_B,
        src: ip6('::'),
        target: ip6('2001:db8::100'),
        ...(dst === undefined ? {} : { dst: ip6(dst) }),
      });
    expect(isDadNs(decodeNdp(dad()) as NeighborSolicitation)).toBe(true);
    expect(decodeNdp(dad('ff02::1'))).toBeNull();
    const withOption = encodeNeighborSolicitation({
      mac: MAC_B,
      src: ip6('2001:db8::2'),
      target: ip6('::100'),
    });
    withOption.fill(0, 22, 38); // source := ::, keeping the source link-layer option
    expect(decodeNdp(fixChecksum(withOption))).toBeNull();
    withOption.fill(0, 78, 86); // drop the option area's contents: now a zero-length option
    expect(decodeNdp(fixChecksum(withOption))).toBeNull();
  });
  it('rejects a multicast NA with S set', () => {
    const na = encodeUnsolicitedNa({ mac: MAC_A, ip: ip6('2001:db8::100') });
    expect(decodeNdp(na)).not.toBeNull();
    na[58] = 0x60; // S|O
    expect(decodeNdp(fixChecksum(na))).toBeNull();
  });
});

describe('encode', () => {
  it('answers the captured NS byte for byte as the Linux kernel did', () => {
    expect(toHex(encodeNaReply(decodeNdp(KERNEL_NS) as NeighborSolicitation, MAC_A))).toBe(toHex(KERNEL_NA));
  });
  it('reproduces the kernel NS from its fields', () => {
    expect(
      toHex(encodeNeighborSolicitation({ mac: MAC_B, src: ip6('2001:db8::2'), target: ip6('2001:db8::1') })),
    ).toBe(toHex(KERNEL_NS));
  });
  it('encodes an unsolicited NA to ff02::1 with O set and S clear', () => {
    const frame = encodeUnsolicitedNa({ mac: MAC_A, ip: ip6('2001:db8::100') });
    expect(formatMac(frame.subarray(0, 6))).toBe('33:33:00:00:00:01');
    const na = decodeNdp(frame) as NeighborAdvertisement;
    expect(na).toMatchObject({ kind: 'na', solicited: false, override: true, router: false });
    expect(ipBytesToText(na.dst)).toBe('ff02::1');
    expect(ipBytesToText(na.src)).toBe('2001:db8::100');
    expect(formatMac(na.targetLinkLayer!)).toBe('02:00:00:00:0a:01');
  });
  it('answers a DAD probe to all-nodes with S clear', () => {
    const dad = decodeNdp(
      encodeNeighborSolicitation({ mac: MAC_B, src: ip6('::'), target: ip6('2001:db8::100') }),
    ) as NeighborSolicitation;
    const na = decodeNdp(encodeNaReply(dad, MAC_A)) as NeighborAdvertisement;
    expect(ipBytesToText(na.dst)).toBe('ff02::1');
    expect(na.solicited).toBe(false);
    expect(na.override).toBe(true);
  });
  it('keeps the requested hop limit so tests can build invalid solicitations', () => {
    const frame = encodeNeighborSolicitation({
      mac: MAC_B,
      src: ip6('2001:db8::2'),
      target: ip6('::1'),
      hopLimit: 64,
    });
    expect(frame[21]).toBe(64);
    expect(decodeNdp(frame)).toBeNull();
  });
});

describe('solicited-node multicast', () => {
  it.each([
    ['2001:db8::100', 'ff02::1:ff00:100', '33:33:ff:00:01:00'],
    ['2001:db8::abcd:ef12:3456', 'ff02::1:ff12:3456', '33:33:ff:12:34:56'],
    ['fe80::ff:fe00:b01', 'ff02::1:ff00:b01', '33:33:ff:00:0b:01'],
  ])('%s -> %s / %s', (ip, group, mac) => {
    expect(ipBytesToText(solicitedNodeAddress(ip6(ip)))).toBe(group);
    expect(formatMac(solicitedNodeMac(ip6(ip)))).toBe(mac);
  });
});

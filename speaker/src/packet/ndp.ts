import { IPV6_ALL_NODES, bytesEqual, isAllZero } from './addresses.js';
import {
  decodeIpv6Icmp,
  encodeIpv6Icmp,
  icmpv6Checksum,
  isIpv6Multicast,
  multicastMac,
  solicitedNodeAddress,
} from './ipv6.js';

/** Neighbor Discovery (RFC 4861) Neighbor Solicitation / Advertisement with link-layer address options. */
const ICMPV6_NS = 135;
const ICMPV6_NA = 136;
const OPTION_SOURCE_LLA = 1;
const OPTION_TARGET_LLA = 2;
const NA_ROUTER = 0x80;
const NA_SOLICITED = 0x40;
const NA_OVERRIDE = 0x20;

interface NdpCommon {
  ethSrc: Uint8Array;
  ethDst: Uint8Array;
  src: Uint8Array;
  dst: Uint8Array;
  target: Uint8Array;
}

export interface NeighborSolicitation extends NdpCommon {
  kind: 'ns';
  /** Source link-layer address option, if present. */
  sourceLinkLayer: Uint8Array | null;
}

export interface NeighborAdvertisement extends NdpCommon {
  kind: 'na';
  router: boolean;
  solicited: boolean;
  override: boolean;
  /** Target link-layer address option, if present. */
  targetLinkLayer: Uint8Array | null;
}

export type NdpMessage = NeighborSolicitation | NeighborAdvertisement;

/** Parses the options area; null if any option has length 0 or overruns (RFC 4861 §4.6). */
function linkLayerOption(options: Uint8Array, type: number): Uint8Array | null | undefined {
  let found: Uint8Array | null = null;
  for (let i = 0; i < options.length;) {
    const length = (options[i + 1] ?? 0) * 8;
    if (length === 0 || i + length > options.length) return undefined;
    if (options[i] === type && length >= 8) found = options.slice(i + 2, i + 8);
    i += length;
  }
  return found;
}

/**
 * Decodes and validates an NS or NA per RFC 4861 §7.1: hop limit 255, code 0, correct checksum, length >= 24,
 * target not multicast, well-formed options; an NS from :: (DAD) must go to a solicited-node address and
 * carry no source link-layer option; an NA to a multicast address must not have S set. Otherwise null.
 */
export function decodeNdp(frame: Uint8Array): NdpMessage | null {
  const ip = decodeIpv6Icmp(frame);
  if (ip === null || ip.hopLimit !== 255 || ip.icmp.length < 24 || ip.icmp[1] !== 0) return null;
  const type = ip.icmp[0];
  if ((type !== ICMPV6_NS && type !== ICMPV6_NA) || icmpv6Checksum(ip) !== 0) return null;
  const target = ip.icmp.slice(8, 24);
  if (isIpv6Multicast(target)) return null;
  const common = { ethSrc: ip.eth.src, ethDst: ip.eth.dst, src: ip.src, dst: ip.dst, target };
  return type === ICMPV6_NS ? decodeNs(common, ip.icmp) : decodeNa(common, ip.icmp);
}

function decodeNs(common: NdpCommon, icmp: Uint8Array): NeighborSolicitation | null {
  const sourceLinkLayer = linkLayerOption(icmp.subarray(24), OPTION_SOURCE_LLA);
  if (sourceLinkLayer === undefined) return null;
  if (isAllZero(common.src) && (sourceLinkLayer !== null || !isSolicitedNode(common.dst))) return null;
  return { kind: 'ns', ...common, sourceLinkLayer };
}

function decodeNa(common: NdpCommon, icmp: Uint8Array): NeighborAdvertisement | null {
  const flags = icmp[4] ?? 0;
  const targetLinkLayer = linkLayerOption(icmp.subarray(24), OPTION_TARGET_LLA);
  if (targetLinkLayer === undefined || (isIpv6Multicast(common.dst) && (flags & NA_SOLICITED) !== 0))
    return null;
  return {
    kind: 'na',
    ...common,
    router: (flags & NA_ROUTER) !== 0,
    solicited: (flags & NA_SOLICITED) !== 0,
    override: (flags & NA_OVERRIDE) !== 0,
    targetLinkLayer,
  };
}

function isSolicitedNode(ip: Uint8Array): boolean {
  return bytesEqual(ip.subarray(0, 13), solicitedNodeAddress(ip).subarray(0, 13));
}

/** Duplicate address detection probe: an NS from the unspecified address (RFC 4862 §5.4.2). */
export function isDadNs(ns: NeighborSolicitation): boolean {
  return isAllZero(ns.src);
}

function icmpBody(
  type: number,
  target: Uint8Array,
  option: { type: number; mac: Uint8Array } | null,
): Uint8Array {
  const icmp = new Uint8Array(option === null ? 24 : 32);
  icmp[0] = type;
  icmp.set(target, 8);
  if (option !== null) {
    icmp[24] = option.type;
    icmp[25] = 1;
    icmp.set(option.mac, 26);
  }
  return icmp;
}

export interface NeighborSolicitationOptions {
  mac: Uint8Array;
  /** :: for a DAD probe (then no source link-layer option is included). */
  src: Uint8Array;
  target: Uint8Array;
  /** Default: the target's solicited-node multicast address. */
  dst?: Uint8Array;
  /** Default 255; anything else must be dropped by receivers. */
  hopLimit?: number;
}

/** Encodes an NS; the Ethernet destination is the multicast MAC of dst (or must be unicast-resolved by caller). */
export function encodeNeighborSolicitation(
  o: NeighborSolicitationOptions & { ethDst?: Uint8Array },
): Uint8Array {
  const dst = o.dst ?? solicitedNodeAddress(o.target);
  const option = isAllZero(o.src) ? null : { type: OPTION_SOURCE_LLA, mac: o.mac };
  return encodeIpv6Icmp({
    ethSrc: o.mac,
    ethDst: o.ethDst ?? multicastMac(dst),
    src: o.src,
    dst,
    hopLimit: o.hopLimit ?? 255,
    icmp: icmpBody(ICMPV6_NS, o.target, option),
  });
}

interface NeighborAdvertisementOptions {
  mac: Uint8Array;
  ethDst: Uint8Array;
  /** Default: the target itself. */
  src?: Uint8Array;
  dst: Uint8Array;
  target: Uint8Array;
  solicited: boolean;
  override: boolean;
}

/** Encodes an NA (R clear) with a target link-layer address option carrying mac. */
function encodeNeighborAdvertisement(o: NeighborAdvertisementOptions): Uint8Array {
  const icmp = icmpBody(ICMPV6_NA, o.target, { type: OPTION_TARGET_LLA, mac: o.mac });
  icmp[4] = (o.solicited ? NA_SOLICITED : 0) | (o.override ? NA_OVERRIDE : 0);
  return encodeIpv6Icmp({
    ethSrc: o.mac,
    ethDst: o.ethDst,
    src: o.src ?? o.target,
    dst: o.dst,
    hopLimit: 255,
    icmp,
  });
}

/** Unsolicited NA to all-nodes ff02::1 (33:33:00:00:00:01): O set, S clear (RFC 4861 §7.2.6). */
export function encodeUnsolicitedNa(options: { mac: Uint8Array; ip: Uint8Array }): Uint8Array {
  return encodeNeighborAdvertisement({
    mac: options.mac,
    ethDst: multicastMac(IPV6_ALL_NODES),
    dst: IPV6_ALL_NODES,
    target: options.ip,
    solicited: false,
    override: true,
  });
}

/**
 * Answer to an NS for ns.target (RFC 4861 §7.2.4): unicast to the solicitor with S and O set, sent to its
 * source link-layer option (or Ethernet source); an NS from :: (DAD) is answered to ff02::1 with S clear.
 */
export function encodeNaReply(ns: NeighborSolicitation, mac: Uint8Array): Uint8Array {
  if (isDadNs(ns)) return encodeUnsolicitedNa({ mac, ip: ns.target });
  return encodeNeighborAdvertisement({
    mac,
    ethDst: ns.sourceLinkLayer ?? ns.ethSrc,
    dst: ns.src,
    target: ns.target,
    solicited: true,
    override: true,
  });
}

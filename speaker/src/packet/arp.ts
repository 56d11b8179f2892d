import { BROADCAST_MAC, ZERO_MAC, bytesEqual, isAllZero } from './addresses.js';
import { ETHERNET_HEADER_LENGTH, ETHERTYPE_ARP, decodeEthernet, newFrame } from './ethernet.js';

/** ARP for Ethernet + IPv4 only (RFC 826): htype 1, ptype 0x0800, hlen 6, plen 4; 28-byte body. */
const ARP_LENGTH = 28;

export type ArpOperation = 'request' | 'reply';

export interface ArpPacket {
  ethSrc: Uint8Array;
  ethDst: Uint8Array;
  op: ArpOperation;
  senderMac: Uint8Array;
  senderIp: Uint8Array;
  targetMac: Uint8Array;
  targetIp: Uint8Array;
}

/** Returns null for anything that is not a well-formed Ethernet/IPv4 ARP request or reply. */
export function decodeArp(frame: Uint8Array): ArpPacket | null {
  const eth = decodeEthernet(frame);
  if (eth?.etherType !== ETHERTYPE_ARP || frame.length < ETHERNET_HEADER_LENGTH + ARP_LENGTH) return null;
  const v = new DataView(frame.buffer, frame.byteOffset + ETHERNET_HEADER_LENGTH, ARP_LENGTH);
  if (v.getUint16(0) !== 1 || v.getUint16(2) !== 0x0800 || v.getUint8(4) !== 6 || v.getUint8(5) !== 4) {
    return null;
  }
  const code = v.getUint16(6);
  if (code !== 1 && code !== 2) return null;
  const at = (offset: number, length: number): Uint8Array =>
    frame.slice(ETHERNET_HEADER_LENGTH + offset, ETHERNET_HEADER_LENGTH + offset + length);
  return {
    ethSrc: eth.src,
    ethDst: eth.dst,
    op: code === 1 ? 'request' : 'reply',
    senderMac: at(8, 6),
    senderIp: at(14, 4),
    targetMac: at(18, 6),
    targetIp: at(24, 4),
  };
}

/** RFC 5227 ARP probe: a request with sender IP 0.0.0.0 (someone doing duplicate address detection). */
export function isArpProbe(p: ArpPacket): boolean {
  return p.op === 'request' && isAllZero(p.senderIp);
}

/** Gratuitous ARP / ARP announcement (either form): sender IP equals target IP and is not 0.0.0.0. */
export function isGratuitousArp(p: ArpPacket): boolean {
  return !isAllZero(p.senderIp) && bytesEqual(p.senderIp, p.targetIp);
}

export interface ArpEncodeOptions {
  op: ArpOperation;
  ethDst: Uint8Array;
  senderMac: Uint8Array;
  senderIp: Uint8Array;
  targetMac: Uint8Array;
  targetIp: Uint8Array;
}

/** Encodes an ARP frame; the Ethernet source is the sender MAC. Zero-padded to 60 bytes. */
export function encodeArp(o: ArpEncodeOptions): Uint8Array {
  const frame = newFrame({ dst: o.ethDst, src: o.senderMac, etherType: ETHERTYPE_ARP }, ARP_LENGTH);
  const v = new DataView(frame.buffer, ETHERNET_HEADER_LENGTH, ARP_LENGTH);
  v.setUint16(0, 1);
  v.setUint16(2, 0x0800);
  v.setUint8(4, 6);
  v.setUint8(5, 4);
  v.setUint16(6, o.op === 'request' ? 1 : 2);
  frame.set(o.senderMac, ETHERNET_HEADER_LENGTH + 8);
  frame.set(o.senderIp, ETHERNET_HEADER_LENGTH + 14);
  frame.set(o.targetMac, ETHERNET_HEADER_LENGTH + 18);
  frame.set(o.targetIp, ETHERNET_HEADER_LENGTH + 24);
  return frame;
}

/**
 * The unicast reply "request.targetIp is-at mac", addressed to the requester (its sender MAC and IP).
 * For an ARP probe the target IP of the reply is 0.0.0.0, which is what the prober expects (RFC 5227 §2.1.1).
 */
export function encodeArpReply(request: ArpPacket, mac: Uint8Array): Uint8Array {
  return encodeArp({
    op: 'reply',
    ethDst: request.senderMac,
    senderMac: mac,
    senderIp: request.targetIp,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  });
}

/**
 * Gratuitous ARP, broadcast, sender IP = target IP = ip. Request form: target MAC zero (RFC 5227 §3
 * announcement). Reply form: target MAC = sender MAC (RFC 2002 §4.6). Send both: hosts differ in which they
 * honour; Linux updates an existing entry from either (it never creates one under arp_accept=0).
 */
export function encodeGratuitousArp(options: {
  mac: Uint8Array;
  ip: Uint8Array;
  op: ArpOperation;
}): Uint8Array {
  return encodeArp({
    op: options.op,
    ethDst: BROADCAST_MAC,
    senderMac: options.mac,
    senderIp: options.ip,
    targetMac: options.op === 'request' ? ZERO_MAC : options.mac,
    targetIp: options.ip,
  });
}

/** Broadcast "who-has targetIp tell senderIp" (senderIp 0.0.0.0 makes it a probe). */
export function encodeArpRequest(options: {
  mac: Uint8Array;
  senderIp: Uint8Array;
  targetIp: Uint8Array;
}): Uint8Array {
  return encodeArp({
    op: 'request',
    ethDst: BROADCAST_MAC,
    senderMac: options.mac,
    senderIp: options.senderIp,
    targetMac: ZERO_MAC,
    targetIp: options.targetIp,
  });
}

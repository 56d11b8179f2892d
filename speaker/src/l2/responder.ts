import {
  IPV4_ANY,
  bytesEqual,
  decodeArp,
  decodeNdp,
  encodeArpReply,
  encodeArpRequest,
  encodeGratuitousArp,
  encodeNaReply,
  encodeNeighborSolicitation,
  encodeUnsolicitedNa,
  ipBytesToText,
  formatMac,
  isArpProbe,
  isGratuitousArp,
  isDadNs,
  IPV6_UNSPECIFIED,
  type ArpPacket,
  type NeighborAdvertisement,
  type NeighborSolicitation,
} from '../packet/index.js';

/**
 * What to do with one received ARP or NDP frame. Pure: the interface announcer does the I/O.
 *
 * Invariants:
 * - We answer only for IPs this node announces on this interface, always with this interface's MAC.
 * - A frame in which someone else claims one of our IPs (ARP with that sender IP, an NA for that target)
 *   is a conflict unless the MAC belongs to this node or to another ironlb speaker (a handover).
 * - Probes from hosts doing duplicate address detection (ARP probe, DAD NS) are answered, which is how
 *   RFC 5227 / RFC 4862 tell them the address is taken; they are not conflicts by themselves.
 * - A request (ARP request, NS) is answered only when its Ethernet destination is broadcast, multicast or our
 *   MAC. One unicast to another MAC (a flooded unicast refresh to the previous announcer, a capture on a
 *   promiscuous port) was not asked of us: answering it would give the requester a second MAC for the IP.
 *   Such frames still count as evidence of a conflict: who claims an IP does not depend on who was asked.
 */
export interface ResponderContext {
  /** The interface's MAC. */
  mac: Uint8Array;
  /** IPs announced on this interface (canonical text). */
  announced: ReadonlySet<string>;
  /** MACs that may legitimately claim our IPs: ours and other speakers' (lower-case, colon form). */
  friendlyMacs: ReadonlySet<string>;
}

export type FrameKind = 'arp-request' | 'arp-reply' | 'ndp-ns' | 'ndp-na' | 'other';

export interface Conflict {
  ip: string;
  mac: string;
  /** What showed the claim, e.g. "ARP reply", "gratuitous ARP", "neighbour advertisement". */
  evidence: string;
}

export interface FrameDecision {
  kind: FrameKind;
  /** Frame to send back, if we answer. */
  reply: Uint8Array | null;
  conflict: Conflict | null;
}

const IGNORE: FrameDecision = { kind: 'other', reply: null, conflict: null };

export function decideArp(frame: Uint8Array, ctx: ResponderContext): FrameDecision {
  const arp = decodeArp(frame);
  if (!arp) return IGNORE;
  const kind: FrameKind = arp.op === 'request' ? 'arp-request' : 'arp-reply';
  const conflict = arpConflict(arp, ctx);
  const target = ipBytesToText(arp.targetIp);
  const asked = arp.op === 'request' && ctx.announced.has(target) && addressedToUs(arp.ethDst, ctx);
  const reply = asked ? encodeArpReply(arp, ctx.mac) : null;
  return { kind, reply: conflict ? null : reply, conflict };
}

function arpConflict(arp: ArpPacket, ctx: ResponderContext): Conflict | null {
  if (isArpProbe(arp)) return null;
  const sender = ipBytesToText(arp.senderIp);
  if (!ctx.announced.has(sender)) return null;
  const mac = formatMac(arp.senderMac);
  if (ctx.friendlyMacs.has(mac)) return null;
  const evidence = arp.op === 'reply' ? 'ARP reply' : isGratuitousArp(arp) ? 'gratuitous ARP' : 'ARP request';
  return { ip: sender, mac, evidence };
}

export function decideNdp(frame: Uint8Array, ctx: ResponderContext): FrameDecision {
  const msg = decodeNdp(frame);
  if (!msg) return IGNORE;
  if (msg.kind === 'ns') return decideNs(msg, ctx);
  return { kind: 'ndp-na', reply: null, conflict: naConflict(msg, ctx) };
}

function decideNs(ns: NeighborSolicitation, ctx: ResponderContext): FrameDecision {
  const target = ipBytesToText(ns.target);
  if (!ctx.announced.has(target)) return { kind: 'ndp-ns', reply: null, conflict: null };
  // A solicitation *from* our address by a foreign MAC means another host uses it.
  const src = ipBytesToText(ns.src);
  if (!isDadNs(ns) && src === target) {
    const mac = formatMac(ns.sourceLinkLayer ?? ns.ethSrc);
    if (!ctx.friendlyMacs.has(mac)) {
      return {
        kind: 'ndp-ns',
        reply: null,
        conflict: { ip: target, mac, evidence: 'neighbour solicitation' },
      };
    }
  }
  const reply = addressedToUs(ns.ethDst, ctx) ? encodeNaReply(ns, ctx.mac) : null;
  return { kind: 'ndp-ns', reply, conflict: null };
}

/** Group frames (broadcast, multicast: I/G bit set) are for everyone; a unicast frame only for its MAC. */
function addressedToUs(ethDst: Uint8Array, ctx: ResponderContext): boolean {
  return ((ethDst[0] ?? 0) & 0x01) === 0x01 || bytesEqual(ethDst, ctx.mac);
}

function naConflict(na: NeighborAdvertisement, ctx: ResponderContext): Conflict | null {
  const target = ipBytesToText(na.target);
  if (!ctx.announced.has(target)) return null;
  const mac = formatMac(na.targetLinkLayer ?? na.ethSrc);
  if (ctx.friendlyMacs.has(mac)) return null;
  return { ip: target, mac, evidence: 'neighbour advertisement' };
}

/** Frames announcing a takeover: gratuitous ARP (both forms) or an unsolicited NA with Override. */
export function takeoverFrames(args: { ip: Uint8Array; mac: Uint8Array }): Uint8Array[] {
  if (args.ip.length === 4) {
    return [
      encodeGratuitousArp({ mac: args.mac, ip: args.ip, op: 'request' }),
      encodeGratuitousArp({ mac: args.mac, ip: args.ip, op: 'reply' }),
    ];
  }
  return [encodeUnsolicitedNa({ mac: args.mac, ip: args.ip })];
}

/**
 * A probe that makes any other holder of the IP answer us: an ARP probe (sender 0.0.0.0) or a DAD-style
 * NS (source ::). Owners reply to these even though we are not in their neighbour tables.
 */
export function conflictProbe(args: { ip: Uint8Array; mac: Uint8Array }): Uint8Array {
  if (args.ip.length === 4) return encodeArpRequest({ mac: args.mac, senderIp: IPV4_ANY, targetIp: args.ip });
  return encodeNeighborSolicitation({ mac: args.mac, src: IPV6_UNSPECIFIED, target: args.ip });
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeArpReply, encodeArpRequest, encodeGratuitousArp, decodeArp } from './arp.js';
import { ETHERNET_HEADER_LENGTH, decodeEthernet } from './ethernet.js';
import { IPV6_HEADER_LENGTH, decodeIpv6Icmp, icmpv6Checksum } from './ipv6.js';
import { decodeNdp, encodeNaReply, encodeNeighborSolicitation, encodeUnsolicitedNa } from './ndp.js';

/**
 * The decoders face whatever arrives on the wire: for any bytes they return a value or null and never throw,
 * and what they return is well-formed (addresses of the right length). Frames are random bytes, or valid frames
 * from the encoders with random mutations: bytes overwritten, truncated, extended, and for IPv6 the ICMPv6
 * checksum recomputed afterwards so the mutation reaches the NDP parser instead of stopping at the checksum.
 */

const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
const mac = bytes(6);
const ipv4 = bytes(4);
const ipv6 = bytes(16);

const validArp = fc.oneof(
  fc.record({ mac, senderIp: ipv4, targetIp: ipv4 }).map((o) => encodeArpRequest(o)),
  fc
    .record({ mac, ip: ipv4, op: fc.constantFrom('request' as const, 'reply' as const) })
    .map((o) => encodeGratuitousArp(o)),
  fc.record({ mac, senderIp: ipv4, targetIp: ipv4, ours: mac }).map((o) => {
    const request = decodeArp(encodeArpRequest(o));
    if (request === null) throw new Error('encoder produced an undecodable ARP request');
    return encodeArpReply(request, o.ours);
  }),
);

const validNdp = fc.oneof(
  fc.record({ mac, src: ipv6, target: ipv6 }).map((o) => encodeNeighborSolicitation(o)),
  fc.record({ mac, ip: ipv6 }).map((o) => encodeUnsolicitedNa(o)),
  fc.record({ mac, src: ipv6, target: ipv6, ours: mac }).map((o) => {
    const ns = decodeNdp(encodeNeighborSolicitation(o));
    return ns?.kind === 'ns' ? encodeNaReply(ns, o.ours) : encodeUnsolicitedNa({ mac: o.ours, ip: o.target });
  }),
);

type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'extend'; tail: Uint8Array };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(120), value: fc.nat(255) }),
  },
  fc.record({ kind: fc.constant('truncate' as const), length: fc.nat(120) }),
  fc.record({ kind: fc.constant('extend' as const), tail: fc.uint8Array({ maxLength: 64 }) }),
);

function mutate(frame: Uint8Array, steps: readonly Mutation[]): Uint8Array {
  let out = Uint8Array.from(frame);
  for (const m of steps) {
    if (m.kind === 'set') {
      if (out.length > 0) out[m.at % out.length] = m.value;
    } else if (m.kind === 'truncate') {
      out = out.slice(0, m.length);
    } else {
      out = Uint8Array.from([...out, ...m.tail]);
    }
  }
  return out;
}

/** Recomputes the ICMPv6 checksum when the frame still parses as Ethernet + IPv6 + ICMPv6. */
function fixChecksum(frame: Uint8Array): Uint8Array {
  const ip = decodeIpv6Icmp(frame);
  if (ip === null || ip.icmp.length < 4) return frame;
  // The checksum is bytes 2-3 of the ICMPv6 message, right after the Ethernet and IPv6 headers.
  const at = ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH + 2;
  frame[at] = 0;
  frame[at + 1] = 0;
  const sum = icmpv6Checksum(decodeIpv6Icmp(frame) ?? ip);
  frame[at] = sum >> 8;
  frame[at + 1] = sum & 0xff;
  return frame;
}

/** Decodes with every decoder; throws (failing the property) only when a result is malformed. */
function decodeAll(frame: Uint8Array): void {
  const eth = decodeEthernet(frame);
  if (eth !== null) expect([eth.src.length, eth.dst.length]).toEqual([6, 6]);
  const arp = decodeArp(frame);
  if (arp !== null) {
    expect([arp.senderMac, arp.senderIp, arp.targetMac, arp.targetIp].map((b) => b.length)).toEqual([
      6, 4, 6, 4,
    ]);
  }
  const ndp = decodeNdp(frame);
  if (ndp !== null) {
    expect([ndp.src, ndp.dst, ndp.target].map((b) => b.length)).toEqual([16, 16, 16]);
    const lla = ndp.kind === 'ns' ? ndp.sourceLinkLayer : ndp.targetLinkLayer;
    if (lla !== null) expect(lla.length).toBe(6);
  }
}

/** Generous: thousands of frames per test on a loaded CI machine. */
const TIMEOUT_MS = 30_000;

describe('ARP / NDP decoders on hostile input', () => {
  it(
    'never throw on random bytes',
    () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), (frame) => {
          decodeAll(frame);
        }),
        { numRuns: 1000 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'never throw on mutated ARP frames',
    () => {
      fc.assert(
        fc.property(validArp, fc.array(mutation, { minLength: 1, maxLength: 4 }), (frame, steps) => {
          decodeAll(mutate(frame, steps));
        }),
        { numRuns: 1000 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    'never throw on mutated NDP frames, with the checksum fixed so the NDP parser sees the mutation',
    () => {
      let decoded = 0;
      fc.assert(
        fc.property(validNdp, fc.array(mutation, { minLength: 1, maxLength: 4 }), (frame, steps) => {
          const mutated = fixChecksum(mutate(frame, steps));
          decodeAll(mutated);
          if (decodeNdp(mutated) !== null) decoded++;
        }),
        { numRuns: 1000 },
      );
      // Some mutations (a flag, an address byte) leave a valid message: the parser was really reached.
      expect(decoded).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    'decode what the encoders produce (the mutation inputs are valid to begin with)',
    () => {
      fc.assert(
        fc.property(validArp, (frame) => {
          expect(decodeArp(frame)).not.toBeNull();
        }),
      );
      fc.assert(
        fc.property(fc.record({ mac, ip: ipv6 }), (o) => {
          fc.pre((o.ip[0] ?? 0) !== 0xff); // a multicast target is invalid by RFC 4861
          expect(decodeNdp(encodeUnsolicitedNa(o))).not.toBeNull();
        }),
      );
    },
    TIMEOUT_MS,
  );
});

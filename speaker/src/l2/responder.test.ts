import { describe, expect, it } from 'vitest';
import {
  IPV6_UNSPECIFIED,
  decodeArp,
  decodeNdp,
  encodeArp,
  encodeArpRequest,
  encodeGratuitousArp,
  encodeNeighborSolicitation,
  encodeUnsolicitedNa,
  formatMac,
  ipTextToBytes,
  parseMac,
  ZERO_MAC,
} from '../packet/index.js';
import { conflictProbe, decideArp, decideNdp, takeoverFrames, type ResponderContext } from './responder.js';

function ip(text: string): Uint8Array {
  const v = ipTextToBytes(text);
  if (!v) throw new Error(text);
  return v;
}
function mac(text: string): Uint8Array {
  const v = parseMac(text);
  if (!v) throw new Error(text);
  return v;
}

const ours = mac('02:00:00:00:00:11');
const peer = mac('02:00:00:00:00:12');
const client = mac('02:00:00:00:00:64');
const squatter = mac('02:00:00:00:00:99');
const ctx: ResponderContext = {
  mac: ours,
  announced: new Set(['198.51.100.1', '2001:db8:100::1']),
  friendlyMacs: new Set([formatMac(ours), formatMac(peer)]),
};

describe('decideArp', () => {
  it('answers a request for an announced IP with our MAC', () => {
    const request = encodeArpRequest({
      mac: client,
      senderIp: ip('192.0.2.100'),
      targetIp: ip('198.51.100.1'),
    });
    const d = decideArp(request, ctx);
    expect(d.kind).toBe('arp-request');
    expect(d.conflict).toBeNull();
    const reply = decodeArp(d.reply ?? new Uint8Array());
    expect(reply?.op).toBe('reply');
    expect(formatMac(reply?.senderMac ?? ZERO_MAC)).toBe('02:00:00:00:00:11');
    expect(reply?.senderIp).toEqual(ip('198.51.100.1'));
    expect(reply?.targetIp).toEqual(ip('192.0.2.100'));
    expect(formatMac(reply?.ethDst ?? ZERO_MAC)).toBe('02:00:00:00:00:64');
  });

  it('ignores requests for IPs we do not announce', () => {
    const request = encodeArpRequest({
      mac: client,
      senderIp: ip('192.0.2.100'),
      targetIp: ip('198.51.100.2'),
    });
    expect(decideArp(request, ctx)).toEqual({ kind: 'arp-request', reply: null, conflict: null });
  });

  it('answers ARP probes (defends the address) without calling them conflicts', () => {
    const probe = encodeArpRequest({ mac: squatter, senderIp: ip('0.0.0.0'), targetIp: ip('198.51.100.1') });
    const d = decideArp(probe, ctx);
    expect(d.conflict).toBeNull();
    expect(d.reply).not.toBeNull();
  });

  it('reports a foreign gratuitous ARP and a foreign reply for our IP as conflicts', () => {
    const garp = encodeGratuitousArp({ mac: squatter, ip: ip('198.51.100.1'), op: 'request' });
    expect(decideArp(garp, ctx).conflict).toEqual({
      ip: '198.51.100.1',
      mac: '02:00:00:00:00:99',
      evidence: 'gratuitous ARP',
    });
    const reply = encodeArp({
      op: 'reply',
      ethDst: ours,
      senderMac: squatter,
      senderIp: ip('198.51.100.1'),
      targetMac: ours,
      targetIp: ip('0.0.0.0'),
    });
    expect(decideArp(reply, ctx).conflict?.evidence).toBe('ARP reply');
  });

  it('does not treat another speaker taking over as a conflict', () => {
    const garp = encodeGratuitousArp({ mac: peer, ip: ip('198.51.100.1'), op: 'reply' });
    expect(decideArp(garp, ctx).conflict).toBeNull();
  });

  it('ignores frames that are not ARP', () => {
    expect(decideArp(new Uint8Array(60), ctx)).toEqual({ kind: 'other', reply: null, conflict: null });
  });

  const requestTo = (ethDst: Uint8Array): Uint8Array =>
    encodeArp({
      op: 'request',
      ethDst,
      senderMac: client,
      senderIp: ip('192.0.2.100'),
      targetMac: ZERO_MAC,
      targetIp: ip('198.51.100.1'),
    });

  it('answers a request unicast to our MAC (a neighbour-cache refresh)', () => {
    const reply = decodeArp(decideArp(requestTo(ours), ctx).reply ?? new Uint8Array());
    expect(formatMac(reply?.senderMac ?? ZERO_MAC)).toBe('02:00:00:00:00:11');
  });

  it('does not answer a request unicast to another host’s MAC', () => {
    expect(decideArp(requestTo(peer), ctx)).toEqual({ kind: 'arp-request', reply: null, conflict: null });
    expect(decideArp(requestTo(squatter), ctx).reply).toBeNull();
  });

  it('answers a request to a multicast MAC (group bit set)', () => {
    expect(decideArp(requestTo(mac('01:00:5e:00:00:01')), ctx).reply).not.toBeNull();
  });

  it('still reports a conflict seen in a frame unicast to another MAC', () => {
    const claim = encodeArp({
      op: 'request',
      ethDst: client,
      senderMac: squatter,
      senderIp: ip('198.51.100.1'),
      targetMac: ZERO_MAC,
      targetIp: ip('192.0.2.100'),
    });
    expect(decideArp(claim, ctx)).toEqual({
      kind: 'arp-request',
      reply: null,
      conflict: { ip: '198.51.100.1', mac: '02:00:00:00:00:99', evidence: 'ARP request' },
    });
  });
});

describe('decideNdp', () => {
  it('answers an NS for an announced IPv6 address with a solicited NA', () => {
    const ns = encodeNeighborSolicitation({
      mac: client,
      src: ip('2001:db8::100'),
      target: ip('2001:db8:100::1'),
    });
    const d = decideNdp(ns, ctx);
    const na = decodeNdp(d.reply ?? new Uint8Array());
    expect(na).toMatchObject({ kind: 'na', solicited: true, override: true });
    if (na?.kind !== 'na') throw new Error('not an NA');
    expect(formatMac(na.targetLinkLayer ?? ZERO_MAC)).toBe('02:00:00:00:00:11');
    expect(na.target).toEqual(ip('2001:db8:100::1'));
  });

  const nsTo = (ethDst: Uint8Array): Uint8Array =>
    encodeNeighborSolicitation({
      mac: client,
      src: ip('2001:db8::100'),
      target: ip('2001:db8:100::1'),
      dst: ip('2001:db8:100::1'),
      ethDst,
    });

  it('answers an NS unicast to our MAC (neighbour unreachability detection)', () => {
    expect(decodeNdp(decideNdp(nsTo(ours), ctx).reply ?? new Uint8Array())).toMatchObject({
      kind: 'na',
      solicited: true,
    });
  });

  it('does not answer an NS unicast to another host’s MAC', () => {
    expect(decideNdp(nsTo(peer), ctx)).toEqual({ kind: 'ndp-ns', reply: null, conflict: null });
    expect(decideNdp(nsTo(squatter), ctx).reply).toBeNull();
  });

  it('answers a DAD probe for our address (defends it)', () => {
    const dad = encodeNeighborSolicitation({
      mac: squatter,
      src: IPV6_UNSPECIFIED,
      target: ip('2001:db8:100::1'),
    });
    const d = decideNdp(dad, ctx);
    expect(d.conflict).toBeNull();
    expect(decodeNdp(d.reply ?? new Uint8Array())).toMatchObject({
      kind: 'na',
      override: true,
      solicited: false,
    });
  });

  it('reports a foreign NA for our address as a conflict, but not a peer’s', () => {
    const foreign = encodeUnsolicitedNa({ mac: squatter, ip: ip('2001:db8:100::1') });
    expect(decideNdp(foreign, ctx).conflict).toEqual({
      ip: '2001:db8:100::1',
      mac: '02:00:00:00:00:99',
      evidence: 'neighbour advertisement',
    });
    expect(decideNdp(encodeUnsolicitedNa({ mac: peer, ip: ip('2001:db8:100::1') }), ctx).conflict).toBeNull();
  });
});

describe('takeover and probe frames', () => {
  it('sends both gratuitous ARP forms for IPv4 and one unsolicited NA for IPv6', () => {
    const v4 = takeoverFrames({ ip: ip('198.51.100.1'), mac: ours }).map((f) => decodeArp(f)?.op);
    expect(v4).toEqual(['request', 'reply']);
    const v6 = takeoverFrames({ ip: ip('2001:db8:100::1'), mac: ours }).map((f) => decodeNdp(f));
    expect(v6).toHaveLength(1);
    expect(v6[0]).toMatchObject({ kind: 'na', override: true, solicited: false });
  });

  it('probes with sender 0.0.0.0 / source ::', () => {
    expect(decodeArp(conflictProbe({ ip: ip('198.51.100.1'), mac: ours }))?.senderIp).toEqual(ip('0.0.0.0'));
    const ns = decodeNdp(conflictProbe({ ip: ip('2001:db8:100::1'), mac: ours }));
    expect(ns?.src).toEqual(IPV6_UNSPECIFIED);
  });
});

import { describe, expect, it } from 'vitest';
import { ipBytesToText, formatMac, ipTextToBytes, parseMac } from './addresses.js';
import {
  decodeArp,
  encodeArpReply,
  encodeArpRequest,
  encodeGratuitousArp,
  isArpProbe,
  isGratuitousArp,
} from './arp.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// Captured with packet-socket on a veth pair: Linux 6.x in namespace B resolving 192.0.2.1 ...
const KERNEL_REQUEST = hex(
  'ffffffffffff020000000b0108060001080006040001020000000b01c0000202000000000000c0000201',
);
// ... and the reply the Linux kernel in namespace A sent back (42 bytes: veth does not pad).
const KERNEL_REPLY = hex(
  '020000000b01020000000a0108060001080006040002020000000a01c0000201020000000b01c0000202',
);
const MAC_A = parseMac('02:00:00:00:0a:01')!;

describe('decodeArp', () => {
  it('decodes a captured request', () => {
    const p = decodeArp(KERNEL_REQUEST)!;
    expect(p.op).toBe('request');
    expect(formatMac(p.ethDst)).toBe('ff:ff:ff:ff:ff:ff');
    expect(formatMac(p.senderMac)).toBe('02:00:00:00:0b:01');
    expect(ipBytesToText(p.senderIp)).toBe('192.0.2.2');
    expect(formatMac(p.targetMac)).toBe('00:00:00:00:00:00');
    expect(ipBytesToText(p.targetIp)).toBe('192.0.2.1');
    expect(isArpProbe(p)).toBe(false);
    expect(isGratuitousArp(p)).toBe(false);
  });
  it('decodes a captured reply, and tolerates trailing padding', () => {
    const padded = new Uint8Array(60);
    padded.set(KERNEL_REPLY);
    for (const frame of [KERNEL_REPLY, padded]) {
      const p = decodeArp(frame)!;
      expect(p.op).toBe('reply');
      expect(formatMac(p.senderMac)).toBe('02:00:00:00:0a:01');
      expect(ipBytesToText(p.senderIp)).toBe('192.0.2.1');
    }
  });
  it.each([
    ['truncated', KERNEL_REQUEST.slice(0, 41)],
    ['not ARP', Uint8Array.from(KERNEL_REQUEST).fill(0x86, 12, 13)],
    ['hardware type 6', Uint8Array.from(KERNEL_REQUEST).fill(6, 15, 16)],
    ['protocol IPv6', Uint8Array.from(KERNEL_REQUEST).fill(0x86, 16, 17)],
    ['hlen 8', Uint8Array.from(KERNEL_REQUEST).fill(8, 18, 19)],
    ['opcode 3 (RARP)', Uint8Array.from(KERNEL_REQUEST).fill(3, 21, 22)],
    ['empty', new Uint8Array(0)],
  ])('rejects %s', (_name, frame) => {
    expect(decodeArp(frame)).toBeNull();
  });
  it('decodes a request inside a larger buffer (non-zero byteOffset)', () => {
    const big = new Uint8Array(100);
    big.set(KERNEL_REQUEST, 7);
    expect(decodeArp(big.subarray(7, 7 + KERNEL_REQUEST.length))?.op).toBe('request');
  });
});

describe('encode', () => {
  it('answers the captured request exactly as the Linux kernel did (plus padding to 60 bytes)', () => {
    const reply = encodeArpReply(decodeArp(KERNEL_REQUEST)!, MAC_A);
    expect(reply.length).toBe(60);
    expect(toHex(reply.subarray(0, 42))).toBe(toHex(KERNEL_REPLY));
    expect(reply.subarray(42).every((b) => b === 0)).toBe(true);
  });
  it('detects an ARP probe and answers it with target IP 0.0.0.0', () => {
    const probe = encodeArpRequest({
      mac: parseMac('02:00:00:00:0b:01')!,
      senderIp: ipTextToBytes('0.0.0.0')!,
      targetIp: ipTextToBytes('192.0.2.100')!,
    });
    const p = decodeArp(probe)!;
    expect(isArpProbe(p)).toBe(true);
    const reply = decodeArp(encodeArpReply(p, MAC_A))!;
    expect(ipBytesToText(reply.senderIp)).toBe('192.0.2.100');
    expect(ipBytesToText(reply.targetIp)).toBe('0.0.0.0');
    expect(formatMac(reply.ethDst)).toBe('02:00:00:00:0b:01');
  });
  it('encodes both gratuitous forms', () => {
    const ip = ipTextToBytes('192.0.2.100')!;
    expect(toHex(encodeGratuitousArp({ mac: MAC_A, ip, op: 'request' }))).toBe(
      'ffffffffffff020000000a0108060001080006040001020000000a01c0000264000000000000c0000264' +
        '00'.repeat(18),
    );
    expect(toHex(encodeGratuitousArp({ mac: MAC_A, ip, op: 'reply' }))).toBe(
      'ffffffffffff020000000a0108060001080006040002020000000a01c0000264020000000a01c0000264' +
        '00'.repeat(18),
    );
    for (const op of ['request', 'reply'] as const) {
      const p = decodeArp(encodeGratuitousArp({ mac: MAC_A, ip, op }))!;
      expect(isGratuitousArp(p)).toBe(true);
      expect(isArpProbe(p)).toBe(false);
    }
  });
});

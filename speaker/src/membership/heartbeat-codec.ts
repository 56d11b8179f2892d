import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Result } from '@ironlb/shared';

/**
 * Wire format of a membership datagram (all integers big-endian):
 *
 *   0  magic "ILB1"            4 bytes
 *   4  kind                    1 byte   (1 = alive, 2 = leaving)
 *   5  incarnation             8 bytes  (sender boot id: changes on every start)
 *  13  sequence                4 bytes  (strictly increasing within an incarnation)
 *  17  name length n           1 byte
 *  18  node name               n bytes  (UTF-8)
 *  18+n  MAC count m           1 byte
 *  19+n  MACs                  6*m bytes (the sender's announcing interfaces, for conflict detection)
 *  ...   HMAC-SHA256           32 bytes over everything before it, keyed with the membership secret
 *
 * Invariant: a datagram is accepted only if its HMAC verifies; replay protection (sequence and
 * incarnation ordering) is the member table's job.
 */
export type HeartbeatKind = 'alive' | 'leaving';

export interface Heartbeat {
  kind: HeartbeatKind;
  node: string;
  incarnation: bigint;
  sequence: number;
  macs: string[];
}

const MAGIC = Buffer.from('ILB1', 'ascii');
const MAC_SIZE = 6;
const DIGEST_SIZE = 32;
const HEADER_SIZE = 18;

export function encodeHeartbeat(hb: Heartbeat, secret: Uint8Array): Buffer {
  const name = Buffer.from(hb.node, 'utf8');
  if (name.length > 255) throw new Error(`node name too long for a heartbeat: ${hb.node}`);
  if (hb.macs.length > 255) throw new Error('too many MACs for a heartbeat');
  const body = Buffer.alloc(HEADER_SIZE + name.length + 1 + hb.macs.length * MAC_SIZE);
  MAGIC.copy(body, 0);
  body.writeUInt8(hb.kind === 'alive' ? 1 : 2, 4);
  body.writeBigUInt64BE(hb.incarnation, 5);
  body.writeUInt32BE(hb.sequence >>> 0, 13);
  body.writeUInt8(name.length, 17);
  name.copy(body, HEADER_SIZE);
  let offset = HEADER_SIZE + name.length;
  body.writeUInt8(hb.macs.length, offset++);
  for (const mac of hb.macs) {
    macToBytes(mac).copy(body, offset);
    offset += MAC_SIZE;
  }
  return Buffer.concat([body, sign(body, secret)]);
}

export function decodeHeartbeat(datagram: Buffer, secret: Uint8Array): Result<Heartbeat> {
  if (datagram.length < HEADER_SIZE + 1 + DIGEST_SIZE) return { ok: false, error: 'short datagram' };
  if (!datagram.subarray(0, 4).equals(MAGIC)) return { ok: false, error: 'bad magic' };
  const body = datagram.subarray(0, datagram.length - DIGEST_SIZE);
  const digest = datagram.subarray(datagram.length - DIGEST_SIZE);
  if (!timingSafeEqual(digest, sign(body, secret))) return { ok: false, error: 'bad signature' };
  const kindByte = body.readUInt8(4);
  if (kindByte !== 1 && kindByte !== 2) return { ok: false, error: `unknown kind ${kindByte}` };
  const nameLength = body.readUInt8(17);
  const macCountAt = HEADER_SIZE + nameLength;
  if (body.length < macCountAt + 1) return { ok: false, error: 'truncated name' };
  const macCount = body.readUInt8(macCountAt);
  if (body.length !== macCountAt + 1 + macCount * MAC_SIZE) return { ok: false, error: 'bad length' };
  const macs: string[] = [];
  for (let i = 0; i < macCount; i++) {
    const at = macCountAt + 1 + i * MAC_SIZE;
    macs.push(bytesToMac(body.subarray(at, at + MAC_SIZE)));
  }
  return {
    ok: true,
    value: {
      kind: kindByte === 1 ? 'alive' : 'leaving',
      incarnation: body.readBigUInt64BE(5),
      sequence: body.readUInt32BE(13),
      node: body.subarray(HEADER_SIZE, HEADER_SIZE + nameLength).toString('utf8'),
      macs,
    },
  };
}

function sign(body: Buffer, secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

function macToBytes(mac: string): Buffer {
  const bytes = Buffer.from(mac.replaceAll(':', ''), 'hex');
  if (bytes.length !== MAC_SIZE) throw new Error(`not a MAC address: ${mac}`);
  return bytes;
}

function bytesToMac(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

import { isUtf8 } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Result } from '@ironlb/shared';
import { formatMac, parseMac } from '../packet/index.js';
import {
  ADDRESS_SIZE,
  RECORD_SIZE,
  addressToBytes,
  bytesToAddress,
  type ClaimDigest,
  type ClaimSet,
} from './claim-set.js';

/**
 * Wire format v2 of a membership datagram (integers big-endian). Every datagram:
 *
 *    0  magic "ILB2"             4
 *    4  kind                     1   1 alive, 2 leaving, 3 claims (one chunk), 4 pull
 *    5  incarnation              8   sender boot id: changes on every start
 *   13  sequence                 4   heartbeats: strictly increasing within an incarnation
 *   17  timestamp                8   sender wall clock, ms since the epoch (checked against a window)
 *   25  sender address          16   the sender's node address, IPv4 as IPv4-mapped IPv6
 *   41  name length n            1   n ≤ 253
 *   42  node name                n   UTF-8
 *   42+n  payload (by kind)
 *   end-32  HMAC-SHA256 over everything before it, keyed with the membership secret
 *
 * Payloads:
 *   alive / leaving: staleness ms u32 (saturated), flags u8 (bit 0: stale), digest hash u64, claim count
 *                    u32, MAC count m u8 (≤ 8), m × 6-byte MACs
 *   claims:          digest hash u64, claim count u32, chunk index u16, chunk total u16, record count k
 *                    u16, k × 20-byte records (16-byte address + u32 owner tag)
 *   pull:            digest hash u64, claim count u32 (the set the puller wants)
 *
 * Invariants: every datagram is at most MAX_DATAGRAM bytes, whatever the input (fits one Ethernet frame
 * over IPv6/UDP); encoding never throws (bad input is an error value, extra MACs are not sent); decoding
 * never throws and accepts only datagrams whose HMAC verifies, whose length matches the kind exactly and whose
 * node name is UTF-8.
 */
export const MAX_DATAGRAM = 1200;
export const MAX_NAME_BYTES = 253;
export const MAX_MACS = 8;
const MAX_CHUNKS = 0xffff;

const MAGIC = Buffer.from('ILB2', 'ascii');
const HEADER = 42;
const HMAC_SIZE = 32;
const MAC_SIZE = 6;
const STATE_FIXED = 18;
const CHUNK_FIXED = 18;
const PULL_SIZE = 12;
const KINDS = ['alive', 'leaving', 'claims', 'pull'] as const;

export interface Envelope {
  node: string;
  incarnation: bigint;
  sequence: number;
  timestampMs: number;
  /** The sender's node address, canonical text ('::' when the sender does not know it yet). */
  address: string;
}

export interface PeerState {
  stalenessMs: number;
  stale: boolean;
  digest: ClaimDigest;
  /** At most MAX_MACS, lower-case colon-separated. */
  macs: string[];
}

export interface ClaimChunk {
  digest: ClaimDigest;
  index: number;
  total: number;
  /** A whole number of 20-byte records. */
  records: Buffer;
}

export type Heartbeat = Envelope & { kind: 'alive' | 'leaving'; state: PeerState };
export type ClaimsDatagram = Envelope & { kind: 'claims'; chunk: ClaimChunk };
export type PullDatagram = Envelope & { kind: 'pull'; digest: ClaimDigest };
export type MembershipDatagram = Heartbeat | ClaimsDatagram | PullDatagram;

export function encodeHeartbeat(hb: Heartbeat, secret: Uint8Array): Result<Buffer> {
  const macs = hb.state.macs.slice(0, MAX_MACS).map(parseMac);
  if (macs.some((m) => m === null)) return { ok: false, error: 'not a MAC address' };
  const payload = Buffer.alloc(STATE_FIXED + macs.length * MAC_SIZE);
  payload.writeUInt32BE(saturate(hb.state.stalenessMs), 0);
  payload.writeUInt8(hb.state.stale ? 1 : 0, 4);
  writeDigest(payload, 5, hb.state.digest);
  payload.writeUInt8(macs.length, 17);
  macs.forEach((m, i) => {
    if (m) payload.set(m, STATE_FIXED + i * MAC_SIZE);
  });
  return seal({ envelope: hb, kind: hb.kind, payload, secret });
}

export function encodePull(pull: PullDatagram, secret: Uint8Array): Result<Buffer> {
  const payload = Buffer.alloc(PULL_SIZE);
  writeDigest(payload, 0, pull.digest);
  return seal({ envelope: pull, kind: 'pull', payload, secret });
}

/** Records per chunk for a sender name of this many bytes (so each datagram is ≤ MAX_DATAGRAM). */
function recordsPerChunk(nameBytes: number): number {
  return Math.floor((MAX_DATAGRAM - HEADER - nameBytes - CHUNK_FIXED - HMAC_SIZE) / RECORD_SIZE);
}

/** Splits a claim set into signed chunk datagrams (at least one, even for the empty set). */
export function encodeClaimChunks(envelope: Envelope, set: ClaimSet, secret: Uint8Array): Result<Buffer[]> {
  const perChunk = recordsPerChunk(Buffer.byteLength(envelope.node, 'utf8'));
  if (perChunk < 1) return { ok: false, error: 'node name too long' };
  const count = Math.floor(set.records.length / RECORD_SIZE);
  const total = Math.max(1, Math.ceil(count / perChunk));
  if (total > MAX_CHUNKS) return { ok: false, error: `claim set too large (${count} IPs)` };
  const out: Buffer[] = [];
  for (let index = 0; index < total; index++) {
    const records = set.records.subarray(
      index * perChunk * RECORD_SIZE,
      (index + 1) * perChunk * RECORD_SIZE,
    );
    const payload = Buffer.alloc(CHUNK_FIXED + records.length);
    writeDigest(payload, 0, set.digest);
    payload.writeUInt16BE(index, 12);
    payload.writeUInt16BE(total, 14);
    payload.writeUInt16BE(records.length / RECORD_SIZE, 16);
    records.copy(payload, CHUNK_FIXED);
    const sealed = seal({ envelope, kind: 'claims', payload, secret });
    if (!sealed.ok) return sealed;
    out.push(sealed.value);
  }
  return { ok: true, value: out };
}

export function decodeDatagram(datagram: Buffer, secret: Uint8Array): Result<MembershipDatagram> {
  if (datagram.length < HEADER + HMAC_SIZE) return { ok: false, error: 'short datagram' };
  if (datagram.length > MAX_DATAGRAM) return { ok: false, error: 'oversized datagram' };
  if (!datagram.subarray(0, 4).equals(MAGIC)) return { ok: false, error: 'bad magic' };
  const body = datagram.subarray(0, datagram.length - HMAC_SIZE);
  if (!timingSafeEqual(datagram.subarray(body.length), sign(body, secret)))
    return { ok: false, error: 'bad signature' };
  const kind = KINDS[body.readUInt8(4) - 1];
  if (!kind) return { ok: false, error: `unknown kind ${body.readUInt8(4)}` };
  const nameLength = body.readUInt8(41);
  if (nameLength > MAX_NAME_BYTES || body.length < HEADER + nameLength)
    return { ok: false, error: 'bad name length' };
  // A name that is not UTF-8 would decode to another name (U+FFFD for each bad sequence): refused.
  if (!isUtf8(body.subarray(HEADER, HEADER + nameLength))) return { ok: false, error: 'bad node name' };
  const envelope: Envelope = {
    node: body.subarray(HEADER, HEADER + nameLength).toString('utf8'),
    incarnation: body.readBigUInt64BE(5),
    sequence: body.readUInt32BE(13),
    timestampMs: Number(body.readBigUInt64BE(17)),
    address: bytesToAddress(body.subarray(25, 25 + ADDRESS_SIZE)),
  };
  const payload = body.subarray(HEADER + nameLength);
  if (kind === 'pull') {
    if (payload.length !== PULL_SIZE) return { ok: false, error: 'bad pull length' };
    return { ok: true, value: { ...envelope, kind, digest: readDigest(payload, 0) } };
  }
  if (kind === 'claims') return decodeChunk(envelope, payload);
  const state = decodeState(payload);
  return state.ok ? { ok: true, value: { ...envelope, kind, state: state.value } } : state;
}

function decodeState(payload: Buffer): Result<PeerState> {
  if (payload.length < STATE_FIXED) return { ok: false, error: 'bad heartbeat length' };
  const macCount = payload.readUInt8(17);
  if (macCount > MAX_MACS || payload.length !== STATE_FIXED + macCount * MAC_SIZE)
    return { ok: false, error: 'bad heartbeat length' };
  const flags = payload.readUInt8(4);
  if (flags > 1) return { ok: false, error: 'unknown flags' };
  const macs: string[] = [];
  for (let i = 0; i < macCount; i++) {
    const at = STATE_FIXED + i * MAC_SIZE;
    macs.push(formatMac(payload.subarray(at, at + MAC_SIZE)));
  }
  return {
    ok: true,
    value: { stalenessMs: payload.readUInt32BE(0), stale: flags === 1, digest: readDigest(payload, 5), macs },
  };
}

function decodeChunk(envelope: Envelope, payload: Buffer): Result<MembershipDatagram> {
  if (payload.length < CHUNK_FIXED) return { ok: false, error: 'bad chunk length' };
  const index = payload.readUInt16BE(12);
  const total = payload.readUInt16BE(14);
  const recordCount = payload.readUInt16BE(16);
  if (payload.length !== CHUNK_FIXED + recordCount * RECORD_SIZE)
    return { ok: false, error: 'bad chunk length' };
  if (total === 0 || index >= total) return { ok: false, error: 'bad chunk index' };
  const chunk = {
    digest: readDigest(payload, 0),
    index,
    total,
    records: Buffer.from(payload.subarray(CHUNK_FIXED)),
  };
  return { ok: true, value: { ...envelope, kind: 'claims', chunk } };
}

function seal(opts: {
  envelope: Envelope;
  kind: MembershipDatagram['kind'];
  payload: Buffer;
  secret: Uint8Array;
}): Result<Buffer> {
  const { envelope, payload } = opts;
  const name = Buffer.from(envelope.node, 'utf8');
  if (name.length > MAX_NAME_BYTES) return { ok: false, error: 'node name too long' };
  const address = addressToBytes(envelope.address);
  if (!address) return { ok: false, error: `not an IP address: ${envelope.address}` };
  if (HEADER + name.length + payload.length + HMAC_SIZE > MAX_DATAGRAM)
    return { ok: false, error: 'datagram too large' };
  const body = Buffer.alloc(HEADER + name.length + payload.length);
  MAGIC.copy(body, 0);
  body.writeUInt8(KINDS.indexOf(opts.kind) + 1, 4);
  body.writeBigUInt64BE(BigInt.asUintN(64, envelope.incarnation), 5);
  body.writeUInt32BE(envelope.sequence >>> 0, 13);
  body.writeBigUInt64BE(uint64(envelope.timestampMs), 17);
  address.copy(body, 25);
  body.writeUInt8(name.length, 41);
  name.copy(body, HEADER);
  payload.copy(body, HEADER + name.length);
  return { ok: true, value: Buffer.concat([body, sign(body, opts.secret)]) };
}

function writeDigest(buf: Buffer, at: number, digest: ClaimDigest): void {
  buf.writeBigUInt64BE(BigInt.asUintN(64, digest.hash), at);
  buf.writeUInt32BE(saturate(digest.count), at + 8);
}

function readDigest(buf: Buffer, at: number): ClaimDigest {
  return { hash: buf.readBigUInt64BE(at), count: buf.readUInt32BE(at + 8) };
}

function uint64(n: number): bigint {
  return Number.isFinite(n) && n > 0 ? BigInt.asUintN(64, BigInt(Math.floor(n))) : 0n;
}

function saturate(n: number): number {
  return Number.isFinite(n) ? Math.min(0xffff_ffff, Math.max(0, Math.floor(n))) : 0xffff_ffff;
}

function sign(body: Buffer, secret: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

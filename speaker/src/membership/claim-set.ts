import { createHash } from 'node:crypto';
import { formatIP, parseIP, type Result } from '@ironlb/shared';

/**
 * Claim sets and addresses in their wire form.
 *
 * Invariants:
 * - An address is 16 bytes: IPv6 as is, IPv4 as IPv4-mapped IPv6 (`::ffff:a.b.c.d`). The shared parser
 *   rejects IPv4-mapped IPv6 text, so the mapping is unambiguous.
 * - A claim set's records are sorted by address bytes, 20 bytes each (address + 32-bit owner tag,
 *   big-endian), so equal sets have equal bytes and equal digests whatever order the map had.
 * - The digest is the first 64 bits of SHA-256 over the records, plus the record count.
 * - Only canonical address text is accepted as a claim key, so decode(encode(set)) gives the same keys.
 */
export const ADDRESS_SIZE = 16;
export const RECORD_SIZE = ADDRESS_SIZE + 4;

export interface ClaimDigest {
  hash: bigint;
  count: number;
}

export interface ClaimSet {
  digest: ClaimDigest;
  /** count × RECORD_SIZE bytes, sorted by address. */
  records: Buffer;
}

const V4_MAPPED_PREFIX = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/** Canonical IPv4 or IPv6 text → 16 bytes; undefined for anything the shared parser rejects. */
export function addressToBytes(text: string): Buffer | undefined {
  const ip = parseIP(text);
  if (!ip) return undefined;
  const out = Buffer.alloc(ADDRESS_SIZE);
  if (ip.family === 'IPv4') {
    V4_MAPPED_PREFIX.copy(out, 0);
    out.writeUInt32BE(Number(ip.value), 12);
  } else {
    out.writeBigUInt64BE(ip.value >> 64n, 0);
    out.writeBigUInt64BE(ip.value & 0xffff_ffff_ffff_ffffn, 8);
  }
  return out;
}

/** 16 bytes → canonical text (IPv4-mapped bytes become dotted IPv4). */
export function bytesToAddress(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, ADDRESS_SIZE);
  if (b.subarray(0, 12).equals(V4_MAPPED_PREFIX)) {
    return formatIP({ family: 'IPv4', value: BigInt(b.readUInt32BE(12)) });
  }
  return formatIP({ family: 'IPv6', value: (b.readBigUInt64BE(0) << 64n) | b.readBigUInt64BE(8) });
}

/**
 * A socket or Node address in canonical text: strips a zone and turns IPv4-mapped IPv6 (what a
 * dual-stack socket reports for IPv4 senders) into IPv4. undefined when it is not an address.
 */
export function normalizeAddress(text: string): string | undefined {
  const unzoned = text.split('%')[0] ?? '';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(unzoned);
  const ip = parseIP(mapped?.[1] ?? unzoned);
  return ip ? formatIP(ip) : undefined;
}

export type ClaimSetError = { key: string; reason: 'not a canonical IP' | 'owner tag is not a uint32' };

/** Why a claim entry cannot be sent, or undefined when it can. */
export function checkClaim(text: string, tag: number): ClaimSetError['reason'] | undefined {
  const key = addressToBytes(text);
  if (!key || bytesToAddress(key) !== text) return 'not a canonical IP';
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffff_ffff) return 'owner tag is not a uint32';
  return undefined;
}

/** Validates and sorts a claim map into wire records. Fails on the first invalid entry. */
export function prepareClaimSet(claims: ReadonlyMap<string, number>): Result<ClaimSet, ClaimSetError> {
  const keyed: { key: Buffer; tag: number }[] = [];
  for (const [text, tag] of claims) {
    const reason = checkClaim(text, tag);
    const key = addressToBytes(text);
    if (reason || !key) return { ok: false, error: { key: text, reason: reason ?? 'not a canonical IP' } };
    keyed.push({ key, tag });
  }
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  const records = Buffer.alloc(keyed.length * RECORD_SIZE);
  keyed.forEach(({ key, tag }, i) => {
    key.copy(records, i * RECORD_SIZE);
    records.writeUInt32BE(tag, i * RECORD_SIZE + ADDRESS_SIZE);
  });
  return { ok: true, value: { digest: digestOf(records), records } };
}

/** The digest of wire records (which must be a whole number of records). */
export function digestOf(records: Buffer): ClaimDigest {
  const hash = createHash('sha256').update(records).digest().readBigUInt64BE(0);
  return { hash, count: Math.floor(records.length / RECORD_SIZE) };
}

export function sameDigest(a: ClaimDigest, b: ClaimDigest): boolean {
  return a.hash === b.hash && a.count === b.count;
}

/** Wire records → claim map (canonical IP text → owner tag). */
export function recordsToClaims(records: Buffer): Map<string, number> {
  const claims = new Map<string, number>();
  for (let at = 0; at + RECORD_SIZE <= records.length; at += RECORD_SIZE) {
    claims.set(
      bytesToAddress(records.subarray(at, at + ADDRESS_SIZE)),
      records.readUInt32BE(at + ADDRESS_SIZE),
    );
  }
  return claims;
}

export const EMPTY_CLAIM_SET: ClaimSet = { digest: digestOf(Buffer.alloc(0)), records: Buffer.alloc(0) };

/** Same keys and tags (cheap check before re-hashing a set that did not change). */
export function sameClaims(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

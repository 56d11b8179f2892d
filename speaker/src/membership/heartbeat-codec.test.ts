import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { formatIP, parseIP, type Result } from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import { EMPTY_CLAIM_SET, prepareClaimSet, recordsToClaims, type ClaimSet } from './claim-set.js';
import {
  MAX_DATAGRAM,
  MAX_MACS,
  decodeDatagram,
  encodeClaimChunks,
  encodeHeartbeat,
  encodePull,
  type Envelope,
  type Heartbeat,
  type MembershipDatagram,
} from './heartbeat-codec.js';

const secret = Buffer.from('s3cret-membership-key');
const envelope: Envelope = {
  node: 'ilb-node-1',
  incarnation: 1_700_000_000_123_456n,
  sequence: 42,
  timestampMs: 1_764_500_000_123,
  address: '192.0.2.11',
};
const hb: Heartbeat = {
  ...envelope,
  kind: 'alive',
  state: {
    stalenessMs: 1234,
    stale: true,
    digest: { hash: 0xfedc_ba98_7654_3210n, count: 77 },
    macs: ['02:00:00:00:00:11', '02:00:00:00:01:ff'],
  },
};

function set(entries: [string, number][]): ClaimSet {
  const prepared = prepareClaimSet(new Map(entries));
  if (!prepared.ok) throw new Error(prepared.error.reason);
  return prepared.value;
}

function decoded(datagram: Buffer): MembershipDatagram {
  const d = decodeDatagram(datagram, secret);
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

function encoded(r: { ok: true; value: Buffer } | { ok: false; error: string }): Buffer {
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('heartbeat codec: fields', () => {
  it('round-trips every field of an alive heartbeat', () => {
    expect(decoded(encoded(encodeHeartbeat(hb, secret)))).toEqual(hb);
  });

  it('round-trips a leaving heartbeat without MACs, not stale, with an IPv6 address', () => {
    const leaving: Heartbeat = {
      ...hb,
      kind: 'leaving',
      address: '2001:db8::11',
      state: { ...hb.state, stale: false, macs: [] },
    };
    expect(decoded(encoded(encodeHeartbeat(leaving, secret)))).toEqual(leaving);
  });

  it('places fields at the documented offsets', () => {
    const wire = encoded(encodeHeartbeat(hb, secret));
    expect(wire.subarray(0, 4).toString('ascii')).toBe('ILB2');
    expect(wire[4]).toBe(1);
    expect(wire.readBigUInt64BE(5)).toBe(hb.incarnation);
    expect(wire.readUInt32BE(13)).toBe(42);
    expect(Number(wire.readBigUInt64BE(17))).toBe(hb.timestampMs);
    expect([...wire.subarray(25, 41)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 192, 0, 2, 11]);
    expect(wire[41]).toBe(hb.node.length);
    expect(wire.subarray(42, 42 + hb.node.length).toString()).toBe(hb.node);
    const payload = 42 + hb.node.length;
    expect(wire.readUInt32BE(payload)).toBe(1234);
    expect(wire[payload + 4]).toBe(1);
    expect(wire.readBigUInt64BE(payload + 5)).toBe(0xfedc_ba98_7654_3210n);
    expect(wire.readUInt32BE(payload + 13)).toBe(77);
    expect(wire[payload + 17]).toBe(2);
    expect(wire.length).toBe(payload + 18 + 2 * 6 + 32);
  });

  it('saturates a staleness beyond 32 bits instead of failing', () => {
    const old: Heartbeat = { ...hb, state: { ...hb.state, stalenessMs: 2 ** 40 } };
    const d = decoded(encoded(encodeHeartbeat(old, secret)));
    expect(d.kind === 'alive' && d.state.stalenessMs).toBe(0xffff_ffff);
  });

  it('carries at most 8 MACs', () => {
    const macs = Array.from(
      { length: 300 },
      (_, i) =>
        `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
    );
    const d = decoded(encoded(encodeHeartbeat({ ...hb, state: { ...hb.state, macs } }, secret)));
    expect(d.kind === 'alive' && d.state.macs).toEqual(macs.slice(0, MAX_MACS));
  });

  it('returns errors instead of throwing for bad input', () => {
    expect(encodeHeartbeat({ ...hb, node: 'x'.repeat(254) }, secret)).toEqual({
      ok: false,
      error: 'node name too long',
    });
    expect(encodeHeartbeat({ ...hb, address: 'node-a' }, secret).ok).toBe(false);
    expect(encodeHeartbeat({ ...hb, state: { ...hb.state, macs: ['zz'] } }, secret).ok).toBe(false);
    const weird = encodeHeartbeat({ ...hb, timestampMs: Number.NaN, sequence: -1, incarnation: -1n }, secret);
    expect(weird.ok).toBe(true);
  });

  it('round-trips a pull', () => {
    const pull: MembershipDatagram = { ...envelope, kind: 'pull', digest: { hash: 5n, count: 3 } };
    expect(decoded(encoded(encodePull(pull, secret)))).toEqual(pull);
  });

  it('splits a claim set into chunks of at most MAX_DATAGRAM bytes that reassemble to the set', () => {
    const entries: [string, number][] = Array.from({ length: 500 }, (_, i) => [
      `10.0.${i >> 8}.${i & 255}`,
      i,
    ]);
    entries.push(['2001:db8::1', 0xffff_ffff]);
    const claims = set(entries);
    const chunks = encodeClaimChunks(envelope, claims, secret);
    if (!chunks.ok) throw new Error(chunks.error);
    expect(chunks.value.length).toBeGreaterThan(1);
    const parts = chunks.value.map(decoded);
    const records: Buffer[] = [];
    parts.forEach((p, i) => {
      expect(p.kind).toBe('claims');
      if (p.kind !== 'claims') return;
      expect(p.chunk).toMatchObject({ digest: claims.digest, index: i, total: chunks.value.length });
      records.push(p.chunk.records);
    });
    expect(Math.max(...chunks.value.map((c) => c.length))).toBeLessThanOrEqual(MAX_DATAGRAM);
    expect(recordsToClaims(Buffer.concat(records))).toEqual(new Map(entries));
  });

  it('sends the empty claim set as one empty chunk', () => {
    const chunks = encodeClaimChunks(envelope, EMPTY_CLAIM_SET, secret);
    expect(chunks.ok && chunks.value.length).toBe(1);
    const d = chunks.ok ? decoded(chunks.value[0] ?? Buffer.alloc(0)) : undefined;
    expect(d?.kind === 'claims' && d.chunk).toMatchObject({ index: 0, total: 1, digest: { count: 0 } });
  });
});

describe('heartbeat codec: rejection', () => {
  it('rejects a datagram signed with another secret', () => {
    const wire = encoded(encodeHeartbeat(hb, Buffer.from('other')));
    expect(decodeDatagram(wire, secret)).toEqual({ ok: false, error: 'bad signature' });
  });

  it('rejects any flipped bit', () => {
    const wire = encoded(encodeHeartbeat(hb, secret));
    for (let at = 0; at < wire.length; at++) {
      const tampered = Buffer.from(wire);
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      expect(decodeDatagram(tampered, secret).ok, `byte ${at}`).toBe(false);
    }
  });

  it('rejects short, oversized and foreign datagrams', () => {
    expect(decodeDatagram(Buffer.from('hello'), secret)).toEqual({ ok: false, error: 'short datagram' });
    expect(decodeDatagram(Buffer.alloc(MAX_DATAGRAM + 1), secret)).toEqual({
      ok: false,
      error: 'oversized datagram',
    });
    expect(decodeDatagram(Buffer.alloc(80, 7), secret)).toEqual({ ok: false, error: 'bad magic' });
  });
});

// ---- properties ----

const v4 = fc
  .integer({ min: 0, max: 0xffff_ffff })
  .map((n) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.'));
const v6 = fc
  .bigInt({ min: 0n, max: (1n << 128n) - 1n })
  .filter((n) => n >> 32n !== 0xffffn) // IPv4-mapped IPv6 is not an address the shared parser accepts
  .map((n) => {
    const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
    return groups.join(':');
  });
const mac = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':'));
const nodeName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 253, unit: 'grapheme-ascii' }),
  fc.string({ minLength: 1, maxLength: 253, unit: 'grapheme' }),
);

/** Canonical text of a generated address (the uncompressed IPv6 form above is not canonical). */
function canonical(text: string): string {
  const ip = parseIP(text);
  return ip ? formatIP(ip) : text;
}

describe('heartbeat codec: properties', () => {
  it('never throws, never exceeds the bound, and round-trips heartbeats of any node', () => {
    fc.assert(
      fc.property(
        fc.record({
          node: nodeName,
          macs: fc.array(mac, { maxLength: 400, size: 'max' }),
          incarnation: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          staleness: fc.nat(),
          stale: fc.boolean(),
          address: fc.oneof(v4, v6),
        }),
        ({ node, macs, incarnation, staleness, stale, address }) => {
          const beat: Heartbeat = {
            ...hb,
            node,
            incarnation,
            address: canonical(address),
            state: { ...hb.state, macs, stalenessMs: staleness, stale },
          };
          const wire = encodeHeartbeat(beat, secret);
          // Kubernetes names are ASCII; a multi-byte name past 253 bytes is refused, not truncated.
          expect(wire.ok).toBe(Buffer.byteLength(node) <= 253);
          if (!wire.ok) return;
          expect(wire.value.length).toBeLessThanOrEqual(MAX_DATAGRAM);
          expect(decoded(wire.value)).toEqual({
            ...beat,
            state: { ...beat.state, macs: macs.slice(0, MAX_MACS) },
          });
        },
      ),
      { numRuns: 300 },
    );
  }, 30_000);

  it('splits claim sets of up to 5,000 IPs into bounded chunks that carry exactly the set', () => {
    fc.assert(
      fc.property(
        nodeName,
        fc.array(fc.tuple(fc.oneof(v4, v6), fc.integer({ min: 0, max: 0xffff_ffff })), {
          maxLength: 5000,
          size: 'max',
        }),
        (node, entries) => {
          fc.pre(Buffer.byteLength(node) <= 253);
          const claims = new Map(entries.map(([ip, tag]) => [canonical(ip), tag]));
          const prepared = prepareClaimSet(claims);
          expect(prepared.ok).toBe(true);
          if (!prepared.ok) return;
          const chunks = encodeClaimChunks({ ...envelope, node }, prepared.value, secret);
          expect(chunks.ok).toBe(true);
          if (!chunks.ok) return;
          const records: Buffer[] = [];
          for (const wire of chunks.value) {
            expect(wire.length).toBeLessThanOrEqual(MAX_DATAGRAM);
            const d = decoded(wire);
            if (d.kind === 'claims') records.push(d.chunk.records);
          }
          expect(recordsToClaims(Buffer.concat(records))).toEqual(claims);
        },
      ),
      { numRuns: 10 },
    );
  }, 60_000);

  it('decodes random bytes without throwing, and rejects them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1400 }), fc.boolean(), (bytes, magic) => {
        const datagram = Buffer.from(bytes);
        if (magic && datagram.length >= 4) datagram.write('ILB2', 0, 'ascii');
        expect(decodeDatagram(datagram, secret).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  }, 30_000);

  it('rejects every mutation of a valid datagram without throwing', () => {
    const valid = [
      encoded(encodeHeartbeat(hb, secret)),
      encoded(encodePull({ ...envelope, kind: 'pull', digest: { hash: 1n, count: 1 } }, secret)),
      ...(() => {
        const c = encodeClaimChunks(
          envelope,
          set([
            ['10.0.0.1', 1],
            ['2001:db8::2', 2],
          ]),
          secret,
        );
        return c.ok ? c.value : [];
      })(),
    ];
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('append' as const),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (original, mutations) => {
          let wire = Buffer.from(original);
          for (const m of mutations) {
            if (m.kind === 'flip') {
              const at = m.at % wire.length;
              wire[at] = (wire[at] ?? 0) ^ m.bits;
            } else if (m.kind === 'truncate') wire = wire.subarray(0, m.at % wire.length);
            else wire = Buffer.concat([wire, m.bytes]);
          }
          fc.pre(!wire.equals(original));
          expect(decodeDatagram(wire, secret).ok).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  }, 30_000);
});

// ---- fuzz past the signature ----

const HMAC_BYTES = 32;

/** Signs a body as a peer holding the membership secret would (the codec's signer is not exported). */
function signed(body: Uint8Array): Buffer {
  const b = Buffer.from(body);
  return Buffer.concat([b, createHmac('sha256', secret).update(b).digest()]);
}

/** The decoded datagram encoded again with the public encoders (a chunk becomes a one-chunk set). */
function reencoded(d: MembershipDatagram): Result<Buffer[]> {
  if (d.kind === 'claims')
    return encodeClaimChunks(d, { digest: d.chunk.digest, records: d.chunk.records }, secret);
  const one = d.kind === 'pull' ? encodePull(d, secret) : encodeHeartbeat(d, secret);
  return one.ok ? { ok: true, value: [one.value] } : one;
}

const u16 = (n: number): number[] => [(n >> 8) & 255, n & 255];

/** A payload of `kind` whose fields agree with its length, or (sometimes) a few bytes off. */
function payloadFor(kind: number): fc.Arbitrary<number[]> {
  const off = fc.oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) },
  );
  const digest = fc.uint8Array({ minLength: 12, maxLength: 12 });
  const fit = (bytes: number[], delta: number): number[] =>
    delta >= 0 ? [...bytes, ...Array<number>(delta).fill(0xab)] : bytes.slice(0, bytes.length + delta);
  if (kind === 1 || kind === 2)
    return fc
      .record({
        staleness: fc.uint8Array({ minLength: 4, maxLength: 4 }),
        flags: fc.oneof(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 255 })),
        digest,
        macs: fc.integer({ min: 0, max: 10 }),
        macBytes: fc.uint8Array({ minLength: 60, maxLength: 60 }),
        off,
      })
      .map((p) =>
        fit([...p.staleness, p.flags, ...p.digest, p.macs, ...p.macBytes.subarray(0, 6 * p.macs)], p.off),
      );
  if (kind === 3)
    return fc
      .record({
        digest,
        index: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff })),
        total: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 0xffff })),
        // Up to 60 records: with a long name, past MAX_DATAGRAM.
        records: fc.integer({ min: 0, max: 60 }),
        recordBytes: fc.uint8Array({ minLength: 1200, maxLength: 1200 }),
        off,
      })
      .map((p) =>
        fit(
          [
            ...p.digest,
            ...u16(p.index),
            ...u16(p.total),
            ...u16(p.records),
            ...p.recordBytes.subarray(0, 20 * p.records),
          ],
          p.off,
        ),
      );
  if (kind === 4) return fc.tuple(digest, off).map(([d, delta]) => fit([...d], delta));
  return fc.uint8Array({ maxLength: 64 }).map((b) => [...b]);
}

/** A body with the magic, any kind byte, a random envelope, a name (any bytes) and a payload for the kind. */
const generatedBody = fc
  .record({
    kind: fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 4 }) },
      fc.integer({ min: 0, max: 255 }),
    ),
    envelope: fc.uint8Array({ minLength: 36, maxLength: 36 }),
    name: fc.oneof(
      fc.string({ maxLength: 40, unit: 'grapheme-ascii' }).map((n) => [...Buffer.from(n)]),
      fc.uint8Array({ maxLength: 260, size: 'max' }).map((b) => [...b]),
    ),
    nameLength: fc.option(fc.integer({ min: 0, max: 255 }), { freq: 4 }),
  })
  .chain((b) =>
    payloadFor(b.kind).map((payload) =>
      Buffer.from([
        ...Buffer.from('ILB2'),
        b.kind,
        ...b.envelope,
        b.nameLength ?? Math.min(b.name.length, 255),
        ...b.name,
        ...payload,
      ]),
    ),
  );

/** A valid datagram's body, its fields changed byte by byte, cut or extended. */
const mutatedBody = fc
  .record({
    original: fc.constantFrom(
      encoded(encodeHeartbeat(hb, secret)),
      encoded(encodeHeartbeat({ ...hb, kind: 'leaving', state: { ...hb.state, macs: [] } }, secret)),
      encoded(encodePull({ ...envelope, kind: 'pull', digest: { hash: 1n, count: 1 } }, secret)),
      ...(() => {
        const c = encodeClaimChunks(envelope, set([['10.0.0.1', 1]]), secret);
        return c.ok ? c.value : [];
      })(),
    ),
    mutations: fc.array(
      fc.oneof(
        fc.record({ set: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ cut: fc.nat() }),
        fc.record({ append: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ original, mutations }) => {
    let body = Buffer.from(original.subarray(0, original.length - HMAC_BYTES));
    for (const m of mutations) {
      if ('set' in m) body[m.set % body.length] = m.value;
      else if ('cut' in m) body = body.subarray(0, m.cut % (body.length + 1));
      else body = Buffer.concat([body, m.append]);
    }
    return body;
  });

describe('heartbeat codec: fuzz past the signature (bodies re-signed with the key)', () => {
  it('never throws; returns a failure value or a datagram that re-encodes within the bound to the same value', () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(fc.oneof(generatedBody, mutatedBody), (body) => {
        const r = decodeDatagram(signed(body), secret);
        if (!r.ok) {
          expect(r.error).not.toBe('bad signature');
          outcomes.add(r.error.startsWith('unknown kind') ? 'unknown kind' : r.error);
          return;
        }
        const d = r.value;
        outcomes.add(`ok ${d.kind}`);
        expect(Buffer.byteLength(d.node)).toBeLessThanOrEqual(253);
        const again = reencoded(d);
        expect(again).toMatchObject({ ok: true });
        if (!again.ok) return;
        expect(again.value).toHaveLength(1);
        const [wire] = again.value;
        expect(wire?.length).toBeLessThanOrEqual(MAX_DATAGRAM);
        const back = decoded(wire ?? Buffer.alloc(0));
        expect(back).toEqual(d.kind === 'claims' ? { ...d, chunk: { ...d.chunk, index: 0, total: 1 } } : d);
      }),
      { numRuns: 5000 },
    );
    // The runs reached every check after the signature, and every kind decoded.
    expect([...outcomes].sort()).toEqual(
      [
        'bad chunk index',
        'bad chunk length',
        'bad heartbeat length',
        'bad magic',
        'bad name length',
        'bad node name',
        'bad pull length',
        'ok alive',
        'ok claims',
        'ok leaving',
        'ok pull',
        'oversized datagram',
        'short datagram',
        'unknown flags',
        'unknown kind',
      ].sort(),
    );
  }, 60_000);
});

import fc from 'fast-check';
import { formatIP, parseIP } from '@ironlb/shared';
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

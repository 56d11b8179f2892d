import { describe, expect, it } from 'vitest';
import { ClaimAssembly } from './claim-assembly.js';
import { EMPTY_CLAIM_SET, RECORD_SIZE, prepareClaimSet, type ClaimSet } from './claim-set.js';
import type { ClaimChunk } from './heartbeat-codec.js';

function setOf(n: number, tag = 1): ClaimSet {
  const prepared = prepareClaimSet(
    new Map(Array.from({ length: n }, (_, i) => [`10.1.${i >> 8}.${i & 255}`, tag])),
  );
  if (!prepared.ok) throw new Error('bad set');
  return prepared.value;
}

function chunksOf(set: ClaimSet, perChunk: number): ClaimChunk[] {
  const total = Math.max(1, Math.ceil(set.digest.count / perChunk));
  return Array.from({ length: total }, (_, index) => ({
    digest: set.digest,
    index,
    total,
    records: set.records.subarray(index * perChunk * RECORD_SIZE, (index + 1) * perChunk * RECORD_SIZE),
  }));
}

describe('ClaimAssembly', () => {
  it('holds a set only once every chunk of its digest arrived, in any order', () => {
    const a = new ClaimAssembly();
    const set = setOf(10);
    const [c0, c1, c2] = chunksOf(set, 4);
    if (!c0 || !c1 || !c2) throw new Error('expected 3 chunks');
    expect(a.add('b', c2, 0)).toBe('pending');
    expect(a.add('b', c0, 1)).toBe('pending');
    expect(a.claimsFor('b', set.digest)).toBeUndefined();
    expect(a.receivingSince('b', set.digest)).toBe(1);
    expect(a.add('b', c0, 2)).toBe('duplicate');
    expect(a.add('b', c1, 3)).toBe('completed');
    expect(a.claimsFor('b', set.digest)?.size).toBe(10);
    expect(a.add('b', c1, 4)).toBe('duplicate');
  });

  it('answers only for the digest asked for', () => {
    const a = new ClaimAssembly();
    const old = setOf(3, 1);
    for (const c of chunksOf(old, 10)) a.add('b', c, 0);
    const fresh = setOf(3, 2);
    expect(a.claimsFor('b', old.digest)?.get('10.1.0.0')).toBe(1);
    expect(a.claimsFor('b', fresh.digest)).toBeUndefined();
  });

  it('never mixes chunks of two digests', () => {
    const a = new ClaimAssembly();
    const one = chunksOf(setOf(8, 1), 4);
    const two = chunksOf(setOf(8, 2), 4);
    a.add('b', one[0] as ClaimChunk, 0);
    expect(a.add('b', two[1] as ClaimChunk, 1)).toBe('pending');
    expect(a.add('b', one[1] as ClaimChunk, 2)).toBe('pending');
    expect(a.add('b', two[0] as ClaimChunk, 3)).toBe('pending');
  });

  it('rejects chunks whose joined records do not hash to their digest', () => {
    const a = new ClaimAssembly();
    const set = setOf(2);
    const forged = { digest: set.digest, index: 0, total: 1, records: setOf(2, 9).records };
    expect(a.add('b', forged, 0)).toBe('digest mismatch');
    expect(a.claimsFor('b', set.digest)).toBeUndefined();
  });

  it('knows the empty set without any chunk, and forgets a node', () => {
    const a = new ClaimAssembly();
    expect(a.claimsFor('b', EMPTY_CLAIM_SET.digest)?.size).toBe(0);
    const set = setOf(1);
    for (const c of chunksOf(set, 10)) a.add('b', c, 0);
    a.forget('b');
    expect(a.claimsFor('b', set.digest)).toBeUndefined();
  });
});

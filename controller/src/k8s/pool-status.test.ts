import { type IPPoolStatus, type PoolEntry, poolConfigCache } from '@ironlb/shared';
import { describe, expect, it } from 'vitest';
import { desiredPoolStatus, replacingPatch, sameStatus } from './pool-status.js';

const VALID = { addresses: ['198.51.100.0/29'], autoAssign: true };
const INVALID = { addresses: ['198.51.100.0/29', 'bogus'], autoAssign: true };
const NOW = new Date('2026-03-01T00:00:00Z');

function entryFor(o: { spec: unknown; generation: number; status?: unknown }): PoolEntry {
  const obj = { metadata: { name: 'p', uid: 'u', generation: o.generation }, spec: o.spec, status: o.status };
  const [entry] = poolConfigCache().update([obj]);
  if (entry === undefined) throw new Error('no entry');
  return entry;
}

const READY = { ready: true, reason: 'Valid', message: 'pool is valid and serves allocations' } as const;

/** The allocator says Ready; the entry decides what is shown. */
const statusFor = (entry: PoolEntry): IPPoolStatus =>
  desiredPoolStatus({ entry, stats: undefined, readiness: READY, current: undefined, now: NOW });

describe('desiredPoolStatus', () => {
  it('a valid spec is persisted as lastValidSpec with its generation', () => {
    const s = statusFor(entryFor({ spec: VALID, generation: 3 }));
    expect(s.lastValidSpec).toEqual(VALID);
    expect(s.lastValidGeneration).toBe(3);
    expect(s.conditions?.[0]).toMatchObject({ status: 'True', reason: 'Valid' });
  });

  it('an invalid spec keeps the persisted version and says so in the Ready condition', () => {
    const entry = entryFor({
      spec: INVALID,
      generation: 4,
      status: { lastValidSpec: VALID, lastValidGeneration: 3 },
    });
    const s = statusFor(entry);
    expect(s.lastValidSpec).toEqual(VALID);
    expect(s.lastValidGeneration).toBe(3);
    const ready = s.conditions?.[0];
    expect(ready?.reason).toBe('Invalid');
    expect(ready?.status).toBe('True');
    expect(ready?.message).toContain("spec is invalid (spec.addresses[1]: 'bogus' is not a valid");
    expect(ready?.message).toContain(
      'still using the last valid version (generation 3, addresses 198.51.100.0/29',
    );
  });

  it('an invalid spec with no valid version anywhere is not used and persists nothing', () => {
    const entry = entryFor({ spec: INVALID, generation: 1 });
    const s = statusFor(entry);
    expect(s.lastValidSpec).toBeUndefined();
    expect(s.conditions?.[0]).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(s.conditions?.[0]?.message).toContain('spec is invalid and the pool is not used');
  });
});

describe('sameStatus', () => {
  const base = statusFor(entryFor({ spec: VALID, generation: 1 }));

  it('ignores key order (the API server returns its own) but not the spec in use', () => {
    const reordered: IPPoolStatus = {
      ...base,
      lastValidSpec: { autoAssign: true, addresses: VALID.addresses },
    };
    expect(sameStatus(reordered, base)).toBe(true);
    expect(sameStatus({ ...base, lastValidSpec: undefined }, base)).toBe(false);
    expect(sameStatus({ ...base, lastValidGeneration: 2 }, base)).toBe(false);
  });
});

describe('replacingPatch', () => {
  it('nulls keys the desired object no longer has, at any depth; lists are replaced', () => {
    const current = {
      addresses: ['a'],
      serviceAllocation: { priority: 1, namespaces: ['x'] },
      avoidBuggyIPs: true,
    };
    const desired = { addresses: ['b'], serviceAllocation: { namespaces: ['y'] } };
    expect(replacingPatch(current, desired)).toEqual({
      addresses: ['b'],
      avoidBuggyIPs: null,
      serviceAllocation: { priority: null, namespaces: ['y'] },
    });
    expect(replacingPatch(undefined, desired)).toEqual(desired);
  });
});

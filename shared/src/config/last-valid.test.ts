import { describe, expect, it } from 'vitest';
import { l2ConfigCache, persistedPoolSpec, poolConfigCache } from './config-caches.js';
import { configsInUse } from './last-valid.js';

const GOOD = { addresses: ['198.51.100.0/29'] };
const OTHER = { addresses: ['203.0.113.0/29'], serviceAllocation: { priority: 1 } };
const BAD = { addresses: ['198.51.100.0/29', 'not-an-address'] };

function pool(o: { uid?: string; generation?: number; spec: unknown; status?: unknown }): unknown {
  return {
    metadata: { name: 'p', uid: o.uid ?? 'uid-1', generation: o.generation ?? 1 },
    spec: o.spec,
    ...(o.status === undefined ? {} : { status: o.status }),
  };
}

describe('LastValidCache (IPPools)', () => {
  it('uses a valid spec, keeps the last valid version in memory when the spec turns invalid', () => {
    const cache = poolConfigCache();
    const [first] = cache.update([pool({ spec: GOOD, generation: 1 })]);
    expect(first).toMatchObject({ source: 'spec', errors: [], inUse: { spec: GOOD, generation: 1 } });
    const [second] = cache.update([pool({ spec: BAD, generation: 2 })]);
    expect(second?.source).toBe('memory');
    expect(second?.errors.join('; ')).toContain("'not-an-address' is not a valid");
    expect(second?.config?.addresses).toEqual(GOOD.addresses);
    expect(second?.inUse?.generation).toBe(1);
  });

  it('a fresh cache (restart) takes an invalid pool from the spec persisted in status', () => {
    const obj = pool({
      spec: BAD,
      generation: 5,
      status: { lastValidSpec: OTHER, lastValidGeneration: 4 },
    });
    const [entry] = poolConfigCache().update([obj]);
    expect(entry?.source).toBe('persisted');
    expect(entry?.config?.addresses).toEqual(OTHER.addresses);
    expect(entry?.config?.priority).toBe(1);
    expect(entry?.config?.name).toBe('p');
    expect(entry?.inUse).toMatchObject({ spec: OTHER, generation: 4 });
    expect(entry?.errors.length).toBeGreaterThan(0);
  });

  it('a valid spec wins over the persisted copy; memory wins over status', () => {
    const cache = poolConfigCache();
    const [valid] = cache.update([pool({ spec: GOOD, status: { lastValidSpec: OTHER } })]);
    expect(valid?.config?.addresses).toEqual(GOOD.addresses);
    const [invalid] = cache.update([pool({ spec: BAD, status: { lastValidSpec: OTHER } })]);
    expect(invalid?.source).toBe('memory');
    expect(invalid?.config?.addresses).toEqual(GOOD.addresses);
  });

  it('no valid version anywhere: not used (an invalid persisted copy is not used either)', () => {
    const [none] = poolConfigCache().update([pool({ spec: BAD })]);
    expect(none).toMatchObject({ source: 'none', config: undefined, inUse: undefined });
    const [badCopy] = poolConfigCache().update([pool({ spec: BAD, status: { lastValidSpec: BAD } })]);
    expect(badCopy?.source).toBe('none');
  });

  it('keyed by uid: a re-created pool (same name, new uid) does not inherit the old version', () => {
    const cache = poolConfigCache();
    cache.update([pool({ uid: 'old', spec: GOOD })]);
    const [recreated] = cache.update([pool({ uid: 'new', spec: BAD })]);
    expect(recreated?.source).toBe('none');
  });

  it('forgets deleted objects', () => {
    const cache = poolConfigCache();
    cache.update([pool({ spec: GOOD })]);
    expect(cache.update([])).toEqual([]);
    const [back] = cache.update([pool({ spec: BAD })]);
    expect(back?.source).toBe('none');
  });

  it('configsInUse lists only objects with a version in use, in order', () => {
    const cache = poolConfigCache();
    const entries = cache.update([
      pool({ uid: 'a', spec: BAD }),
      { metadata: { name: 'q', uid: 'b' }, spec: OTHER },
    ]);
    expect(configsInUse(entries).map((c) => c.name)).toEqual(['q']);
  });
});

describe('persistedPoolSpec', () => {
  it('reads status.lastValidSpec and its generation; ignores anything else', () => {
    expect(persistedPoolSpec({ status: { lastValidSpec: GOOD, lastValidGeneration: 3 } })).toEqual({
      spec: GOOD,
      generation: 3,
    });
    expect(persistedPoolSpec({ status: { lastValidSpec: GOOD } })?.generation).toBeUndefined();
    expect(persistedPoolSpec({ status: { lastValidSpec: ['x'] } })).toBeUndefined();
    expect(persistedPoolSpec({ status: {} })).toBeUndefined();
    expect(persistedPoolSpec(undefined)).toBeUndefined();
  });
});

describe('LastValidCache (L2Announcements)', () => {
  it('keeps the last valid announcement when its spec turns invalid; nothing persisted', () => {
    const cache = l2ConfigCache();
    const l2 = (spec: unknown): unknown => ({ metadata: { name: 'a', uid: 'l2-1' }, spec });
    cache.update([l2({ ipPools: ['p'] })]);
    const [entry] = cache.update([l2({ ipPools: ['p'], interfaces: ['not/valid'] })]);
    expect(entry?.source).toBe('memory');
    expect(entry?.config?.ipPools).toEqual(['p']);
    const [fresh] = l2ConfigCache().update([l2({ interfaces: ['not/valid'] })]);
    expect(fresh?.source).toBe('none');
  });
});

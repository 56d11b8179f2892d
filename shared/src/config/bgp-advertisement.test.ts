import { describe, expect, it } from 'vitest';
import { parseBgpAdvertisement } from './bgp-advertisement.js';
import { bgpAdvertisementConfigCache } from './config-caches.js';
import { invalidBgpObjects } from './testing/invalid-bgp.js';

const adv = (spec: Record<string, unknown>): unknown => ({ metadata: { name: 'adv', uid: 'u-a' }, spec });

describe('parseBgpAdvertisement', () => {
  // What each scope means (empty = every pool, node, peer) is tested where it is applied: planAdvertisements.
  it('an empty spec leaves every scope empty, with one /32 or /128 per address', () => {
    const r = parseBgpAdvertisement(adv({}));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual({
      name: 'adv',
      uid: 'u-a',
      ipPools: [],
      ipPoolSelector: undefined,
      nodeSelector: undefined,
      peers: [],
      communities: [],
      largeCommunities: [],
      localPref: undefined,
      aggregationLength: 32,
      aggregationLengthV6: 128,
    });
  });

  it('splits communities by kind and keeps the pool, node and peer scopes', () => {
    const r = parseBgpAdvertisement(
      adv({
        ipPools: ['pool-a'],
        ipPoolSelector: { matchLabels: { bgp: 'yes' } },
        nodeSelector: { matchLabels: { edge: 'true' } },
        peers: ['router-1'],
        communities: ['65000:100', 'large:64512:1:2', 'no-export', '0:0'],
        localPref: 200,
        aggregationLength: 24,
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.communities).toEqual(['65000:100', 'no-export', '0:0']);
    expect(r.value.largeCommunities).toEqual(['64512:1:2']);
    expect(r.value.localPref).toBe(200);
    expect(r.value.aggregationLength).toBe(24);
    expect(r.value.ipPools).toEqual(['pool-a']);
    expect(r.value.ipPoolSelector).toMatchObject({ matchLabels: { bgp: 'yes' } });
    expect(r.value.nodeSelector).toMatchObject({ matchLabels: { edge: 'true' } });
    expect(r.value.peers).toEqual(['router-1']);
  });

  it.each(invalidBgpObjects.filter((c) => c.kind === 'BGPAdvertisement').map((c) => [c.name, c] as const))(
    'rejects %s like the CRD does',
    (_n, c) => {
      const r = parseBgpAdvertisement(c.manifest);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.join('\n')).toContain(c.expected);
    },
  );

  it('the cache drops an invalid advertisement it never saw valid', () => {
    const [entry] = bgpAdvertisementConfigCache().update([adv({ localPref: -5 })]);
    expect(entry?.source).toBe('none');
    expect(entry?.config).toBeUndefined();
  });
});

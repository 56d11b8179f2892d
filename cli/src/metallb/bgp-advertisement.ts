import {
  API_GROUP_VERSION,
  BGP_ADVERTISEMENT_KIND,
  parseBgpAdvertisement,
  type BGPAdvertisement,
  type BGPAdvertisementSpec,
} from '@ironlb/shared';
import { type AliasTable, resolveCommunities } from './community.js';
import type { Findings } from './diagnostics.js';
import { readInt, readStringList, warnUnknownFields, type Obj } from './fields.js';
import { checkWithParser } from './parser-check.js';
import { splitPoolsAndNodes, type PoolTarget } from './selector-split.js';
import type { ObjectMeta, Translated } from './translated.js';

const ALL_POOLS_BGP_COMMENT: readonly string[] = [
  'Advertises ALL IPPools: a BGPAdvertisement with neither ipPools nor ipPoolSelector matches every pool,',
  'as a MetalLB BGPAdvertisement without ipAddressPools and ipAddressPoolSelectors does.',
];

/** The fields copied as they are (same name, same meaning). */
function readAttributes(
  f: Findings,
  o: { spec: Obj; aliases: AliasTable },
): Omit<BGPAdvertisementSpec, keyof PoolTarget | 'nodeSelector'> {
  const out: Omit<BGPAdvertisementSpec, keyof PoolTarget | 'nodeSelector'> = {};
  const peers = readStringList(f, { obj: o.spec, key: 'peers', path: 'spec' }) ?? [];
  if (peers.length > 0) out.peers = peers;
  const raw = readStringList(f, { obj: o.spec, key: 'communities', path: 'spec' }) ?? [];
  const communities = resolveCommunities(f, { list: raw, aliases: o.aliases, path: 'spec.communities' });
  if (communities.length > 0) out.communities = communities;
  for (const key of ['localPref', 'aggregationLength', 'aggregationLengthV6'] as const) {
    const v = readInt(f, { obj: o.spec, key, path: 'spec' });
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * MetalLB `BGPAdvertisement` (metallb.io/v1beta1) → one or more ironlb `BGPAdvertisement`s. Community aliases
 * are replaced by their values. As for L2Advertisements, ORed pool and node selector lists that cannot be
 * merged into one selector are split into one advertisement per (pool target × node selector), named
 * `<name>-1`, `<name>-2`, ..., all with the same peers and attributes: advertisements add up, so the meaning
 * is kept.
 */
export function translateBgpAdvertisement(
  f: Findings,
  o: { meta: ObjectMeta; spec: Obj; aliases: AliasTable },
): Translated[] {
  const { spec } = o;
  warnUnknownFields(f, {
    obj: spec,
    path: 'spec',
    known: [
      'aggregationLength',
      'aggregationLengthV6',
      'localPref',
      'communities',
      'ipAddressPools',
      'ipAddressPoolSelectors',
      'nodeSelectors',
      'peers',
    ],
  });
  const attributes = readAttributes(f, { spec, aliases: o.aliases });
  const { parts, allPools } = splitPoolsAndNodes(f, { spec, name: o.meta.name, kind: 'BGPAdvertisement' });
  const out: Translated[] = [];
  for (const { name, target, node } of parts) {
    const adv: BGPAdvertisement = {
      apiVersion: API_GROUP_VERSION,
      kind: BGP_ADVERTISEMENT_KIND,
      metadata: { ...o.meta, name },
      spec: { ...target, ...(node === undefined ? {} : { nodeSelector: node }), ...attributes },
    };
    checkWithParser(f, { object: adv, parse: parseBgpAdvertisement });
    out.push({ object: adv, comments: allPools ? [...ALL_POOLS_BGP_COMMENT] : [] });
  }
  return out;
}

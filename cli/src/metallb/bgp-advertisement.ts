import {
  API_GROUP_VERSION,
  BGP_ADVERTISEMENT_KIND,
  parseBgpAdvertisement,
  type BGPAdvertisement,
  type BGPAdvertisementSpec,
  type LabelSelector,
} from '@ironlb/shared';
import { type AliasTable, resolveCommunities } from './community.js';
import { warn, type Findings } from './diagnostics.js';
import { readInt, readStringList, warnUnknownFields, type Obj } from './fields.js';
import { mergeOrSplit } from './l2-advertisement.js';
import { checkWithParser } from './parser-check.js';
import { readSelectors } from './selectors.js';
import type { ObjectMeta, Translated } from './translated.js';

type PoolTarget = Pick<BGPAdvertisementSpec, 'ipPools' | 'ipPoolSelector'>;

export const ALL_POOLS_BGP_COMMENT: readonly string[] = [
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
  const pools = readStringList(f, { obj: spec, key: 'ipAddressPools', path: 'spec' }) ?? [];
  const poolSelectors = readSelectors(f, { obj: spec, key: 'ipAddressPoolSelectors', path: 'spec' });
  const nodeSelectors = readSelectors(f, { obj: spec, key: 'nodeSelectors', path: 'spec' });
  const targets: PoolTarget[] = [];
  if (pools.length > 0) targets.push({ ipPools: pools });
  for (const s of mergeOrSplit(poolSelectors)) targets.push({ ipPoolSelector: s });
  const allPools = targets.length === 0;
  if (allPools) targets.push({});
  const nodes: (LabelSelector | undefined)[] =
    nodeSelectors.length === 0 ? [undefined] : mergeOrSplit(nodeSelectors);
  const count = targets.length * nodes.length;
  if (count > 1) {
    warn(f, `split into ${count} BGPAdvertisements (MetalLB ORs its pool and node selector lists)`);
  }
  const out: Translated[] = [];
  for (const target of targets) {
    for (const node of nodes) {
      const name = count === 1 ? o.meta.name : `${o.meta.name}-${out.length + 1}`;
      const adv: BGPAdvertisement = {
        apiVersion: API_GROUP_VERSION,
        kind: BGP_ADVERTISEMENT_KIND,
        metadata: { ...o.meta, name },
        spec: { ...target, ...(node === undefined ? {} : { nodeSelector: node }), ...attributes },
      };
      checkWithParser(f, { object: adv, parse: parseBgpAdvertisement });
      out.push({ object: adv, comments: allPools ? [...ALL_POOLS_BGP_COMMENT] : [] });
    }
  }
  return out;
}

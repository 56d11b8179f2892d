import type { BgpAdvertisementConfig } from '../types/bgp.js';
import { type Result, err, ok } from '../types/result.js';
import {
  UINT32_MAX,
  bgpFieldMessages,
  isDnsSubdomain,
  readBoundedInt,
  readNameAndUid,
  readSpec,
} from './bgp-fields.js';
import { COMMUNITY_MAX_LENGTH, communityMessage, parseCommunity } from './bgp-community.js';
import { type Collector, checkUnknown, isObject, readStringSet, typeError } from './fields.js';
import { readLabelSelector } from './label-selector.js';

const BGP_LIST_MAX_ITEMS = 64;
const SPEC_FIELDS = [
  'ipPools',
  'ipPoolSelector',
  'nodeSelector',
  'peers',
  'communities',
  'localPref',
  'aggregationLength',
  'aggregationLengthV6',
] as const;

function readNames(c: Collector, o: { value: unknown; path: string; kind: string }): string[] {
  const list = readStringSet(c, o.value, { path: o.path, maxItems: BGP_LIST_MAX_ITEMS }) ?? [];
  list.forEach((s, i) => {
    if (!isDnsSubdomain(s)) c.errors.push(`${o.path}[${i}]: ${bgpFieldMessages.name(o.kind, s)}`);
  });
  return list;
}

function readCommunities(c: Collector, value: unknown): { standard: string[]; large: string[] } {
  const path = 'spec.communities';
  const list = readStringSet(c, value, { path, maxItems: BGP_LIST_MAX_ITEMS }) ?? [];
  const standard: string[] = [];
  const large: string[] = [];
  list.forEach((s, i) => {
    if (s.length > COMMUNITY_MAX_LENGTH) {
      c.errors.push(`${path}[${i}]: Too long: may not be more than ${COMMUNITY_MAX_LENGTH} bytes`);
      return;
    }
    const community = parseCommunity(s);
    if (community === undefined) c.errors.push(`${path}[${i}]: ${communityMessage(s)}`);
    else (community.kind === 'standard' ? standard : large).push(community.text);
  });
  return { standard, large };
}

/**
 * Parses a BGPAdvertisement with the CRD's rules and words. Defaults: aggregationLength 32,
 * aggregationLengthV6 128. Names in ipPools / peers need not exist (they may be created later).
 */
export function parseBgpAdvertisement(obj: unknown): Result<BgpAdvertisementConfig, string[]> {
  if (!isObject(obj)) return err([typeError('BGPAdvertisement', 'object', obj)]);
  const c: Collector = { errors: [] };
  const { name, uid } = readNameAndUid(c, obj.metadata);
  const spec = readSpec(c, obj);
  checkUnknown(c, { obj: spec, path: 'spec', known: SPEC_FIELDS });
  const ipPools = readNames(c, { value: spec.ipPools, path: 'spec.ipPools', kind: 'IPPool' });
  const peers = readNames(c, { value: spec.peers, path: 'spec.peers', kind: 'BGPPeer' });
  const communities = readCommunities(c, spec.communities);
  const localPref = readBoundedInt(c, spec.localPref, { path: 'spec.localPref', min: 0, max: UINT32_MAX });
  const aggregationLength = readBoundedInt(c, spec.aggregationLength, {
    path: 'spec.aggregationLength',
    min: 1,
    max: 32,
  });
  const aggregationLengthV6 = readBoundedInt(c, spec.aggregationLengthV6, {
    path: 'spec.aggregationLengthV6',
    min: 1,
    max: 128,
  });
  const ipPoolSelector = readLabelSelector(c, spec.ipPoolSelector, 'spec.ipPoolSelector');
  const nodeSelector = readLabelSelector(c, spec.nodeSelector, 'spec.nodeSelector');
  if (c.errors.length > 0) return err(c.errors);
  return ok({
    name,
    uid,
    ipPools,
    ipPoolSelector,
    nodeSelector,
    peers,
    communities: communities.standard,
    largeCommunities: communities.large,
    localPref,
    aggregationLength: aggregationLength ?? 32,
    aggregationLengthV6: aggregationLengthV6 ?? 128,
  });
}

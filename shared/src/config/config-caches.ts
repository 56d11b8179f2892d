import type { BfdProfileConfig, BgpAdvertisementConfig, BgpPeerConfig } from '../types/bgp.js';
import { parseBfdProfile } from './bfd-profile.js';
import { parseBgpAdvertisement } from './bgp-advertisement.js';
import { parseBgpPeer } from './bgp-peer.js';
import { isObject } from './fields.js';
import { type IPPoolConfig, parseIPPool } from './ip-pool.js';
import { type L2AnnouncementConfig, parseL2Announcement } from './l2-announcement.js';
import { type ConfigEntry, LastValidCache, type PersistedSpec } from './last-valid.js';

/** What the controller and the speaker make of one IPPool object. */
export type PoolEntry = ConfigEntry<IPPoolConfig>;

/**
 * The last valid spec the controller persisted in an IPPool's status (`status.lastValidSpec`), if
 * any. The status belongs to the same object (same uid): a re-created pool has none.
 */
export function persistedPoolSpec(obj: unknown): PersistedSpec | undefined {
  if (!isObject(obj) || !isObject(obj.status) || !isObject(obj.status.lastValidSpec)) return undefined;
  const generation = obj.status.lastValidGeneration;
  return {
    spec: obj.status.lastValidSpec,
    generation: typeof generation === 'number' ? generation : undefined,
  };
}

/** IPPools: current spec, else last valid in memory, else the copy persisted in status. */
export function poolConfigCache(): LastValidCache<IPPoolConfig> {
  return new LastValidCache({ parse: parseIPPool, persisted: persistedPoolSpec });
}

/**
 * L2Announcements: current spec, else last valid in memory. Nothing is persisted (the kind has no
 * status), so after a restart an invalid announcement is dropped by controller and speaker alike.
 */
export function l2ConfigCache(): LastValidCache<L2AnnouncementConfig> {
  return new LastValidCache({ parse: parseL2Announcement });
}

/**
 * BGPPeers, BGPAdvertisements, BFDProfiles: current spec, else last valid in memory, as L2Announcements.
 * Nothing is persisted (BGPPeer status holds sessions, not specs): after a restart an invalid object is
 * dropped until it is fixed, and the API server's CEL rules keep invalid specs out in the first place.
 */
export function bgpPeerConfigCache(): LastValidCache<BgpPeerConfig> {
  return new LastValidCache({ parse: parseBgpPeer });
}

export function bgpAdvertisementConfigCache(): LastValidCache<BgpAdvertisementConfig> {
  return new LastValidCache({ parse: parseBgpAdvertisement });
}

export function bfdProfileConfigCache(): LastValidCache<BfdProfileConfig> {
  return new LastValidCache({ parse: parseBfdProfile });
}

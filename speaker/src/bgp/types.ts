import type { IPPoolConfig, LabelSelector } from '@ironlb/shared';
import type { IneligibleReason, NodeFacts } from '../eligibility/index.js';
import type { ServiceRef, ServiceView } from '../planner/index.js';
import type { FrrBfdProfile, FrrPeer, FrrPrefix } from './frr-plan.js';

/** A valid BGPPeer, reduced to what one node needs. */
export interface BgpPeerFacts extends Omit<FrrPeer, 'prefixes'> {
  /** undefined = every node has a session with this peer. */
  nodeSelector?: LabelSelector | undefined;
}

/** A valid BGPAdvertisement. */
export interface BgpAdvertisementFacts {
  name: string;
  /** Pool scope as for L2Announcements: neither set = every pool; else named OR selected. */
  ipPools: readonly string[];
  ipPoolSelector?: LabelSelector | undefined;
  /** undefined = every node. */
  nodeSelector?: LabelSelector | undefined;
  /** Names of BGPPeers; empty = every peer. */
  peers: readonly string[];
  communities: readonly string[];
  largeCommunities: readonly string[];
  localPref?: number | undefined;
  /** Prefix length advertised for an IPv4 address (default 32): the IP with its host bits cleared. */
  aggregationLength?: number | undefined;
  /** The same for IPv6 (default 128). */
  aggregationLengthV6?: number | undefined;
}

export interface AdvertiseInput {
  /** This node; undefined while its Node object is unknown (then nothing is advertised). */
  self: NodeFacts | undefined;
  services: readonly ServiceView[];
  pools: readonly IPPoolConfig[];
  peers: readonly BgpPeerFacts[];
  advertisements: readonly BgpAdvertisementFacts[];
}

/** Why this node does not advertise an IP (the node-level reasons are those of the L2 eligibility checks). */
export type NotAdvertisedReason =
  'NoBGPAdvertisement' | 'NoBGPPeer' | Exclude<IneligibleReason, 'SpeakerNotAlive' | 'NoL2Announcement'>;

export interface NotAdvertised {
  reason: NotAdvertisedReason;
  message: string;
  /**
   * The reason holds for every node, so no node advertises the IP: no BGPAdvertisement covers its pool, or
   * (externalTrafficPolicy Local) no node has a ready endpoint. `message` then names no node.
   */
  everyNode: boolean;
}

/** The verdict for one IP of ours (an IP in some IPPool). */
export interface IpAdvertisement {
  ip: string;
  pool: string;
  services: readonly ServiceRef[];
  /** Names of the BGPPeers this node advertises the IP to (sorted); empty when `notAdvertised` is set. */
  peers: readonly string[];
  notAdvertised: NotAdvertised | null;
}

/** A session of this node and exactly the prefixes it carries. */
export interface PeerAdvertisement {
  peer: BgpPeerFacts;
  prefixes: readonly FrrPrefix[];
}

export interface AdvertisePlan {
  /** Every peer that selects this node (sorted by name), with or without prefixes. */
  sessions: readonly PeerAdvertisement[];
  /** One verdict per IP in Service status that lies in a pool, sorted by IP. */
  ips: readonly IpAdvertisement[];
}

export type { FrrBfdProfile };

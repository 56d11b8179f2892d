/**
 * BGP kinds of `ironlb.io/v1alpha1`: BGPPeer, BGPAdvertisement, BFDProfile. Wire types (as stored by the
 * API server, charts/ironlb/crds/ironlb.io_bgp*.yaml) and the parsed, validated forms the controller and the
 * speaker use (produced by shared/src/config/bgp-*.ts). Field names follow MetalLB's BGPPeer (v1beta2),
 * BGPAdvertisement and BFDProfile (v1beta1) so that `ironlb import-metallb` is mechanical; differences:
 * one `nodeSelector` instead of a list, `passwordSecret` names a key, no plain-text password, no Community
 * kind (aliases are resolved by the importer).
 */
import type { IPAddress } from '../ip/address.js';
import type { LabelSelector, ObjectMetaLike } from './api.js';

export const BGP_PEER_KIND = 'BGPPeer';
export const BGP_PEER_PLURAL = 'bgppeers';
export const BGP_ADVERTISEMENT_KIND = 'BGPAdvertisement';
export const BGP_ADVERTISEMENT_PLURAL = 'bgpadvertisements';
export const BFD_PROFILE_KIND = 'BFDProfile';
export const BFD_PROFILE_PLURAL = 'bfdprofiles';

/** The TCP port BGP listens on (RFC 4271); `spec.peerPort` defaults to it. */
export const BGP_DEFAULT_PORT = 179;
/** Key of the password in the Secret named by `spec.passwordSecret` when `key` is not given (as in MetalLB). */
export const BGP_DEFAULT_PASSWORD_KEY = 'password';

// ---------------------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------------------

/** A key of a Secret in the namespace ironlb runs in (BGPPeer is cluster-scoped). */
export interface SecretKeySelector {
  name: string;
  /** Defaults to `password`. */
  key?: string;
}

export interface BGPPeerSpec {
  /** The ASN of this cluster's end of the session (1-4294967295). */
  myASN: number;
  /** The ASN the peer must announce (1-4294967295); equal to myASN for iBGP. */
  peerASN: number;
  /** IPv4 or IPv6 address dialled; global unicast. */
  peerAddress: string;
  /** Default 179. */
  peerPort?: number;
  /** Whole seconds: `90s`, `3m`, `1m30s`; `0s` or 3s-65535s. Unset: FRR's default. */
  holdTime?: string;
  /** Whole seconds, 1s-65535s, shorter than holdTime; needs holdTime. */
  keepaliveTime?: string;
  /** TCP MD5 password; unset: no password. */
  passwordSecret?: SecretKeySelector;
  /** Name of a BFDProfile; unset: no BFD for this session. */
  bfdProfile?: string;
  /** Nodes that open a session to this peer. Absent: every node. */
  nodeSelector?: LabelSelector;
  /** The peer is more than one hop away (eBGP multihop). Default false. */
  ebgpMultiHop?: boolean;
  /** Local address of the session; same family as peerAddress. Unset: chosen by the kernel's route. */
  sourceAddress?: string;
}

/** FRR's neighbor states (RFC 4271 §8.2.2), as `show bgp neighbor` prints them. */
export type BgpSessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
export const BGP_SESSION_STATES: readonly BgpSessionState[] = [
  'Idle',
  'Connect',
  'Active',
  'OpenSent',
  'OpenConfirm',
  'Established',
];

/** One node's session with the peer. */
export interface BgpSessionStatus {
  /** Node name; the list key (`x-kubernetes-list-type: map`). */
  node: string;
  state: BgpSessionState;
  /** RFC 3339: when `state` last changed. */
  lastChange?: string;
}

/**
 * Written by the speakers. `sessions` is a map list keyed by `node`: each speaker owns its own entry, written
 * with server-side apply under a field manager of its own, so speakers never overwrite each other's entries.
 */
export interface BGPPeerStatus {
  sessions?: BgpSessionStatus[];
  /**
   * `sessions` in one line for `kubectl get bgppeers` (a printer column shows only the first value of a list),
   * made by `bgpSessionSummary`, e.g. `2/3 Established`. Derived: rewritten by whoever changes `sessions`.
   */
  summary?: string;
}

export interface BGPPeer {
  apiVersion: 'ironlb.io/v1alpha1';
  kind: typeof BGP_PEER_KIND;
  metadata: ObjectMetaLike;
  spec: BGPPeerSpec;
  status?: BGPPeerStatus;
}

export interface BGPAdvertisementSpec {
  /** IPPool names advertised (OR ipPoolSelector). Neither set: every pool. */
  ipPools?: string[];
  ipPoolSelector?: LabelSelector;
  /** Nodes that advertise. Absent: every node. */
  nodeSelector?: LabelSelector;
  /** BGPPeer names advertised to. Empty: every peer. */
  peers?: string[];
  /** `AA:NN` (0-65535 each), `large:A:B:C` (0-4294967295 each) or a well-known name (`no-export`, ...). */
  communities?: string[];
  /** LOCAL_PREF (0-4294967295); only iBGP peers receive it. */
  localPref?: number;
  /** Prefix length advertised for IPv4 addresses (1-32, default 32: one /32 per address). */
  aggregationLength?: number;
  /** Prefix length advertised for IPv6 addresses (1-128, default 128). */
  aggregationLengthV6?: number;
}

export interface BGPAdvertisement {
  apiVersion: 'ironlb.io/v1alpha1';
  kind: typeof BGP_ADVERTISEMENT_KIND;
  metadata: ObjectMetaLike;
  spec: BGPAdvertisementSpec;
}

/** MetalLB's BFDProfile fields and bounds. Intervals in milliseconds. */
export interface BFDProfileSpec {
  /** 10-60000 ms. */
  receiveInterval?: number;
  /** 10-60000 ms. */
  transmitInterval?: number;
  /** 2-255. */
  detectMultiplier?: number;
  /** 10-60000 ms. */
  echoInterval?: number;
  echoMode?: boolean;
  passiveMode?: boolean;
  /** 1-254; multihop sessions only. */
  minimumTtl?: number;
}

export interface BFDProfile {
  apiVersion: 'ironlb.io/v1alpha1';
  kind: typeof BFD_PROFILE_KIND;
  metadata: ObjectMetaLike;
  spec: BFDProfileSpec;
}

// ---------------------------------------------------------------------------------------------------------
// Parsed, validated forms (shared/src/config/bgp-peer.ts, bgp-advertisement.ts, bfd-profile.ts)
// ---------------------------------------------------------------------------------------------------------

/** A Secret key in the namespace ironlb runs in; `key` is filled in (default `password`). */
export interface SecretKeyRef {
  readonly name: string;
  readonly key: string;
}

/**
 * A validated BGPPeer. Invariants: ASNs are 1-4294967295; port 1-65535; holdTimeSeconds is 0 or 3-65535;
 * keepaliveTimeSeconds is set only with holdTimeSeconds, and is shorter than it unless the hold time is 0;
 * sourceAddress (when set) has the family of peerAddress; both are global unicast.
 */
export interface BgpPeerConfig {
  readonly name: string;
  /** metadata.uid ('' when the object has none, e.g. a manifest read from a file). */
  readonly uid: string;
  readonly peerAddress: IPAddress;
  readonly peerASN: number;
  /** `spec.myASN`. */
  readonly localASN: number;
  /** `spec.peerPort`, default 179. */
  readonly port: number;
  /** undefined: FRR's default. */
  readonly holdTimeSeconds: number | undefined;
  /** undefined: FRR's default (or a third of holdTimeSeconds, the speaker's choice). */
  readonly keepaliveTimeSeconds: number | undefined;
  /** undefined: no password. */
  readonly passwordSecret: SecretKeyRef | undefined;
  /** Name of a BFDProfile; undefined: no BFD. A name with no such profile is the consumer's problem to report. */
  readonly bfdProfile: string | undefined;
  /** undefined: every node (same meaning as in L2AnnouncementConfig). */
  readonly nodeSelector: LabelSelector | undefined;
  readonly ebgpMultiHop: boolean;
  readonly sourceAddress: IPAddress | undefined;
}

/**
 * A validated BGPAdvertisement. Pool scope like L2AnnouncementConfig: neither ipPools nor ipPoolSelector =
 * every pool, else named in ipPools OR matching ipPoolSelector. nodeSelector undefined = every node.
 * peers empty = every BGPPeer. Communities are split by kind and deduplicated, in input order.
 */
export interface BgpAdvertisementConfig {
  readonly name: string;
  readonly uid: string;
  readonly ipPools: readonly string[];
  readonly ipPoolSelector: LabelSelector | undefined;
  readonly nodeSelector: LabelSelector | undefined;
  readonly peers: readonly string[];
  /** Standard communities: `AA:NN` (canonical decimal, no leading zeros) or a well-known name (`no-export`). */
  readonly communities: readonly string[];
  /** Large communities `A:B:C` (the `large:` prefix removed). */
  readonly largeCommunities: readonly string[];
  /** undefined: not set (FRR sends its default, 100, to iBGP peers). */
  readonly localPref: number | undefined;
  /** 1-32, default 32. */
  readonly aggregationLength: number;
  /** 1-128, default 128. */
  readonly aggregationLengthV6: number;
}

/** A validated BFDProfile. undefined fields keep FRR's defaults (300 ms, 300 ms, 3, echo 50 ms, off, off, 254). */
export interface BfdProfileConfig {
  readonly name: string;
  readonly uid: string;
  readonly receiveIntervalMs: number | undefined;
  readonly transmitIntervalMs: number | undefined;
  readonly detectMultiplier: number | undefined;
  readonly echoMode: boolean | undefined;
  readonly echoIntervalMs: number | undefined;
  readonly passiveMode: boolean | undefined;
  readonly minimumTtl: number | undefined;
}

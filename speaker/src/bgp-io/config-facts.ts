import { formatIP, type BfdProfileConfig, type BgpPeerConfig } from '@ironlb/shared';
import type { BgpPeerFacts, FrrBfdProfile } from '../bgp/index.js';

/** A valid BGPPeer as the planner sees it (addresses as canonical text); its password is added by the caller. */
export function peerFacts(p: BgpPeerConfig): BgpPeerFacts {
  return {
    name: p.name,
    address: formatIP(p.peerAddress),
    asn: p.peerASN,
    localASN: p.localASN,
    port: p.port,
    holdTimeSeconds: p.holdTimeSeconds,
    keepaliveTimeSeconds: p.keepaliveTimeSeconds,
    ebgpMultihop: p.ebgpMultiHop,
    sourceAddress: p.sourceAddress === undefined ? undefined : formatIP(p.sourceAddress),
    bfdProfile: p.bfdProfile,
    nodeSelector: p.nodeSelector,
  };
}

/** A valid BFDProfile as the renderer sees it. */
export function bfdFacts(b: BfdProfileConfig): FrrBfdProfile {
  return {
    name: b.name,
    receiveIntervalMs: b.receiveIntervalMs,
    transmitIntervalMs: b.transmitIntervalMs,
    detectMultiplier: b.detectMultiplier,
    echoMode: b.echoMode,
    echoIntervalMs: b.echoIntervalMs,
    passiveMode: b.passiveMode,
    minimumTtl: b.minimumTtl,
  };
}

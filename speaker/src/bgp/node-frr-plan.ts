import { familyOfValidIP, parseIP } from '@ironlb/shared';
import type { FrrBfdProfile, FrrPlan } from './frr-plan.js';
import type { AdvertisePlan } from './types.js';

/**
 * The node's FRR plan from its advertisement plan: one session per peer that selects the node, with exactly
 * the prefixes planned for it, and the BFD profiles those sessions use.
 *
 * Invariants: a session whose BFD profile does not exist runs without BFD (FRR would otherwise use its
 * defaults silently); two peers with the same address keep only the first by name (FRR has one session per
 * address); profiles nobody uses are left out, so the output changes only when a used one does.
 */
export function nodeFrrPlan(args: {
  routerId: string;
  plan: AdvertisePlan;
  bfdProfiles: readonly FrrBfdProfile[];
}): FrrPlan {
  const profiles = new Map(args.bfdProfiles.map((b) => [b.name, b]));
  const seen = new Set<string>();
  const peers = [];
  for (const { peer, prefixes } of args.plan.sessions) {
    if (seen.has(peer.address)) continue;
    seen.add(peer.address);
    const { nodeSelector: _selector, ...rest } = peer;
    const bfdProfile =
      peer.bfdProfile !== undefined && profiles.has(peer.bfdProfile) ? peer.bfdProfile : undefined;
    peers.push({ ...rest, bfdProfile, prefixes });
  }
  const used = new Set(peers.map((p) => p.bfdProfile).filter((n) => n !== undefined));
  return {
    routerId: args.routerId,
    peers,
    bfdProfiles: [...used].flatMap((n) => profiles.get(n) ?? []),
  };
}

/**
 * BGP router ID: the node's first IPv4 address; an IPv6-only node gets a stable non-zero 32-bit value derived
 * from its name (FNV-1a): any such value is a valid ID, and names are unique within a cluster.
 */
export function routerIdFor(node: string, addresses: readonly string[]): string {
  const v4 = addresses.find((a) => familyOfValidIP(a) === 'IPv4' && parseIP(a) !== undefined);
  if (v4 !== undefined) return v4;
  let h = 0x811c9dc5;
  for (const ch of new TextEncoder().encode(node)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Never 0.0.0.0: FRR refuses it.
  if (h === 0) h = 1;
  return [24, 16, 8, 0].map((s) => (h >>> s) & 0xff).join('.');
}

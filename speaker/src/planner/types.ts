import type { IPPoolConfig, L2AnnouncementConfig } from '@ironlb/shared';
import type { EndpointFacts, Ineligible, NodeFacts } from '../eligibility/index.js';

/** A LoadBalancer Service as the speaker sees it: the IPs in its status and what ETP Local needs. */
export interface ServiceView {
  namespace: string;
  name: string;
  uid?: string;
  /** status.loadBalancer.ingress[].ip */
  ips: readonly string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  /** Every endpoint of every EndpointSlice of the Service. */
  endpoints: readonly EndpointFacts[];
}

/** One consistent snapshot of what every speaker knows. Every speaker computes the same plan from it. */
export interface PlanInput {
  services: readonly ServiceView[];
  nodes: readonly NodeFacts[];
  pools: readonly IPPoolConfig[];
  announcements: readonly L2AnnouncementConfig[];
  /** Speakers alive according to membership (heartbeats), including this one. */
  alive: ReadonlySet<string>;
}

export interface ServiceRef {
  namespace: string;
  name: string;
  uid?: string;
}

/** The verdict for one IP. */
export interface IpPlan {
  ip: string;
  /** Pool holding the IP; null = not an ironlb address (another implementation's), never announced. */
  pool: string | null;
  services: readonly ServiceRef[];
  /** Elected node, or null when no node may announce. */
  announcer: string | null;
  /** Eligible alive nodes, best first (announcer is the first); the claim election walks them. */
  candidates: readonly string[];
  /** Names of the L2Announcements covering the IP's pool. */
  announcements: readonly string[];
  /** Why each node may not announce (null = eligible), in node order. */
  nodes: readonly { node: string; ineligible: Ineligible | null }[];
}

/** Where one node announces one IP. */
export interface InterfaceChoice {
  /** Interfaces named by the covering L2Announcements. */
  named: readonly string[];
  /** Some covering L2Announcement lists no interface: use the node's default (InternalIP) interface. */
  useDefault: boolean;
}
